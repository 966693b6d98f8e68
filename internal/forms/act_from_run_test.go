package forms_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/forms"
)

// actOf is an act whose fields 4 and 5 are drawn from o.
func actOf(o forms.RunOutcome) forms.TestAct {
	return forms.TestAct{ID: "a", Owner: "O", Initiator: "I", OwnerSystem: "OS", InitiatorSystem: "IS",
		Services: []forms.TestedService{{Name: "S", Key: "K"}}, TestingScenario: o.TestingScenario(), TestingDecision: o.TestingDecision()}
}

func TestDecisionFromRun(t *testing.T) {
	sc := []forms.RunScenario{
		{Feature: "Sync", Name: "answered", Status: "passed", Clauses: []string{"R-47"}},
		{Feature: "Sync", Name: "late", Status: "failed", Clauses: []string{"A2-T1", "R-22"}},
	}
	ready := forms.RunOutcome{Verdict: "CONFORMANT", Ready: true, Scenarios: sc[:1]}
	if d := ready.TestingDecision(); d.Code != forms.Ready || len(d.Gaps) != 0 {
		t.Errorf("positive decision: %+v", d)
	}
	if d, missing := actOf(ready).DecisionIn(forms.English); !strings.Contains(d, "ready for commissioning: all 1 scenarios") || missing != nil {
		t.Errorf("positive decision in English: %q %q", d, missing)
	}

	notReady := forms.RunOutcome{Verdict: "NOT CONFORMANT", Scenarios: sc}
	want := []forms.Gap{{Code: forms.GapScenariosNotPassed, Verdict: "NOT CONFORMANT", Open: 1, Total: 2}}
	if d := notReady.TestingDecision(); d.Code != forms.NotReady || !slices.EqualFunc(d.Gaps, want, gapEqual) {
		t.Errorf("negative decision: %+v", d)
	}
	d, missing := actOf(notReady).DecisionIn(forms.English)
	if !strings.Contains(d, "not ready") || !slices.Equal(missing, []string{"verdict NOT CONFORMANT: 1 of 2 scenarios did not pass"}) {
		t.Errorf("negative decision in English: %q %q", d, missing)
	}

	// Every scenario passed, but the run did not test what the act names: each gap is named, and
	// the scenarios are not blamed.
	gaps := []forms.Gap{{Code: forms.GapDemonstration}, {Code: forms.GapServiceNotExercised, Service: "K"}}
	o := forms.RunOutcome{Verdict: "CONFORMANT", Ready: true, Scenarios: sc[:1], Missing: gaps}
	if dec := o.TestingDecision(); o.Certifies() || dec.Code != forms.NotReady || !slices.EqualFunc(dec.Gaps, gaps, gapEqual) {
		t.Errorf("decision with gaps: %+v", dec)
	}
	_, missing = actOf(o).DecisionIn(forms.English)
	if len(missing) != 2 || !strings.Contains(missing[0], "demonstration") || !strings.Contains(missing[1], "service K was not exercised in a certified role of the run (services exercised: none)") {
		t.Errorf("gaps in English: %q", missing)
	}
	if g := (forms.RunOutcome{Verdict: "INCOMPLETE"}).Gaps(); len(g) != 1 || g[0].Code != forms.GapNoScenario {
		t.Errorf("a run without a scenario: %+v", g)
	}
}

func gapEqual(a, b forms.Gap) bool {
	return a.Code == b.Code && a.Verdict == b.Verdict && a.Open == b.Open && a.Total == b.Total && a.Service == b.Service
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

// Fields 4 and 5 drawn from a run are checked as such: one form of each field, a decision with its
// run, and a decision that agrees with its gaps.
func TestActDrawnFromARunIsValidated(t *testing.T) {
	run := forms.RunOutcome{Verdict: "CONFORMANT", Ready: true, Scenarios: []forms.RunScenario{{Feature: "F", Name: "n", Status: "passed"}}}
	if err := actOf(run).ValidateForSigning(); err != nil {
		t.Fatalf("an act drawn from a run: %v", err)
	}
	cases := []struct {
		name   string
		change func(*forms.TestAct)
		want   string
	}{
		{"free text beside the run", func(a *forms.TestAct) { a.Scenario = "s" }, "A4-F field 4: breaks A4-F: expected free text or the record of a run; observed both"},
		{"a decision in both forms", func(a *forms.TestAct) { a.Decision = "d" }, "A4-F field 5: breaks A4-F: expected free text or a decision drawn from a run; observed both"},
		{"a decision without its run", func(a *forms.TestAct) { a.TestingScenario, a.Scenario = nil, "s" }, "expected the run the decision is drawn from, in field 4"},
		{"ready with a gap", func(a *forms.TestAct) { a.TestingDecision.Gaps = []forms.Gap{{Code: forms.GapDemonstration}} }, "expected a positive decision with nothing missing"},
		{"not ready without a gap", func(a *forms.TestAct) { a.TestingDecision.Code = forms.NotReady }, "expected what keeps the service from commissioning"},
		{"a decision of no known code", func(a *forms.TestAct) { a.TestingDecision.Code = "maybe" }, `expected the decision ready or not-ready; observed "maybe"`},
		{"a run without a date", func(a *forms.TestAct) { a.TestingScenario.Date = "" }, "expected the date of the run, YYYY-MM-DD"},
		{"a run without a verdict", func(a *forms.TestAct) { a.TestingScenario.Verdict = "" }, "A4-F field 4 (verdict)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			act := actOf(run)
			c.change(&act)
			if err := act.ValidateForSigning(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("want %q, got %v", c.want, err)
			}
		})
	}
}

// Remarks are listed in field 4 and named in the decision, and never turn "ready" into "not ready".
func TestRemarksDoNotWithholdTheDecision(t *testing.T) {
	o := forms.RunOutcome{Verdict: "CONFORMANT", Ready: true,
		Scenarios: []forms.RunScenario{{Feature: "Transport", Name: "SHA-1", Status: "passed", Clauses: []string{"A6-S2"}}},
		Remarks:   []forms.RunRemark{{Feature: "Transport", Scenario: "SHA-1", Code: "rsa-sha1", Rule: "A6-S2", Reason: "SHA-1 is weak; sign with RSA-SHA256"}}}
	if !o.Certifies() || len(o.Gaps()) != 0 {
		t.Fatalf("a run with remarks only does not certify: %+v", o.Gaps())
	}
	if d, _ := actOf(o).DecisionIn(forms.English); !strings.Contains(d, "ready for commissioning") || strings.Contains(d, "not ready") || !strings.Contains(d, "1 remark(s)") || !strings.Contains(d, "rsa-sha1") {
		t.Errorf("decision: %q", d)
	}
	if r := o.TestingScenario().Remarks; len(r) != 1 || r[0].Code != "rsa-sha1" || r[0].Rule != "A6-S2" || r[0].Scenario != "SHA-1" {
		t.Errorf("field 4 does not list the remark: %+v", r)
	}
}
