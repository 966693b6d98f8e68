package shep_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/shep"
)

// The passwords of a run: the system under test's from its configuration, and those the features
// register the harness's simulated systems with.
var runPasswords = []string{"agency-configured-secret", "init-secret", "other-secret", "initiator-secret", "load-secret"}

// A password shown in evidence: an element or a JSON field with a value that is not the mark.
var shownPassword = regexp.MustCompile(`(?i)<(?:[\w.-]+:)?password(?:\s[^>]*)?>[^<\[]|"password"\s*:\s*"[^"\[]`)

// a password is a credential of a system at the gateway; the report and the cucumber JSON
// show the envelopes a run exchanged, never the passwords they carried.
//
// The same run is sealed by the harness key given (A4-F): run.json names the key, and the seal
// covers run.json and every report.
func TestRunOutputsShowNoPasswordAndAreSealed(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	res, err := shep.Run(context.Background(), shep.Options{OutDir: t.TempDir(), Tags: "@R-53", TimeScale: testScale,
		Output: progress(t), KeyAlgorithm: pki.ECDSAP256, SUT: sut.Config{Password: "agency-configured-secret"}, HarnessKey: key})
	if err != nil {
		t.Fatal(err)
	}
	m, err := runseal.Verify(filepath.Dir(res.Seal), key.Public(), steps.RunFile, steps.CucumberFile, steps.JUnitFile, steps.ReportFile)
	if err != nil {
		t.Errorf("the run's seal: %v", err)
	}
	if fp := runseal.Fingerprint(key.Public()); res.Info.HarnessKey != fp || m.Key != fp {
		t.Errorf("run.json names the harness key %q, the seal %q; want %q", res.Info.HarnessKey, m.Key, fp)
	}
	feats, err := reports.ReadCucumber(res.Cucumber)
	if err != nil {
		t.Fatal(err)
	}
	evidence := 0
	for _, f := range feats {
		for _, sc := range f.Scenarios {
			for _, st := range sc.Steps {
				texts := [][]byte{[]byte(st.Result.Error)}
				for _, e := range st.Embeddings {
					texts = append(texts, e.Data)
				}
				for i, text := range texts {
					if bytes.Contains(text, []byte("password")) {
						evidence++
					}
					for _, p := range runPasswords {
						if bytes.Contains(text, []byte(p)) {
							t.Errorf("%s / %s, step %q, evidence %d shows the password %q", f.Name, sc.Name, st.Name, i, p)
						}
					}
					if m := shownPassword.Find(text); m != nil {
						t.Errorf("%s / %s, step %q, evidence %d shows a password: %s", f.Name, sc.Name, st.Name, i, m)
					}
				}
			}
		}
	}
	if evidence == 0 {
		t.Error("no evidence names a password element: the run exchanged no request with credentials")
	}
	raw, _ := os.ReadFile(res.Cucumber)
	page, _ := os.ReadFile(res.Report)
	unpacked, err := reports.Unpack(string(page)) // the evidence is packed in the page (reports/pack.go)
	if err != nil {
		t.Fatal(err)
	}
	report := []byte(unpacked)
	for _, p := range runPasswords {
		if bytes.Contains(report, []byte(p)) {
			t.Errorf("%s shows the password %q", res.Report, p)
		}
	}
	if bytes.Contains(raw, []byte(runPasswords[0])) {
		t.Errorf("%s shows the configured password", res.Cucumber)
	}
}
