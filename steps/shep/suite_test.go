package shep_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/racedetect"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/steps"

	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps/shep"
)

// testScale shrinks every limit and scripted delay a hundredfold: a 31 s owner answers after
// 310 ms against a 300 ms limit, so the limit is still really crossed. Under -race, whose slowdown
// would eat those margins, it shrinks them tenfold only.
var testScale = map[bool]float64{false: 0.01, true: 0.1}[racedetect.Enabled]

// progress collects godog's output and shows it only when the test fails.
func progress(t *testing.T) *bytes.Buffer {
	var b bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(b.String())
		}
	})
	return &b
}

// runStatuses runs the suite at the test scale into a temporary folder and returns each scenario's
// status by name.
func runStatuses(t *testing.T, o shep.Options) (steps.Result, map[string]string) {
	t.Helper()
	o.OutDir, o.TimeScale, o.Output = t.TempDir(), testScale, progress(t)
	res, err := shep.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := reports.ReadCucumber(res.Cucumber)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, f := range feats {
		for _, s := range f.Scenarios {
			status[s.Name] = s.Status()
		}
	}
	return res, status
}

// The whole suite, with GOST 34.310-2004 keys, the real gateway's: make conformance runs it with
// the default RSA-2048 keys of the national CA and the transport scenarios run with ECDSA P-256
// too, so all three are exercised. The run must really have signed with GOST: the gateway, the
// reference systems and the sample agency system sign their SOAP messages with it, and only the REST
// channel's JOSE (which has no GOST) and the scenarios that name another algorithm sign otherwise.
func TestConformanceSuitePassesAgainstReferenceSystems(t *testing.T) {
	// At twice the package's time scale: a GOST exchange costs about half as much CPU again as an
	// ECDSA one, and this run shares the machine with the package's other suite runs, so the Rules'
	// shrunk time limits keep their margin over a loaded machine's pauses.
	res, err := shep.Run(context.Background(), shep.Options{OutDir: t.TempDir(), TimeScale: 2 * testScale, Output: progress(t),
		KeyAlgorithm: pki.GOST2004})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Verdict != reports.Conformant {
		t.Fatalf("verdict %s: %+v (report %s)", res.Summary.Verdict, res.Summary, res.Report)
	}
	if res.Info.KeyAlgorithm != pki.GOST2004.String() {
		t.Errorf("run.json names the key algorithm %q, want %q", res.Info.KeyAlgorithm, pki.GOST2004)
	}
	for _, f := range []string{res.Report, res.Cucumber, res.JUnit, res.Journal} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("output %s missing or empty: %v", f, err)
		}
	}
	feats, err := reports.ReadCucumber(res.Cucumber)
	if err != nil {
		t.Fatal(err)
	}
	var bySystems, byGateway int // valid GOST signatures the gateway checked, and of the gateway checked by others
	for _, f := range feats {
		for _, sc := range f.Scenarios {
			ownChoice := choosesAlgorithm(sc)
			for _, c := range signatureChecks(sc) {
				if c.Algorithm != xsig.GOST3410GOST34 && !ownChoice && (c.Algorithm != "" || c.Problem == "") {
					t.Errorf("%s: %s records a signature by %q, want %s", sc.Name, c.where, c.Algorithm, xsig.GOST3410GOST34)
				}
				if c.Algorithm == xsig.GOST3410GOST34 && c.Problem == "" {
					if c.ofGateway {
						byGateway++
					} else {
						bySystems++
					}
				}
			}
		}
	}
	t.Logf("valid GOST 34.310 signatures in the evidence: %d of systems checked by the gateway, %d of the gateway checked by others", bySystems, byGateway)
	if bySystems == 0 || byGateway == 0 {
		t.Errorf("the evidence shows %d valid GOST signatures of systems checked by the gateway and %d of the gateway checked by a reference system; want some of each", bySystems, byGateway)
	}
}

// choosesAlgorithm reports whether a scenario signs with an algorithm of its own choice rather than
// the run's: "signs with an RSA-2048 certificate", "signed with RSA-SHA1", "signed with GOST R
// 34.10-2015".
func choosesAlgorithm(sc reports.Scenario) bool {
	return slices.ContainsFunc(sc.Steps, func(st reports.Step) bool {
		return ownAlgorithm.MatchString(st.Name)
	})
}

var ownAlgorithm = regexp.MustCompile(`signs with an? (RSA-2048|ECDSA P-256) certificate|signed with (RSA-SHA1|GOST R 34\.10-2015)`)

// signatureCheck is a transport signature check found in a scenario's evidence.
type signatureCheck struct {
	xsig.Report
	where     string // the attachment
	ofGateway bool   // the message was the gateway's, checked by an owner, an initiator or a peer gateway
}

// signatureChecks reads a scenario's evidence for transport signature checks: the gateway's, in the
// journal entries attached ("... transport signature {report}"; the REST channel's, whose sealed
// messages are JOSE, left out), and the reference systems' checks of the gateway's signature.
func signatureChecks(sc reports.Scenario) []signatureCheck {
	var out []signatureCheck
	for _, st := range sc.Steps {
		for _, e := range st.Embeddings {
			var events []journal.Event
			if json.Unmarshal(e.Data, &events) == nil {
				for _, ev := range events {
					_, evidence, found := strings.Cut(ev.Detail, "transport signature ")
					var r xsig.Report
					if !found || ev.Channel == "rest" || json.NewDecoder(strings.NewReader(evidence)).Decode(&r) != nil {
						continue
					}
					out = append(out, signatureCheck{Report: r, where: e.Name, ofGateway: strings.HasPrefix(e.Name, "external gateway")})
				}
				continue
			}
			var r xsig.Report
			if json.Unmarshal(e.Data, &r) == nil && r.Certificate.Serial != "" {
				out = append(out, signatureCheck{Report: r, where: e.Name, ofGateway: strings.Contains(e.Name, "of the gateway's signature")})
			}
		}
	}
	return out
}

// A reference owner that leaves out responseDate breaks A1-T20 row 5: the suite must fail and the
// report must name that rule.
func TestBrokenOwnerFailsTheSuiteAndTheReportNamesTheRule(t *testing.T) {
	res, err := shep.Run(context.Background(), shep.Options{
		OutDir: t.TempDir(), TimeScale: testScale, Tags: "@R-22", Output: progress(t),
		OwnerOmit: []string{"response/responseInfo/responseDate"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Verdict != reports.NotConformant {
		t.Fatalf("verdict %s, want %s", res.Summary.Verdict, reports.NotConformant)
	}
	html, err := os.ReadFile(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NOT CONFORMANT", "A1-T20 row 5", "responseDate"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report does not mention %q", want)
		}
	}
}
