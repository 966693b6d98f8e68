package forms_test

import (
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/forms"
)

func TestDecisionFromRun(t *testing.T) {
	sc := []forms.RunScenario{
		{Feature: "Sync", Name: "answered", Status: "passed", Clauses: []string{"R-47"}},
		{Feature: "Sync", Name: "late", Status: "failed", Clauses: []string{"A2-T1", "R-22"}},
	}
	if d := (forms.RunOutcome{Verdict: "CONFORMANT", Ready: true, Scenarios: sc[:1]}).DecisionText(); !strings.Contains(d, "ready for commissioning: all 1 scenarios") {
		t.Errorf("positive decision: %q", d)
	}
	d := forms.RunOutcome{Verdict: "NOT CONFORMANT", Scenarios: sc}.DecisionText()
	if !strings.Contains(d, "not ready") || !strings.Contains(d, "- failed: Sync / late [A2-T1, R-22]") || strings.Contains(d, "answered") ||
		!strings.Contains(d, "verdict NOT CONFORMANT: 1 of 2 scenarios did not pass") {
		t.Errorf("negative decision: %q", d)
	}
	// Every scenario passed, but the run did not test what the act names: each gap is named.
	o := forms.RunOutcome{Verdict: "CONFORMANT", Ready: true, Scenarios: sc[:1], Missing: []string{"the run was a demonstration", "service K was not exercised"}}
	d = o.DecisionText()
	if o.Certifies() || !strings.Contains(d, "not ready") || !strings.Contains(d, "\n- the run was a demonstration\n- service K was not exercised") || strings.Contains(d, "did not pass") {
		t.Errorf("decision with gaps: %q", d)
	}
	if r := o.Reasons(); len(r) != 2 {
		t.Errorf("reasons: %q", r)
	}
}

func TestActFromRunLeavesTheProductionDateToTheOperator(t *testing.T) {
	act := forms.TestAct{ID: "a", Owner: "O", Initiator: "I", OwnerSystem: "OS", InitiatorSystem: "IS",
		Services: []forms.TestedService{{Name: "S", Key: "K"}}, Scenario: "s", Decision: "d"}
	if err := act.ValidateForSigning(); err != nil {
		t.Fatalf("empty field 6: %v", err)
	}
	act.ProductionDate = "next week"
	if err := act.ValidateForSigning(); err == nil || !strings.Contains(err.Error(), "A4-F field 6") {
		t.Fatalf("field 6 not a date: %v", err)
	}
	act.ProductionDate, act.Owner = "", ""
	if err := act.ValidateForSigning(); err == nil || !strings.Contains(err.Error(), "A4-F field 1.1") || strings.Contains(err.Error(), "field 6") {
		t.Fatalf("field 1.1 empty: %v", err)
	}
}

// Remarks are listed in field 4 and named in the decision, and never turn "ready" into "not ready".
func TestRemarksDoNotWithholdTheDecision(t *testing.T) {
	o := forms.RunOutcome{Verdict: "CONFORMANT", Ready: true,
		Scenarios: []forms.RunScenario{{Feature: "Transport", Name: "SHA-1", Status: "passed", Clauses: []string{"A6-S2"}}},
		Remarks:   []forms.RunRemark{{Scenario: "Transport / SHA-1", Code: "rsa-sha1", Rule: "A6-S2", Reason: "SHA-1 is weak; sign with RSA-SHA256"}}}
	if !o.Certifies() || len(o.Reasons()) != 0 {
		t.Fatalf("a run with remarks only does not certify: %q", o.Reasons())
	}
	if d := o.DecisionText(); !strings.Contains(d, "ready for commissioning") || strings.Contains(d, "not ready") || !strings.Contains(d, "1 remark(s)") || !strings.Contains(d, "rsa-sha1") {
		t.Errorf("decision: %q", d)
	}
	if s := o.ScenarioText(); !strings.Contains(s, "Remark 1. rsa-sha1 (A6-S2), Transport / SHA-1: SHA-1 is weak; sign with RSA-SHA256") {
		t.Errorf("field 4 does not list the remark: %q", s)
	}
}
