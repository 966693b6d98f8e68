package steps_test

import (
	"testing"

	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/steps"
)

// Each negative transport-signature scenario must fail when the gateway's check behind it is
// switched off: the checks are live, not decorative.
func TestSignatureScenariosFailWithoutTheirCheck(t *testing.T) {
	cases := map[xsig.Problem][]string{
		xsig.Unsigned:     {"An unsigned request is refused", "The owner's unsigned answer does not reach the initiator"},
		xsig.Invalid:      {"A request altered after it was signed is refused"},
		xsig.Wrapped:      {"A signature wrapping attack is refused"},
		xsig.Unsupported:  {"A message signed with the GOST algorithm of the real gateway is reported as not supported"},
		xsig.NotTheSender: {"A request signed with the certificate of another organisation is refused", "An answer signed with another system's certificate does not reach the initiator"},
		xsig.Revoked:      {"A request signed with a revoked certificate is refused on the OCSP answer", "With the OCSP responder down, a revoked certificate is found on the CRL"},
		xsig.Expired:      {"A request signed with an expired certificate is refused"},
		xsig.Untrusted:    {"A request signed with a certificate from an unknown certification authority is refused"},
	}
	for problem, scenarios := range cases {
		t.Run(string(problem), func(t *testing.T) {
			_, status := runStatuses(t, steps.Options{Tags: "@transport", SignatureChecksOff: []xsig.Problem{problem}})
			for _, name := range scenarios {
				if status[name] != "failed" {
					t.Errorf("with the %q check off, %q is %q, want failed", problem, name, status[name])
				}
			}
		})
	}
}
