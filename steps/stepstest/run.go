package stepstest

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// Run runs a profile's suite for a test (run, writing its progress to out), logs the progress if
// the test fails and reads back the scenarios that ran.
func Run(t *testing.T, run func(out io.Writer) (steps.Result, error)) (steps.Result, []reports.Feature) {
	t.Helper()
	var out bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(out.String())
		}
	})
	res, err := run(&out)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := reports.ReadCucumber(res.Cucumber)
	if err != nil {
		t.Fatal(err)
	}
	return res, feats
}

// Agency is an agency's system as the harness meets it: behind an HTTP trigger, with a certificate
// of its own CA.
type Agency struct {
	URL         string // the base URL of the server its trigger is on
	Certificate *x509.Certificate
	Chain       []*x509.Certificate // the agency's CA: its intermediate and root
}

// AgencyBehindTrigger serves, for the test's duration, the system ref makes with a certificate
// issued to name by an agency's own CA (a reference system, which the harness does not know as
// such), wrapped by h when h is not nil.
func AgencyBehindTrigger(t *testing.T, name string, ref func(*pki.Identity) http.Handler, h func(http.Handler) http.Handler) Agency {
	t.Helper()
	ca, err := nca.New("Agency's own CA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(nca.Subject{CommonName: name, Organization: "Agency"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	system := ref(id)
	if h != nil {
		system = h(system)
	}
	srv := httptest.NewServer(system)
	t.Cleanup(srv.Close)
	return Agency{URL: srv.URL, Certificate: id.Certificate, Chain: []*x509.Certificate{ca.Intermediate(), ca.Root()}}
}

// Verdict checks a run's verdict, that some scenario ran and, when failure is not empty, that a
// failed step says it.
func Verdict(t *testing.T, res steps.Result, feats []reports.Feature, verdict, failure string) {
	t.Helper()
	if res.Summary.Verdict != verdict || res.Summary.Scenarios == 0 {
		t.Fatalf("verdict %s, %d of %d passed; want %s\n%s", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios,
			verdict, Failures(feats))
	}
	if failure != "" && !strings.Contains(Failures(feats), failure) {
		t.Errorf("no failure says %q; failures:\n%s", failure, Failures(feats))
	}
}

// ContainerRecorded checks what a run of the sample agency system in its container image left
// beside the reports: run.json names the container of image with its image ID, and the
// container's logs are kept in logFile, showing it listening (the line that says so) and
// triggered. It gives the system under test as run.json names it.
func ContainerRecorded(t *testing.T, res steps.Result, image, logFile, listening string) steps.SUTInfo {
	t.Helper()
	dir := filepath.Dir(res.Report)
	raw, err := os.ReadFile(filepath.Join(dir, steps.RunFile))
	if err != nil {
		t.Fatal(err)
	}
	var info steps.RunInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatal(err)
	}
	if s := info.SUT; s.Demonstration || s.Kind != sut.Container || s.Image != image || !strings.HasPrefix(s.Digest, "sha256:") {
		t.Errorf("run.json names the system under test as %+v, want the container of %s with its image ID", s, image)
	}
	logs, err := os.ReadFile(filepath.Join(dir, logFile))
	if err != nil || !strings.Contains(string(logs), listening) || !strings.Contains(string(logs), "trigger") {
		t.Errorf("the container's logs are not kept beside the reports (%v):\n%s", err, logs)
	}
	return info.SUT
}

// CaughtDefect checks that a run of the reference system broken with defect is NOT CONFORMANT and
// that a failed step names the rule it breaks (rule: "breaks <clause>").
func CaughtDefect(t *testing.T, res steps.Result, feats []reports.Feature, defect, rule string) {
	t.Helper()
	if res.Summary.Verdict != reports.NotConformant {
		t.Fatalf("verdict %s with the defect %s, want %s", res.Summary.Verdict, defect, reports.NotConformant)
	}
	if errs := Failures(feats); !strings.Contains(errs, rule) {
		t.Errorf("no failure says %q; failures:\n%s", rule, errs)
	}
}
