package shep_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/shep"
)

// Each negative transport-signature scenario must fail when the gateway's check behind it is
// switched off: the checks are live, not decorative.
func TestSignatureScenariosFailWithoutTheirCheck(t *testing.T) {
	cases := map[xsig.Problem][]string{
		xsig.Unsigned:     {"An unsigned request is refused", "The owner's unsigned answer does not reach the initiator"},
		xsig.Invalid:      {"A request altered after it was signed is refused", "A request signed with a key other than its certificate's is refused"},
		xsig.Wrapped:      {"A signature wrapping attack is refused"},
		xsig.Unsupported:  {"A message signed with GOST R 34.10-2015 is reported as not supported"},
		xsig.NotTheSender: {"A request signed with the certificate of another organisation is refused", "An answer signed with another system's certificate does not reach the initiator"},
		xsig.Revoked:      {"A request signed with a revoked certificate is refused on the OCSP answer", "With the OCSP responder down, a revoked certificate is found on the CRL"},
		xsig.Expired:      {"A request signed with an expired certificate is refused"},
		xsig.Untrusted:    {"A request signed with a certificate from an unknown certification authority is refused"},
		xsig.Unregistered: {"A certificate named by issuer and serial number but not registered for the system is refused"},
		xsig.StatusUnknown: {`A certificate the NCA's OCSP responder answers "unknown" for is refused`, "A stale OCSP answer is refused",
			"An OCSP answer with the nonce of another request is refused"},
	}
	for problem, scenarios := range cases {
		t.Run(string(problem), func(t *testing.T) {
			_, status := runStatuses(t, shep.Options{Tags: "@transport", SignatureChecksOff: []xsig.Problem{problem}})
			for _, name := range scenarios {
				if status[name] != "failed" {
					t.Errorf("with the %q check off, %q is %q, want failed", problem, name, status[name])
				}
			}
		})
	}
}

// The transport signature scenarios pass with every key algorithm of the NCA, GOST 34.310-2004
// included (the RSA-SHA1 scenario gives its system an RSA key itself), and a run whose signatures
// draw remarks is still CONFORMANT: run.json and the report list each remark, with its scenario and
// reason, apart from failures.
func TestTransportScenariosPassWithEitherKeyAndListRemarks(t *testing.T) {
	for _, key := range []pki.KeyType{pki.RSA2048, pki.ECDSAP256, pki.GOST2004} {
		t.Run(key.String(), func(t *testing.T) {
			res, status := runStatuses(t, shep.Options{Tags: "@transport", KeyAlgorithm: key})
			if res.Summary.Verdict != reports.Conformant {
				t.Fatalf("verdict %s: %+v, statuses %v", res.Summary.Verdict, res.Summary, status)
			}
			b, err := os.ReadFile(filepath.Join(filepath.Dir(res.Report), steps.RunFile))
			if err != nil {
				t.Fatal(err)
			}
			var info steps.RunInfo
			if err := json.Unmarshal(b, &info); err != nil {
				t.Fatal(err)
			}
			if info.KeyAlgorithm != key.String() {
				t.Errorf("run.json names the key algorithm %q, want %q", info.KeyAlgorithm, key)
			}
			want := map[string]string{
				xsig.RemarkSHA1:      "A request signed with RSA-SHA1 is accepted with a remark",
				xsig.RemarkTimestamp: "A timestamp in the signature header is neither required nor refused",
				xsig.RemarkPlainID:   "A Body referenced by a plain Id instead of wsu:Id is accepted with a remark",
			}
			got := map[string]string{}
			for _, r := range info.Remarks {
				if r.Reason == "" || r.Rule == "" {
					t.Errorf("remark without its clause or reason: %+v", r)
				}
				got[r.Code] = r.Scenario
			}
			if !maps.Equal(got, want) || res.Summary.Remarks != len(want) {
				t.Errorf("remarks by code %v (summary counts %d), want %v", got, res.Summary.Remarks, want)
			}
			html, err := os.ReadFile(res.Report)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{`id="remarks"`, `id="remark-count"`, "rsa-sha1", "signed-timestamp", "plain-id", key.String()} {
				if !strings.Contains(string(html), s) {
					t.Errorf("the report lacks %q", s)
				}
			}
		})
	}
}
