package forms

import (
	"time"

	"github.com/shepconf/shepconf/internal/clock"
)

// RunScenario is one scenario of a conformance run as the test act lists it (A4 field 4).
type RunScenario struct {
	Status  string `xml:"status,attr"` // passed, failed, skipped, undefined, pending
	Feature string `xml:"feature,attr"`
	Name    string `xml:"name,attr"`
	Clauses IDList `xml:"clauses,attr,omitempty"` // the clause tags it proves: R-6, A1-T3, ...
}

// RunRemark is a remark of a scenario: something the real gateway tolerates but the Rules do not
// ask for (RSA-SHA1, a signed timestamp, a plain Id). It is no failure and leaves the verdict as
// it is; the act lists it so that the parties know what to prefer.
type RunRemark struct {
	Code     string `xml:"code,attr"` // e.g. rsa-sha1
	Rule     string `xml:"rule,attr"`
	Feature  string `xml:"feature,attr"`
	Scenario string `xml:"scenario,attr"`
	// Reason is the run's own English sentence. The act keeps the code, which each rendering
	// words in its language (remarkTexts), so that the signed act holds no prose; the reason stays
	// in the sealed run, and the command prints it.
	Reason string `xml:"-"`
}

// RunOutcome is what a conformance run tells the test act: the scenarios and their verdict.
type RunOutcome struct {
	Verdict string // as the report prints it: CONFORMANT, NOT CONFORMANT, INCOMPLETE
	Ready   bool   // every scenario passed: the verdict is CONFORMANT
	// Missing is what keeps the run from supporting commissioning whatever its verdict: a
	// demonstration, a shrunk time scale, a role not certified, a system or service of the act the
	// run did not test.
	Missing   []Gap
	Date      time.Time
	Seal      *RunSeal // the run's results as the harness sealed them
	Scenarios []RunScenario
	Remarks   []RunRemark // never a reason not to certify
}

// Certifies says the run supports a positive decision: every scenario passed and nothing is missing.
func (o RunOutcome) Certifies() bool { return o.Ready && len(o.Missing) == 0 }

// Gaps are why the run does not support commissioning: what is missing, then that the scenarios
// did not all pass. None when it certifies.
func (o RunOutcome) Gaps() []Gap {
	out := append([]Gap(nil), o.Missing...)
	switch open := len(openScenarios(o.Scenarios)); {
	case len(o.Scenarios) == 0:
		out = append(out, Gap{Code: GapNoScenario})
	case !o.Ready || open > 0:
		out = append(out, Gap{Code: GapScenariosNotPassed, Verdict: o.Verdict, Open: open, Total: len(o.Scenarios)})
	}
	return out
}

func openScenarios(all []RunScenario) []RunScenario {
	var open []RunScenario
	for _, s := range all {
		if s.Status != "passed" {
			open = append(open, s)
		}
	}
	return open
}

// TestingScenario is field 4 of the act: the Rules do not prescribe its content, so it records the
// run and lists every scenario run with its status and the clauses it proves, then the remarks.
func (o RunOutcome) TestingScenario() *TestingScenario {
	return &TestingScenario{Date: o.Date.In(clock.Astana).Format(time.DateOnly), Verdict: o.Verdict, Seal: o.Seal,
		Scenarios: o.Scenarios, Remarks: o.Remarks}
}

// TestingDecision is field 5 of the act. A positive decision needs every scenario passed in a run
// that tested what the act names; otherwise integration testing continues until a positive result
// and the decision names each gap so that the parties know what to fix.
func (o RunOutcome) TestingDecision() *TestingDecision {
	if o.Certifies() {
		return &TestingDecision{Code: Ready}
	}
	return &TestingDecision{Code: NotReady, Gaps: o.Gaps()}
}

// ValidateForSigning is Validate for an act formed from a run: the date of transfer to the
// production environment (field 6) may still be empty, since the operator sets it when it agrees
// the act; when filled it must be a date.
func (a TestAct) ValidateForSigning() error {
	err := a.Validate()
	if err == nil || a.ProductionDate != "" {
		return err
	}
	var kept Problems
	for _, b := range err.(Problems) {
		if b.Field.String() != "A4-F field 6" {
			kept = append(kept, b)
		}
	}
	return kept.Err()
}
