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
	if !strings.Contains(d, "not ready") || !strings.Contains(d, "- failed: Sync / late [A2-T1, R-22]") || strings.Contains(d, "answered") {
		t.Errorf("negative decision: %q", d)
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
