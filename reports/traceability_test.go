package reports_test

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	epgufixtures "github.com/shepconf/shepconf/fixtures/epgu"
	gospochtafixtures "github.com/shepconf/shepconf/fixtures/gospochta"
	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	smdofixtures "github.com/shepconf/shepconf/fixtures/smdo"
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
	// The links to scenarios are packed; the clauses and verdicts are in the page as written.
	page := b.String()
	html := reports.Unpacked(t, page)
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
		if written := matrixRow(t, page, c.id); strings.HasPrefix(c.want, `class="st `) && !strings.Contains(written, c.want) {
			t.Errorf("%s: the row as written, before any script, lacks %q: %s", c.id, c.want, written)
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

// A catalogue may carry its entries in further languages, as title_xx,reason_xx pairs after the
// four fixed columns; every entry then needs its title in each, and its reason exactly where the
// English has one, so that no reader meets an English title in a translated page.
func TestCatalogueTranslations(t *testing.T) {
	const header = "id,testable,title,reason,title_ru,reason_ru,title_kk,reason_kk\n"
	cat, err := reports.ParseCatalogue(strings.NewReader(header +
		"R-47,yes,Acceptance within a minute,,Приём в течение минуты,,Бір минут ішінде қабылдау,\n" +
		"R-50,no,Reboots are announced,organisational,О перезагрузках оповещают,организационное,Қайта жүктеу хабарланады,ұйымдастырушылық\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cat[0].Titles["kk"] != "Бір минут ішінде қабылдау" || cat[1].Reasons["ru"] != "организационное" || len(cat[0].Reasons) != 0 {
		t.Errorf("translations read as %+v", cat)
	}
	for name, c := range map[string]struct{ csv, want string }{
		"a title missing":         {header + "R-47,yes,Acceptance,,Приём,,,\n", "title_kk is empty"},
		"a reason missing":        {header + "R-50,no,Reboots,organisational,Перезагрузки,,Қайта жүктеу,ұйымдастырушылық\n", "reason_ru"},
		"a reason with no source": {header + "R-47,yes,Acceptance,,Приём,лишнее,Қабылдау,\n", "reason_ru"},
		"an unpaired column":      {"id,testable,title,reason,title_ru\nR-47,yes,Acceptance,,Приём\n", "title_xx,reason_xx"},
		"a mismatched pair":       {"id,testable,title,reason,title_ru,reason_kk\nR-47,yes,Acceptance,,Приём,\n", "title_xx,reason_xx"},
		"a short row":             {header + "R-47,yes,Acceptance,,Приём,\n", "wrong number of fields"},
	} {
		if _, err := reports.ParseCatalogue(strings.NewReader(c.csv)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one saying %q", name, err, c.want)
		}
	}
}

// Each catalogue carries its entries in the languages its readers work in: the Rules' Kazakh and
// Russian for ShEP, Russian for EPGU and Gospochta, Russian and Belarusian for SMDO.
func TestCataloguesAreInTheirReadersLanguages(t *testing.T) {
	for name, c := range map[string]struct {
		csv   io.Reader
		langs []string
	}{
		"shep":      {shepfixtures.Traceability(), []string{"ru", "kk"}},
		"epgu":      {epgufixtures.Traceability(), []string{"ru"}},
		"gospochta": {gospochtafixtures.Traceability(), []string{"ru"}},
		"smdo":      {smdofixtures.Traceability(), []string{"ru", "be"}},
	} {
		cat, err := reports.ParseCatalogue(c.csv)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, q := range cat {
			for _, lang := range c.langs {
				if q.Titles[lang] == "" || (q.Reason != "") != (q.Reasons[lang] != "") {
					t.Errorf("%s %s: no %s title or reason: %+v", name, q.ID, lang, q)
				}
			}
		}
	}
}
