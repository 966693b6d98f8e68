package smdo_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	smdoassembly "github.com/shepconf/shepconf/assembly/smdo"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/racedetect"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/smdo"
	"github.com/shepconf/shepconf/steps/stepstest"
)

// The suite's runs are sealed with a key of the tests' own, never the user's.
func TestMain(m *testing.M) { os.Exit(runseal.RunWithTemporaryKey(m)) }

// testScale shrinks the 5-minute poll period to 3 s (15 s under -race), the 10-second restart
// pause and the counterpart's delays with it.
var testScale = map[bool]float64{false: 0.01, true: 0.05}[racedetect.Enabled]

func run(t *testing.T, o smdo.Options) (steps.Result, []reports.Feature) {
	t.Helper()
	return stepstest.Run(t, func(out io.Writer) (steps.Result, error) {
		o.OutDir, o.TimeScale, o.Output, o.KeyAlgorithm = t.TempDir(), testScale, out, pki.ECDSAP256
		return smdo.Run(context.Background(), o)
	})
}

func TestSMDOSuitePassesAgainstTheReferenceSED(t *testing.T) {
	res, feats := run(t, smdo.Options{})
	stepstest.TagsAreChecked(t, feats, "SMDO-")
	if res.Summary.Verdict != reports.Conformant || res.Summary.Scenarios < 10 {
		t.Fatalf("verdict %s, %d of %d scenarios passed", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios)
	}
	if !res.Info.SUT.Demonstration || res.Info.Profile != steps.ProfileSMDO {
		t.Errorf("run.json says demonstration %v, profile %q", res.Info.SUT.Demonstration, res.Info.Profile)
	}
	if r := res.Info.Roles; len(r) != 2 || r[0].Role != smdo.RoleSender || r[1].Role != smdo.RoleReceiver || r[0].Passed+r[1].Passed != res.Summary.Scenarios {
		t.Errorf("roles %+v, want every scenario under %s or %s", r, smdo.RoleSender, smdo.RoleReceiver)
	}
	report, err := os.ReadFile(res.Report)
	if err != nil {
		t.Fatal(err)
	}
	// The traceability matrix lists the profile's own catalogue.
	for _, want := range []string{"SMDO-SIGN", "SMDO-POLL", "SMDO-TLS", "SMDO router conformance"} {
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// Each defect of the reference СЭД is caught by the scenarios of its rule, and the failure names
// that rule: a scenario that could not fail would certify nothing.
func TestSMDOScenariosCatchEachDefect(t *testing.T) {
	cases := []struct {
		defect, tags, rule string
	}{
		{"no-sig", "@SMDO-SEND && @SMDO-RECEIPT", "breaks SMDO-SIGN"},
		{"no-confirm", "@SMDO-CONFIRM && ~@SMDO-ACK", "breaks SMDO-CONFIRM"},
		{"ignore-refusal", "@SMDO-HALT && ~@SMDO-NOTICE", "breaks SMDO-HALT"},
		{"ignore-refusal", "@SMDO-ACK && @role-smdo-sender && ~@SMDO-SEND", "breaks SMDO-ACK"},
		{"poll-fast", "@SMDO-POLL", "breaks SMDO-POLL"},
		{"no-reauth", "@SMDO-TOKEN && ~@SMDO-SEND && @role-smdo-sender", "breaks SMDO-TOKEN"},
		{"no-ack", "@SMDO-ACK && @role-smdo-receiver", "breaks SMDO-ACK"},
		{"fast-restart", "@SMDO-RESTART", "breaks SMDO-RESTART"},
	}
	for _, c := range cases {
		t.Run(c.defect+" "+c.tags, func(t *testing.T) {
			t.Parallel()
			res, feats := run(t, smdo.Options{Tags: c.tags, SUT: smdo.SUT{Defects: []string{c.defect}}})
			stepstest.CaughtDefect(t, res, feats, c.defect, c.rule)
		})
	}
}

// agencySED is an agency's СЭД as the harness meets it: behind an HTTP trigger, with a certificate
// of its own CA (here the reference СЭД, which the harness does not know as such).
func agencySED(t *testing.T, h func(http.Handler) http.Handler) smdo.SUT {
	t.Helper()
	timing := smdo.Scaled(testScale)
	a := stepstest.AgencyBehindTrigger(t, "AGENCY_SED", func(id *pki.Identity) http.Handler {
		return &smdoassembly.Reference{Identity: id, PollInterval: timing.Poll, RestartPause: timing.Restart}
	}, h)
	return smdo.SUT{Trigger: trigger.HTTP{URL: a.URL + "/trigger"}, Code: "AGENCY-SED", Certificate: a.Certificate, Chain: a.Chain}
}

// An agency's СЭД reached through its HTTP trigger is certified in both roles: the run is no
// demonstration, and every scenario of the roles talked to it.
func TestSMDORunCertifiesAnAgencySEDBehindItsTrigger(t *testing.T) {
	res, _ := run(t, smdo.Options{Tags: "@SMDO-SEND,@SMDO-CONFIRM", SUT: agencySED(t, nil)})
	if res.Summary.Verdict != reports.Conformant || res.Info.SUT.Demonstration || res.Info.SUT.SystemID != "AGENCY-SED" || res.Summary.Scenarios < 3 {
		t.Fatalf("verdict %s (%d of %d), demonstration %v, system %q", res.Summary.Verdict, res.Summary.Passed,
			res.Summary.Scenarios, res.Info.SUT.Demonstration, res.Info.SUT.SystemID)
	}
}

// The roles' scenarios judge the system under test, never a reference system: a system that
// answers 503 to every trigger passes none.
func TestSMDORoleScenariosFailAgainstASystemThatDoesNothing(t *testing.T) {
	broken := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	}
	res, _ := run(t, smdo.Options{SUT: agencySED(t, broken)})
	if res.Summary.Verdict == reports.Conformant || res.Summary.Passed != 0 {
		t.Fatalf("verdict %s, %d of %d passed against a system that does nothing", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios)
	}
}

func TestSMDORunRefusesASystemWithoutItsCertificate(t *testing.T) {
	_, err := smdo.Run(context.Background(), smdo.Options{OutDir: t.TempDir(), SUT: smdo.SUT{Trigger: trigger.HTTP{URL: "http://127.0.0.1:1"}}})
	if err == nil || !strings.Contains(err.Error(), "--sut-cert") {
		t.Fatalf("err = %v, want one naming --sut-cert", err)
	}
}
