package reports_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/msg"
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
	run := reports.Run{Title: msg.Raw("t"), TimeScale: 1, Features: []reports.Feature{{Name: "Sync", Scenarios: []reports.Scenario{
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

// A run of the built-in sample system says on top that it certifies nothing; a run of an agency's
// system says instead what was tested: the system, each role with its counts, services and scenarios.
func TestReportSaysWhatWasTested(t *testing.T) {
	const banner = "DEMONSTRATION — the built-in sample agency system was tested; this run certifies nothing"
	feats := []reports.Feature{{Name: "Sync owner", Scenarios: []reports.Scenario{scenario("answered", "passed", "@R-47")}}}
	write := func(r reports.Run) string {
		t.Helper()
		var b bytes.Buffer
		if err := reports.WriteHTML(&b, r); err != nil {
			t.Fatal(err)
		}
		return reports.Unpacked(t, b.String())
	}

	demo := write(reports.Run{TimeScale: 1, Features: feats, SUT: msg.Raw("demonstration"), System: reports.SystemUnderTest{Demonstration: true, SystemID: "AGENCY_SYS"},
		Roles: []reports.RoleResult{{Role: "sync-owner", Passed: 1}}})
	if !strings.Contains(demo, `id="demonstration"`) || !strings.Contains(demo, banner) {
		t.Error("a demonstration's report lacks the banner")
	}
	if strings.Contains(demo, `data-t="role-certified"`) || !strings.Contains(demo, `data-t="role-demonstration"`) {
		t.Error("a demonstration's report calls a role certified")
	}

	agency := write(reports.Run{TimeScale: 1, Features: feats, SUT: msg.Raw("system MJ_IS in the container image agency:1"),
		System: reports.SystemUnderTest{SystemID: "MJ_IS", BIN: "100140000002", Image: "agency:1", Digest: "sha256:0a1b", Trigger: "HTTP http://127.0.0.1:9/trigger"},
		Roles: []reports.RoleResult{
			{Role: "sync-owner", Passed: 3, Services: []string{"OWN_SERVICE"}, Scenarios: []string{"passed: Sync owner / answered"}},
			{Role: "async-sender", Passed: 1, Failed: 2, Services: []string{"NOTIFY"}},
		}})
	if strings.Contains(agency, banner) || strings.Contains(agency, `id="demonstration"`) {
		t.Error("an agency run's report carries the demonstration banner")
	}
	for _, want := range []string{"MJ_IS, 100140000002", "agency:1", "sha256:0a1b", "HTTP http://127.0.0.1:9/trigger",
		`id="role-sync-owner"`, "OWN_SERVICE", "</span> Sync owner / answered", `id="role-async-sender"`, "NOTIFY"} {
		if !strings.Contains(agency, want) {
			t.Errorf("an agency run's report lacks %q", want)
		}
	}
	row := func(role string) string {
		i := strings.Index(agency, `id="role-`+role+`"`)
		if i < 0 {
			return ""
		}
		end := strings.Index(agency[i:], "</tr>")
		return agency[i : i+end]
	}
	if r := row("sync-owner"); !strings.Contains(r, `data-t="role-certified"`) || !strings.Contains(r, `<td class="num">3</td>`) {
		t.Errorf("the certified role's row: %s", r)
	}
	if r := row("async-sender"); !strings.Contains(r, `data-t="role-not-certified"`) || !strings.Contains(r, `<td class="num">2</td>`) {
		t.Errorf("the role with failed scenarios: %s", r)
	}
}

// remarked is a passed scenario whose step attached a remark.
func remarked(name, code string, tags ...string) reports.Scenario {
	s := scenario(name, "passed", tags...)
	r, _ := json.Marshal(reports.Remark{Code: code, Rule: "A6-S2", Reason: "tolerated by the gateway; prefer RSA-SHA256"})
	s.Steps[0].Embeddings = []reports.Embedding{{Name: "remark " + code, MimeType: reports.RemarkMediaType, Data: r}}
	return s
}

// Remarks leave the verdict CONFORMANT and are listed apart from failures, in their own section
// and on their scenario, each with its code, clause and reason.
func TestRemarksAreListedApartFromFailures(t *testing.T) {
	run := reports.Run{TimeScale: 1, KeyAlgorithm: "ECDSA P-256", Features: []reports.Feature{{Name: "Transport", Scenarios: []reports.Scenario{
		remarked("SHA-1 accepted", "rsa-sha1", "@A6-S2"), scenario("valid exchange", "passed", "@R-22")}}}}
	s := run.Summary()
	if s.Verdict != reports.Conformant || s.Remarks != 1 {
		t.Fatalf("summary %+v, want CONFORMANT with 1 remark", s)
	}
	var b bytes.Buffer
	if err := reports.WriteHTML(&b, run); err != nil {
		t.Fatal(err)
	}
	html := reports.Unpacked(t, b.String())
	section := html[strings.Index(html, `<h2 id="remarks">`):]
	section = section[:strings.Index(section, "<h2 id=\"matrix\">")]
	for _, want := range []string{"SHA-1 accepted", "rsa-sha1", "A6-S2", "tolerated by the gateway; prefer RSA-SHA256"} {
		if !strings.Contains(section, want) {
			t.Errorf("the Remarks section lacks %q", want)
		}
	}
	if strings.Contains(html, `id="failures"`) {
		t.Error("a remark is listed as a failure")
	}
	for _, want := range []string{`id="remark-count"`, `class="remark-line"`, `id="key-algorithm"`, "ECDSA P-256"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if got := reports.Remarks(run.Features); len(got) != 1 || got[0].Scenario != "SHA-1 accepted" || got[0].Feature != "Transport" {
		t.Errorf("remarks of the run: %+v", got)
	}
}

// The suite's own texts carry their translations into the page: a scenario of an outline finds
// the outline's translation with its placeholder filled from the scenario as it ran, a step its
// own, the step's keyword is translated, and a text without a translation stays as written.
func TestSuiteTextsCarryTheirTranslations(t *testing.T) {
	sc := scenario("A court-notice reaches its recipient", "passed", "@R-6")
	sc.Steps = append(sc.Steps, reports.Step{Keyword: "And ", Name: `the password is "[redacted]"`, Result: reports.Result{Status: "passed"}})
	f := reports.Feature{Name: "Sending", Scenarios: []reports.Scenario{sc}}
	run := reports.Run{Features: []reports.Feature{f}, Texts: reports.Texts{
		"A <kind> reaches its recipient": {"ru": "<kind> доходит до получателя", "kk": "<kind> алушыға жетеді"},
		"it works":                       {"ru": "это работает", "kk": "бұл жұмыс істейді"},
		`the password is "s3cret"`:       {"ru": `пароль "s3cret"`, "kk": `құпиясөз "s3cret"`},
	}}
	var out bytes.Buffer
	if err := reports.WriteHTML(&out, run); err != nil {
		t.Fatal(err)
	}
	page := reports.Unpacked(t, out.String())
	for _, want := range []string{
		`data-tr="{&#34;kk&#34;:&#34;court-notice алушыға жетеді&#34;,&#34;ru&#34;:&#34;court-notice доходит до получателя&#34;}">A court-notice reaches its recipient</span>`,
		`&#34;ru&#34;:&#34;это работает&#34;}">it works</span>`,
		`<span data-t="kw-then">Then</span>`,
		// A value the report shows otherwise than the feature file (redacted) keeps its translation.
		`&#34;ru&#34;:&#34;пароль \&#34;[redacted]\&#34;&#34;}">the password is &#34;[redacted]&#34;</span>`,
		`<h3>Sending</h3>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// Links, the language switch and the packs find elements by id: no two may share one, not even
// once the page has unpacked its scenarios (evidence e1 and the pack of a feature's evidence).
func TestIDsAreUnique(t *testing.T) {
	run := reports.Run{Features: []reports.Feature{{Name: "F", Scenarios: []reports.Scenario{scenario("a", "passed"), scenario("b", "failed")}}}}
	for i := range run.Features[0].Scenarios {
		run.Features[0].Scenarios[i].Steps[0].Embeddings = []reports.Embedding{{Name: "m.xml", MimeType: "application/xml", Data: fmt.Appendf(nil, "<m>%d</m>", i)}}
	}
	var b bytes.Buffer
	if err := reports.WriteHTML(&b, run); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(reports.Unpacked(t, b.String()), -1) {
		if seen[m[1]] {
			t.Errorf("two elements have the id %q", m[1])
		}
		seen[m[1]] = true
	}
	if !seen["e2"] || !seen["s2"] {
		t.Errorf("the page lacks the ids of its evidence or scenarios: %v", seen)
	}
}
