package reports

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Check is one verdict record, attached to the step that made it: the rule checked, what was
// expected and observed, and the verdict. Failures in the report are rendered from these.
type Check struct {
	Rule     string `json:"rule"`
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	Passed   bool   `json:"passed"`
}

// CheckMediaType marks verdict records among a step's attachments.
const CheckMediaType = "application/vnd.shepconf.check+json"

// Run is a conformance run as the report presents it.
type Run struct {
	Title     string
	Started   time.Time
	Finished  time.Time
	TimeScale float64 // 1 = the Rules' limits; only a run at scale 1 certifies
	SUT       string  // the system under test
	Version   string  // of the harness
	Tags      string  // the tag filter of the run, if any
	Features  []Feature
}

// Verdicts of a run.
const (
	Conformant    = "CONFORMANT"
	NotConformant = "NOT CONFORMANT"
	Incomplete    = "INCOMPLETE"
)

// Summary counts the scenarios of a run and gives its verdict: NOT CONFORMANT when any scenario
// failed, INCOMPLETE when none ran or any is undefined, pending or skipped, CONFORMANT otherwise.
type Summary struct {
	Scenarios, Passed, Failed, Other int
	Verdict                          string
}

// Summary computes the run's counts and verdict.
func (r Run) Summary() Summary {
	var s Summary
	for _, f := range r.Features {
		for _, sc := range f.Scenarios {
			s.Scenarios++
			switch sc.Status() {
			case "passed":
				s.Passed++
			case "failed":
				s.Failed++
			default:
				s.Other++
			}
		}
	}
	switch {
	case s.Failed > 0:
		s.Verdict = NotConformant
	case s.Scenarios == 0 || s.Other > 0:
		s.Verdict = Incomplete
	default:
		s.Verdict = Conformant
	}
	return s
}

//go:embed report.html.tmpl
var templates embed.FS

var page = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"duration":     func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"verdictClass": func(v string) string { return "v-" + strings.ReplaceAll(strings.ToLower(v), " ", "-") },
}).ParseFS(templates, "report.html.tmpl"))

// WriteHTML writes the single-file report of r.
func WriteHTML(w io.Writer, r Run) error { return page.Execute(w, newView(r)) }

type view struct {
	Run      Run
	Summary  Summary
	Duration time.Duration
	Failures []failureView
	Clauses  []clauseView
	Features []featureView
}

type failureView struct {
	Feature, Scenario, Anchor, Step, Error string
	Checks                                 []Check
}

type clauseView struct {
	ID        string
	Scenarios []scenarioRef
	Verdict   string
}

type scenarioRef struct{ Name, Anchor, Status string }

type featureView struct {
	Name, Description string
	Scenarios         []scenarioView
}

type scenarioView struct {
	Name, Anchor, Status string
	Tags                 []string
	Duration             time.Duration
	Steps                []stepView
}

type stepView struct {
	Keyword, Name, Status, Error string
	Duration                     time.Duration
	Checks                       []Check
	Evidence                     []evidenceView
}

type evidenceView struct{ Name, Body string }

func newView(r Run) view {
	v := view{Run: r, Summary: r.Summary(), Duration: r.Finished.Sub(r.Started)}
	clauses := map[string]*clauseView{}
	n := 0
	for _, f := range r.Features {
		fv := featureView{Name: f.Name, Description: strings.TrimSpace(f.Description)}
		for _, sc := range f.Scenarios {
			n++
			sv := scenarioView{Name: sc.Name, Anchor: "s" + strconv.Itoa(n), Status: sc.Status(), Duration: sc.Duration()}
			for _, t := range append(append([]Tag(nil), f.Tags...), sc.Tags...) {
				sv.Tags = append(sv.Tags, t.Name)
			}
			for _, st := range sc.Steps {
				stv := stepView{Keyword: strings.TrimSpace(st.Keyword), Name: st.Name, Status: st.Result.Status,
					Error: st.Result.Error, Duration: time.Duration(st.Result.Duration)}
				for _, e := range st.Embeddings {
					if e.MimeType == CheckMediaType {
						var c Check
						if json.Unmarshal(e.Data, &c) == nil {
							stv.Checks = append(stv.Checks, c)
						}
						continue
					}
					stv.Evidence = append(stv.Evidence, evidenceView{Name: e.Name, Body: pretty(e.MimeType, e.Data)})
				}
				if stv.Status == "failed" {
					fail := failureView{Feature: f.Name, Scenario: sc.Name, Anchor: sv.Anchor,
						Step: stv.Keyword + " " + stv.Name, Error: stv.Error}
					for _, c := range stv.Checks {
						if !c.Passed {
							fail.Checks = append(fail.Checks, c)
						}
					}
					v.Failures = append(v.Failures, fail)
				}
				sv.Steps = append(sv.Steps, stv)
			}
			for _, id := range append(clausesOf(f.Tags), sc.Clauses()...) {
				c := clauses[id]
				if c == nil {
					c = &clauseView{ID: id, Verdict: "passed"}
					clauses[id] = c
				}
				c.Scenarios = append(c.Scenarios, scenarioRef{sc.Name, sv.Anchor, sv.Status})
				if sv.Status != "passed" && c.Verdict != "failed" {
					c.Verdict = sv.Status
				}
			}
			fv.Scenarios = append(fv.Scenarios, sv)
		}
		v.Features = append(v.Features, fv)
	}
	for _, c := range clauses {
		v.Clauses = append(v.Clauses, *c)
	}
	sort.Slice(v.Clauses, func(a, b int) bool { return clauseLess(v.Clauses[a].ID, v.Clauses[b].ID) })
	return v
}

func clausesOf(tags []Tag) []string {
	var out []string
	for _, t := range tags {
		if n := strings.TrimPrefix(t.Name, "@"); isClause(n) {
			out = append(out, n)
		}
	}
	return out
}

var numberRE = regexp.MustCompile(`\d+`)

// clauseLess orders clause IDs naturally: clauses before appendices, then by their numbers, so
// R-2.5 < R-6 < R-47 < A1-T19 < A2-T1.
func clauseLess(a, b string) bool {
	if ga, gb := a[0] == 'A', b[0] == 'A'; ga != gb {
		return !ga
	}
	na, nb := numberRE.FindAllString(a, -1), numberRE.FindAllString(b, -1)
	for i := 0; i < len(na) && i < len(nb); i++ {
		x, _ := strconv.Atoi(na[i])
		y, _ := strconv.Atoi(nb[i])
		if x != y {
			return x < y
		}
	}
	if len(na) != len(nb) {
		return len(na) < len(nb)
	}
	return a < b
}

// pretty indents XML and JSON evidence for reading; anything else is shown as it is.
func pretty(mediaType string, data []byte) string {
	switch {
	case strings.Contains(mediaType, "xml"):
		doc := etree.NewDocument()
		if doc.ReadFromBytes(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))) == nil {
			doc.Indent(2)
			if s, err := doc.WriteToString(); err == nil {
				return s
			}
		}
	case strings.Contains(mediaType, "json"):
		var b bytes.Buffer
		if json.Indent(&b, data, "", "  ") == nil {
			return b.String()
		}
	}
	return string(data)
}
