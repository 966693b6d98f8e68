package gospochta_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	gpassembly "github.com/shepconf/shepconf/assembly/gospochta"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/racedetect"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/gospochta"
	"github.com/shepconf/shepconf/steps/stepstest"
)

// The suite's runs are sealed with a key of the tests' own, never the user's.
func TestMain(m *testing.M) { os.Exit(runseal.RunWithTemporaryKey(m)) }

// testScale shrinks the 5 minutes of delivery confirmation to 3 s (15 s under -race) and every
// other period with them.
var testScale = map[bool]float64{false: 0.01, true: 0.05}[racedetect.Enabled]

func run(t *testing.T, o gospochta.Options) (steps.Result, []reports.Feature) {
	t.Helper()
	return stepstest.Run(t, func(out io.Writer) (steps.Result, error) {
		o.OutDir, o.TimeScale, o.Output, o.KeyAlgorithm = t.TempDir(), testScale, out, pki.ECDSAP256
		return gospochta.Run(context.Background(), o)
	})
}

func TestGospochtaSuitePassesAgainstTheReferenceSystem(t *testing.T) {
	res, feats := run(t, gospochta.Options{})
	stepstest.TagsAreChecked(t, feats, "GP-")
	if res.Summary.Verdict != reports.Conformant || res.Summary.Scenarios < 10 {
		t.Fatalf("verdict %s, %d of %d scenarios passed:\n%s", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios, stepstest.Failures(feats))
	}
	if !res.Info.SUT.Demonstration || res.Info.Profile != steps.ProfileGospochta {
		t.Errorf("run.json says demonstration %v, profile %q", res.Info.SUT.Demonstration, res.Info.Profile)
	}
	if r := res.Info.Roles; len(r) != 2 || r[0].Role != gospochta.RoleSender || r[1].Role != gospochta.RoleReader || r[0].Passed+r[1].Passed != res.Summary.Scenarios {
		t.Errorf("roles %+v, want every scenario under %s or %s", r, gospochta.RoleSender, gospochta.RoleReader)
	}
	report, err := os.ReadFile(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"GP-W-HMAC", "GP-R-QUOTA", "GP-W-SOAP", "Gospochta conformance"} {
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// Each defect of the reference system is caught by the scenarios of its rule, and the failure names
// that rule: a scenario that could not fail would certify nothing.
func TestGospochtaScenariosCatchEachDefect(t *testing.T) {
	cases := []struct {
		defect, tags, rule string
	}{
		{"expired-token", "@GP-W-REFRESH", "breaks GP-W-REFRESH"},
		{"wrong-role", "@GP-W-MTLS", "breaks GP-W-ROLE"},
		{"bad-hmac", "@GP-W-MTLS", "breaks GP-W-HMAC"},
		{"tampered-ciphertext", "@GP-W-MTLS", "breaks GP-W-ENC"},
		{"unsigned", "@GP-W-MTLS", "breaks GP-W-SIGN"},
		{"wide-range", "@GP-R-LEGAL", "breaks GP-R-RANGE"},
		{"quota", "@GP-R-LEGAL", "breaks GP-R-QUOTA"},
	}
	for _, c := range cases {
		t.Run(c.defect, func(t *testing.T) {
			t.Parallel()
			res, feats := run(t, gospochta.Options{Tags: c.tags, SUT: gospochta.SUT{Defects: []string{c.defect}}})
			stepstest.CaughtDefect(t, res, feats, c.defect, c.rule)
		})
	}
}

func TestOptionsAreChecked(t *testing.T) {
	for _, o := range []gospochta.Options{
		{SUT: gospochta.SUT{Defects: []string{"no-such-defect"}}},
		{SUT: gospochta.SUT{Roles: []string{"gospochta-courier"}}},
	} {
		if _, err := gospochta.Run(context.Background(), o); err == nil {
			t.Errorf("%+v: want an error", o.SUT)
		}
	}
}

// agencySystem is an agency's system as the harness meets it: behind an HTTP trigger, with a
// certificate of its own CA (here the reference system, which the harness does not know as such;
// it learns where Gospochta pushes its states from the address it is triggered at).
func agencySystem(t *testing.T, h func(http.Handler) http.Handler) gospochta.SUT {
	t.Helper()
	a := stepstest.AgencyBehindTrigger(t, "AGENCY_GP", func(id *pki.Identity) http.Handler {
		return &gpassembly.Reference{Identity: id, PollPause: gospochta.Scaled(testScale).Poll}
	}, h)
	return gospochta.SUT{Trigger: trigger.HTTP{URL: a.URL + gpassembly.TriggerPath}, Mnemonic: "AGENCY_GP", Certificate: a.Certificate, Chain: a.Chain}
}

// An agency's system reached through its HTTP trigger is certified in both roles, the load driven
// by vegeta against its trigger: the run is no demonstration.
func TestGospochtaRunCertifiesAnAgencySystemBehindItsTrigger(t *testing.T) {
	res, feats := run(t, gospochta.Options{Tags: "@GP-W-STATES,@GP-W-FAILRATE,@GP-R-LEGAL", SUT: agencySystem(t, nil)})
	if res.Summary.Verdict != reports.Conformant || res.Info.SUT.Demonstration || res.Info.SUT.SystemID != "AGENCY_GP" || res.Summary.Scenarios < 3 {
		t.Fatalf("verdict %s (%d of %d), demonstration %v, system %q:\n%s", res.Summary.Verdict, res.Summary.Passed,
			res.Summary.Scenarios, res.Info.SUT.Demonstration, res.Info.SUT.SystemID, stepstest.Failures(feats))
	}
}

// The roles' scenarios judge the system under test, never a reference system: a system that
// answers 503 to every trigger, or reports every action failed without doing it, passes none.
func TestGospochtaRoleScenariosFailAgainstASystemThatDoesNothing(t *testing.T) {
	for name, answer := range map[string]http.HandlerFunc{
		"503": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) },
		"failed": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"outcome":"failed","error":"refused","code":"access.denied"}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			res, feats := run(t, gospochta.Options{Tags: "~@load", SUT: agencySystem(t, func(http.Handler) http.Handler { return answer })})
			if res.Summary.Verdict == reports.Conformant || res.Summary.Passed != 0 {
				t.Fatalf("verdict %s, %d of %d passed against a system that does nothing:\n%s", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios, stepstest.Failures(feats))
			}
		})
	}
}

func TestGospochtaRunRefusesASystemWithoutItsCertificate(t *testing.T) {
	_, err := gospochta.Run(context.Background(), gospochta.Options{OutDir: t.TempDir(), SUT: gospochta.SUT{Trigger: trigger.HTTP{URL: "http://127.0.0.1:1"}}})
	if err == nil || !strings.Contains(err.Error(), "--sut-cert") {
		t.Fatalf("err = %v, want one naming --sut-cert", err)
	}
}
