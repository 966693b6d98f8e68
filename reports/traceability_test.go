package reports_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/reports"
)

// The embedded catalogue lists every clause of the Rules and every appendix table, and says why
// an entry cannot be tested whenever it says it cannot.
func TestCatalogueListsEveryClauseAndTable(t *testing.T) {
	cat, err := reports.ParseCatalogue(shepfixtures.Traceability())
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]reports.Requirement{}
	for _, q := range cat {
		have[q.ID] = q
	}
	var want []string
	for i := 1; i <= 64; i++ {
		want = append(want, fmt.Sprintf("R-%d", i))
	}
	for i := 1; i <= 23; i++ {
		want = append(want, fmt.Sprintf("A1-T%d", i))
	}
	want = append(want, "A1-P1", "A1-P5", "A2-F", "A2-T1", "A2-T2", "A3-F", "A4-F", "A5-F", "A6-S1", "A6-S2", "A6-S3", "R-2.5")
	for _, id := range want {
		if _, ok := have[id]; !ok {
			t.Errorf("catalogue lacks %s", id)
		}
	}
	for _, id := range []string{"R-1", "R-50", "R-52", "R-63"} {
		if q := have[id]; q.Testable || q.Reason == "" {
			t.Errorf("%s is organisational or legal: want testable=no with a reason, got %+v", id, q)
		}
	}
}

func TestCatalogueRejectsAnUntestableEntryWithoutReason(t *testing.T) {
	_, err := reports.ParseCatalogue(strings.NewReader("id,testable,title,reason\nR-50,no,Reboots are announced,\n"))
	if err == nil || !strings.Contains(err.Error(), "R-50") || !strings.Contains(err.Error(), "reason") {
		t.Fatalf("want an error naming R-50 and the reason column, got %v", err)
	}
	if _, err := reports.ParseCatalogue(strings.NewReader("id,testable,title,reason\nR-6,maybe,Registry,\n")); err == nil {
		t.Fatal("testable=maybe accepted")
	}
}

var catalogue = []reports.Requirement{
	{ID: "R-2", Title: "Definitions", Reason: "definitions"},
	{ID: "R-6", Title: "Registry", Testable: true},
	{ID: "R-22", Title: "Confirmation", Testable: true},
	{ID: "R-47", Title: "Acceptance", Testable: true},
	{ID: "R-50", Title: "Reboots", Reason: "organisational"},
	{ID: "A5-F", Title: "Connection form", Testable: true},
}

// matrixRow returns the traceability row of a clause as rendered.
func matrixRow(t *testing.T, html, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr class="[^"]*" id="c-` + regexp.QuoteMeta(id) + `">.*?</tr>`).FindString(html)
	if m == "" {
		t.Fatalf("no matrix row for %s", id)
	}
	return m
}

func TestTraceabilityMatrix(t *testing.T) {
	run := reports.Run{TimeScale: 1, Catalogue: catalogue, Features: []reports.Feature{{Name: "F", Scenarios: []reports.Scenario{
		scenario("registry refusal", "passed", "@R-6", "@R-2.5"),
		scenario("slow owner", "failed", "@R-22", "@R-99"),
		scenario("confirmation", "passed", "@R-22", "@A5"),
	}}}}
	var b bytes.Buffer
	if err := reports.WriteHTML(&b, run); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	cases := []struct{ id, want, not string }{
		{"R-6", `class="st passed"`, ""},
		{"R-22", `class="st failed"`, `class="st passed"`},       // one failing scenario fails the clause
		{"R-47", `class="st uncovered"`, `class="st passed"`},    // no scenario: uncovered, never passed
		{"R-2", "registry refusal", ""},                          // is not listed: counts for R-2
		{"R-50", `class="st not-testable"`, `class="st passed"`}, // organisational
		{"A5-F", "confirmation", ""},                             // a bare appendix tag names its form
	}
	for _, c := range cases {
		row := matrixRow(t, html, c.id)
		if !strings.Contains(row, c.want) {
			t.Errorf("%s: row lacks %q: %s", c.id, c.want, row)
		}
		if c.not != "" && strings.Contains(row, c.not) {
			t.Errorf("%s: row has %q: %s", c.id, c.not, row)
		}
	}
	// Testable, A5-F; covered, A5-F.
	if !strings.Contains(html, "<b>3 / 4</b> (75%)") {
		t.Error("coverage figure is not 3 / 4 (75%)")
	}
	if !strings.Contains(html, "<strong>@R-99</strong>") {
		t.Error("a clause tag outside the catalogue is not listed")
	}
}

// Every fixed string has Russian and Kazakh versions, and the page carries them for its switch.
func TestReportIsTranslated(t *testing.T) {
	var b bytes.Buffer
	if err := reports.WriteHTML(&b, reports.Run{TimeScale: 0.01, LoadCompression: 60}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{"ТЕКСЕРУ АЯҚТАЛМАҒАН", "ПРОВЕРКА НЕ ЗАВЕРШЕНА", "ЭҮШ", "ШЭП", `data-verdict="INCOMPLETE"`, "Load compression"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(html, `data-t=""`) {
		t.Error("a string is marked for translation without a key")
	}
}

func TestChartsDrawTheLimit(t *testing.T) {
	m := reports.Measurement{Name: "owner processing time", Rule: "A2-T1 row 1", Unit: "s", Limit: 30,
		Samples: []reports.Sample{{At: 0, Value: 5}, {At: 1e9, Value: 12}, {At: 2e9, Value: 31}}}
	for name, svg := range map[string]string{"histogram": string(reports.Histogram(m)), "over time": string(reports.OverTime(m))} {
		if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "limit 30 s (A2-T1 row 1)") || !strings.Contains(svg, "#cf222e") {
			t.Errorf("%s: no limit line or no sample beyond it drawn: %s", name, svg)
		}
	}
	if s := m.Stats(); s.Count != 3 || s.Max != 31 || s.OverLimit != 1 || s.Mean != 16 {
		t.Errorf("stats %+v", s)
	}
	m.Limit = 0
	if svg := string(reports.OverTime(m)); strings.Contains(svg, "limit") || strings.Contains(svg, "<circle") {
		t.Errorf("a measurement without a limit drew one: %s", svg)
	}
}
