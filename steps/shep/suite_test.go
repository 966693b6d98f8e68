package shep_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/racedetect"
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

// The whole suite, with ECDSA P-256 keys: make conformance runs it with the default RSA-2048 keys
// of the national CA, so the suite is run with both (ECDSA here, where it is the faster).
func TestConformanceSuitePassesAgainstReferenceSystems(t *testing.T) {
	res, err := shep.Run(context.Background(), shep.Options{OutDir: t.TempDir(), TimeScale: testScale, Output: progress(t),
		KeyAlgorithm: pki.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Verdict != reports.Conformant {
		t.Fatalf("verdict %s: %+v (report %s)", res.Summary.Verdict, res.Summary, res.Report)
	}
	if res.Info.KeyAlgorithm != pki.ECDSAP256.String() {
		t.Errorf("run.json names the key algorithm %q, want %q", res.Info.KeyAlgorithm, pki.ECDSAP256)
	}
	for _, f := range []string{res.Report, res.Cucumber, res.JUnit, res.Journal} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("output %s missing or empty: %v", f, err)
		}
	}
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
