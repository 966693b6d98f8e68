package epgu_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	epguassembly "github.com/shepconf/shepconf/assembly/epgu"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/racedetect"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/epgu/archive"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/epgu"
	"github.com/shepconf/shepconf/steps/stepstest"
)

// The suite's runs are sealed with a key of the tests' own, never the user's.
func TestMain(m *testing.M) { os.Exit(runseal.RunWithTemporaryKey(m)) }

// testScale shrinks the 5-minute chunk window to 3 s (30 s under -race) and the agency's delays
// with it.
var testScale = map[bool]float64{false: 0.01, true: 0.1}[racedetect.Enabled]

func run(t *testing.T, o epgu.Options) (steps.Result, []reports.Feature) {
	t.Helper()
	return stepstest.Run(t, func(out io.Writer) (steps.Result, error) {
		o.OutDir, o.TimeScale, o.Output, o.KeyAlgorithm = t.TempDir(), testScale, out, pki.ECDSAP256
		return epgu.Run(context.Background(), o)
	})
}

func TestEPGUSuitePassesAgainstTheReferenceClient(t *testing.T) {
	res, feats := run(t, epgu.Options{})
	if res.Summary.Verdict != reports.Conformant || res.Summary.Scenarios < 9 {
		t.Fatalf("verdict %s, %d of %d scenarios passed", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios)
	}
	if !res.Info.SUT.Demonstration || res.Info.Profile != steps.ProfileEPGU {
		t.Errorf("run.json says demonstration %v, profile %q", res.Info.SUT.Demonstration, res.Info.Profile)
	}
	if r := res.Info.Roles; len(r) != 1 || r[0].Role != epgu.Role || r[0].Passed != res.Summary.Scenarios {
		t.Errorf("roles %+v, want every scenario under %s", r, epgu.Role)
	}
	report, err := os.ReadFile(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	// The traceability matrix lists the profile's own catalogue.
	for _, want := range []string{"EPGU-2.1.3", "ESIA-B12", "WALK-SIG", "EPGU API conformance"} {
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	_ = feats
}

// Each defect of the reference client is caught by the scenarios of its rule, and the failure
// names that rule: a scenario that could not fail would certify nothing.
func TestEPGUScenariosCatchEachDefect(t *testing.T) {
	cases := []struct {
		defect, tags, rule string
	}{
		{"chunk-order", "@EPGU-2.1.3", "breaks EPGU-2.1.3: expected the first chunk first and the last chunk last"},
		{"chunk-window", "@EPGU-2.1.3", "breaks EPGU-2.1.3: expected the last chunk within"},
		{"no-sig", "@WALK-SIG", "breaks WALK-SIG"},
		{"invalid-xml", "@WALK-XSD", "breaks WALK-XSD"},
		{"no-reauth", "@ESIA-B12 && @EPGU-A4", "breaks EPGU-A4: expected after 401 a new token"},
		{"poll-flood", "@EPGU-A3 && @EPGU-4", "breaks EPGU-A3"},
		{"stale-timestamp", "@ESIA-OAUTH", "breaks ESIA-OAUTH"},
	}
	for _, c := range cases {
		t.Run(c.defect, func(t *testing.T) {
			res, feats := run(t, epgu.Options{Tags: c.tags, SUT: epgu.SUT{Defects: []string{c.defect}}})
			stepstest.CaughtDefect(t, res, feats, c.defect, c.rule)
		})
	}
}

// agencyClient is an agency's EPGU client as the harness meets it: behind an HTTP trigger, with a
// certificate of its own CA (here the reference client, which the harness does not know as such).
func agencyClient(t *testing.T, h func(http.Handler) http.Handler) epgu.SUT {
	t.Helper()
	a := stepstest.AgencyBehindTrigger(t, "AGENCY_EPGU_IS", func(id *pki.Identity) http.Handler {
		return &epguassembly.Reference{Identity: id, Mnemonic: "AGENCY_EPGU_IS", ChunkWindow: 3 * time.Second, Poll: time.Second,
			Services: func(code string) (archive.Service, bool) {
				s, err := epguassembly.DemoService()
				return s.Archive, err == nil && code == s.Archive.Code
			}}
	}, h)
	// ESIA sends a citizen's browser back to the callback it serves beside its trigger.
	return epgu.SUT{Trigger: trigger.HTTP{URL: a.URL + "/trigger"}, Mnemonic: "AGENCY_EPGU_IS", Certificate: a.Certificate,
		Chain: a.Chain, RedirectURIs: []string{a.URL + epguassembly.CallbackPath}}
}

// An agency's client reached through its HTTP trigger is certified: the run is no demonstration,
// and every scenario of the role talked to it.
func TestEPGURunCertifiesAnAgencyClientBehindItsTrigger(t *testing.T) {
	res, _ := run(t, epgu.Options{Tags: "~@EPGU-4", SUT: agencyClient(t, nil)})
	if res.Summary.Verdict != reports.Conformant || res.Info.SUT.Demonstration || res.Info.SUT.SystemID != "AGENCY_EPGU_IS" {
		t.Fatalf("verdict %s (%d of %d), demonstration %v, system %q", res.Summary.Verdict, res.Summary.Passed,
			res.Summary.Scenarios, res.Info.SUT.Demonstration, res.Info.SUT.SystemID)
	}
}

// The role's scenarios judge the system under test, never a reference system: a system that
// answers 503 to every trigger passes none.
func TestEPGURoleScenariosFailAgainstASystemThatDoesNothing(t *testing.T) {
	broken := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	}
	res, _ := run(t, epgu.Options{Tags: "~@EPGU-4", SUT: agencyClient(t, broken)})
	if res.Summary.Verdict == reports.Conformant || res.Summary.Passed != 0 {
		t.Fatalf("verdict %s, %d of %d passed against a system that does nothing", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios)
	}
}

func TestEPGURunRefusesASystemWithoutItsCertificate(t *testing.T) {
	_, err := epgu.Run(context.Background(), epgu.Options{OutDir: t.TempDir(), SUT: epgu.SUT{Trigger: trigger.HTTP{URL: "http://127.0.0.1:1"}}})
	if err == nil || !strings.Contains(err.Error(), "--sut-cert") {
		t.Fatalf("err = %v, want one naming --sut-cert", err)
	}
}
