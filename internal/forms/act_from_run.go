package forms

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// RunScenario is one scenario of a conformance run as the test act lists it (A4 field 4).
type RunScenario struct {
	Feature string
	Name    string
	Status  string   // passed, failed, skipped, undefined, pending
	Clauses []string // the clause tags it proves: R-6, A1-T3, ...
}

// RunRemark is a remark of a scenario: something the real gateway tolerates but the Rules do not
// ask for (RSA-SHA1, a signed timestamp, a plain Id). It is no failure and leaves the verdict as
// it is; the act lists it so that the parties know what to prefer.
type RunRemark struct {
	Scenario string // "feature / scenario"
	Code     string // e.g. rsa-sha1
	Rule     string
	Reason   string
}

// RunOutcome is what a conformance run tells the test act: the scenarios and their verdict.
type RunOutcome struct {
	Verdict string // as the report prints it: CONFORMANT, NOT CONFORMANT, INCOMPLETE
	Ready   bool   // every scenario passed: the verdict is CONFORMANT
	// Missing is what keeps the run from supporting commissioning whatever its verdict, one
	// sentence each: a demonstration, a shrunk time scale, a role not certified, a system or
	// service of the act the run did not test.
	Missing   []string
	Date      time.Time
	Scenarios []RunScenario
	Remarks   []RunRemark // never a reason not to certify
}

// Certifies says the run supports a positive decision: every scenario passed and nothing is missing.
func (o RunOutcome) Certifies() bool { return o.Ready && len(o.Missing) == 0 }

// Reasons are why the run does not support commissioning: what is missing, then the scenarios that
// did not pass. None when it certifies.
func (o RunOutcome) Reasons() []string {
	out := append([]string(nil), o.Missing...)
	switch open := o.open(); {
	case len(o.Scenarios) == 0:
		out = append(out, "no scenario ran")
	case !o.Ready || len(open) > 0:
		out = append(out, fmt.Sprintf("verdict %s: %d of %d scenarios did not pass", o.Verdict, len(open), len(o.Scenarios)))
	}
	return out
}

func (o RunOutcome) open() []RunScenario {
	var open []RunScenario
	for _, s := range o.Scenarios {
		if s.Status != "passed" {
			open = append(open, s)
		}
	}
	return open
}

// remarkCodes are the codes of the remarks, each once.
func (o RunOutcome) remarkCodes() string {
	var codes []string
	for _, r := range o.Remarks {
		if !slices.Contains(codes, r.Code) {
			codes = append(codes, r.Code)
		}
	}
	return strings.Join(codes, ", ")
}

func (s RunScenario) line() string {
	return fmt.Sprintf("%s / %s [%s]", s.Feature, s.Name, strings.Join(s.Clauses, ", "))
}

// ScenarioText is field 4 of the act: the Rules do not prescribe its content, so it lists every
// scenario run with its status and the clauses it proves, one per line.
func (o RunOutcome) ScenarioText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Conformance scenarios of shepconf run on %s: %d scenarios.", o.Date.Format(time.DateOnly), len(o.Scenarios))
	for i, s := range o.Scenarios {
		fmt.Fprintf(&b, "\n%d. %s: %s", i+1, s.Status, s.line())
	}
	if len(o.Remarks) > 0 {
		fmt.Fprintf(&b, "\nRemarks, not failures (tolerated by the gateway, not asked for by the Rules): %d.", len(o.Remarks))
		for i, r := range o.Remarks {
			fmt.Fprintf(&b, "\nRemark %d. %s (%s), %s: %s", i+1, r.Code, r.Rule, r.Scenario, r.Reason)
		}
	}
	return b.String()
}

// DecisionText is field 5 of the act. A positive decision needs every scenario passed in a run that
// tested what the act names; otherwise integration testing continues until a positive result
// and the decision names what is missing and the scenarios that did not pass, with
// their clauses, so the parties know what to fix.
func (o RunOutcome) DecisionText() string {
	if o.Certifies() {
		ready := fmt.Sprintf("The service is ready for commissioning: all %d scenarios of the conformance run passed (verdict %s).", len(o.Scenarios), o.Verdict)
		if n := len(o.Remarks); n > 0 {
			ready += fmt.Sprintf(" The run made %d remark(s), listed in field 4 (%s): not failures, but the Rules ask for something else.", n, o.remarkCodes())
		}
		return ready
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The service is not ready for commissioning (verdict %s); integration testing continues until a positive result (R-24, R-42). What is missing:", o.Verdict)
	for _, r := range o.Reasons() {
		fmt.Fprintf(&b, "\n- %s", r)
	}
	for _, s := range o.open() {
		fmt.Fprintf(&b, "\n  - %s: %s", s.Status, s.line())
	}
	return b.String()
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
		if b.Field != "A4-F field 6" {
			kept = append(kept, b)
		}
	}
	return kept.Err()
}
