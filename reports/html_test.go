package reports_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/reports"
)

func scenario(name, status string, tags ...string) reports.Scenario {
	s := reports.Scenario{Name: name, Keyword: "Scenario", Steps: []reports.Step{{Keyword: "Then ", Name: "it works", Result: reports.Result{Status: status}}}}
	for _, t := range tags {
		s.Tags = append(s.Tags, reports.Tag{Name: t})
	}
	return s
}

func TestVerdicts(t *testing.T) {
	cases := []struct {
		statuses []string
		want     string
	}{
		{[]string{"passed", "passed"}, reports.Conformant},
		{[]string{"passed", "failed"}, reports.NotConformant},
		{[]string{"passed", "undefined"}, reports.Incomplete},
		{nil, reports.Incomplete},
	}
	for _, c := range cases {
		var f reports.Feature
		for _, s := range c.statuses {
			f.Scenarios = append(f.Scenarios, scenario("s", s, "@R-6"))
		}
		if got := (reports.Run{Features: []reports.Feature{f}}).Summary().Verdict; got != c.want {
			t.Errorf("%v: got %s, want %s", c.statuses, got, c.want)
		}
	}
}

// A failure must reach the reader with its rule, expectation and observation, ahead of the passes.
func TestFailureIsShownFirstWithItsRule(t *testing.T) {
	check, _ := json.Marshal(reports.Check{Rule: "A2-T1 row 1", Expected: "at most 30s", Observed: "31s", Passed: false})
	bad := scenario("slow owner", "failed", "@A2-T1")
	bad.Steps[0].Result.Error = "owner took 31s"
	bad.Steps[0].Embeddings = []reports.Embedding{{Name: "verdict", MimeType: reports.CheckMediaType, Data: check}}
	run := reports.Run{Title: "t", TimeScale: 1, Features: []reports.Feature{{Name: "Sync", Scenarios: []reports.Scenario{
		scenario("valid exchange", "passed", "@R-22"), bad}}}}
	var b bytes.Buffer
	if err := reports.WriteHTML(&b, run); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{reports.NotConformant, "A2-T1 row 1", "at most 30s", "31s", "R-22"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Index(html, "slow owner") > strings.Index(html, "valid exchange") {
		t.Error("the failed scenario is not listed before the passed one")
	}
	if strings.Contains(html, "<script src") || strings.Contains(html, `<link rel="stylesheet" href="http`) {
		t.Error("the report must work offline: no external resources")
	}
}
