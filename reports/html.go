package reports

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/redact"
)

// Check is one verdict record, attached to the step that made it: the rule checked, what was
// expected and observed, and the verdict. Failures in the report are rendered from these.
type Check struct {
	Rule     string `json:"rule"`
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	Passed   bool   `json:"passed"`
	// ExpectedIn and ObservedIn are the same texts by language code, for a report read in Russian
	// or Kazakh; absent in records of earlier runs.
	ExpectedIn map[string]string `json:"expected_in,omitempty"`
	ObservedIn map[string]string `json:"observed_in,omitempty"`
}

// CheckMediaType marks verdict records among a step's attachments.
const CheckMediaType = "application/vnd.shepconf.check+json"

// FailureMediaType marks a failed step's error by language code ({"en": …, "ru": …, "kk": …}).
const FailureMediaType = "application/vnd.shepconf.failure+json"

// Run is a conformance run as the report presents it.
type Run struct {
	Title           msg.Text // empty for the translated default title
	Started         time.Time
	Finished        time.Time
	TimeScale       float64  // 1 = the Rules' limits; only a run at scale 1 certifies
	LoadCompression float64  // load tests: the Appendix 2 hourly rates sent this many times faster; 0 = none ran
	SUT             msg.Text // the system under test, in a sentence
	System          SystemUnderTest
	Roles           []RoleResult // the roles the run certified the system in, with their outcome
	Version         string       // of the harness
	KeyAlgorithm    string       // of the certificates the run issued: RSA-2048 or ECDSA P-256
	Tags            string       // the tag filter of the run, if any
	Features        []Feature
	Measurements    []Measurement // drawn as charts with their limits (load results, owner times)
	Catalogue       []Requirement // the profile's clauses, which the traceability matrix lists
	// Texts are the suite's names and steps in the report's other languages.
	Texts Texts
	// Languages the report offers besides English (ru, kk, be); nil: the Rules' Russian and Kazakh.
	Languages []string
}

// SystemUnderTest names the system a run tested, as run.json does.
type SystemUnderTest struct {
	// Demonstration says the run tested the built-in sample agency system: it certifies nothing.
	Demonstration bool
	SystemID, BIN string
	URL           string // for a system reached at a URL
	Image, Digest string // for a system run from a container image
	Trigger       string // how the harness made it send
}

// RoleResult is what a run proved of one role of the system under test.
type RoleResult struct {
	Role                    string
	Passed, Failed, Skipped int
	Services                []string // the services the system was exercised on in this role
	Scenarios               []string // "status: feature / scenario", every scenario of the role that ran
}

// Certified says every scenario of the role that ran passed, and at least one ran.
func (r RoleResult) Certified() bool { return r.Passed > 0 && r.Failed == 0 && r.Skipped == 0 }

// Verdicts of a run.
const (
	Conformant    = "CONFORMANT"
	NotConformant = "NOT CONFORMANT"
	Incomplete    = "INCOMPLETE"
)

// Summary counts the scenarios of a run and gives its verdict: NOT CONFORMANT when any scenario
// failed, INCOMPLETE when none ran or any is undefined, pending or skipped, CONFORMANT otherwise.
// Remarks never change the verdict: a run can be CONFORMANT with remarks.
type Summary struct {
	Scenarios, Passed, Failed, Other int
	Remarks                          int // remarks of all scenarios (see Remark)
	Verdict                          string
}

// Summary computes the run's counts and verdict.
func (r Run) Summary() Summary {
	var s Summary
	for _, f := range r.Features {
		for _, sc := range f.Scenarios {
			s.Scenarios++
			s.Remarks += len(sc.Remarks())
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
	"verdictClass": verdictClass,
	"t":            translate,
	"keyword":      keyword,
	"status":       status,
	"num":          num,
}).ParseFS(templates, "report.html.tmpl"))

func verdictClass(v string) string { return "v-" + strings.ReplaceAll(strings.ToLower(v), " ", "-") }

// WriteHTML writes the single-file report of r.
func WriteHTML(w io.Writer, r Run) error {
	v, err := newView(r)
	if err != nil {
		return err
	}
	if err := v.pack(); err != nil {
		return err
	}
	return page.Execute(w, v)
}

type view struct {
	Run          Run
	Summary      Summary
	Duration     time.Duration
	Failures     []failureView
	Remarks      []remarkView
	Matrix       []clauseView
	Coverage     coverage
	Unmatched    []unmatchedTag
	Features     []featureView
	Measurements []measurementView
	Languages    any
	Dictionary   map[string]map[string]string
	Packs        []pack
	RolesPacked  []string // where each role's list of scenarios is packed
	texts        textTranslator
	tr           *translations // shared by the copies of the view the templates get
}

type failureView struct {
	Feature, Scenario, Anchor, Step, Error string
	ErrorIn                                map[string]string
	Keyword, StepName                      string // Step's parts, shown each in the reader's language
	Clauses                                []string
	Checks                                 []Check
	Evidence                               []evidenceView
}

// remarkView is a remark in the report's Remarks section, linked to its scenario.
type remarkView struct {
	Remark
	Feature, Scenario, Anchor string
}

// clauseView is a row of the traceability matrix.
type clauseView struct {
	Requirement
	Scenarios []scenarioRef
	Verdict   string // a scenario status, Uncovered or NotTestable
	Packed    string // where the links to its scenarios are packed (see pack.go)
}

// coverage is the figure on top of the report: testable clauses covered by a scenario of this
// run, and of those, how many passed.
type coverage struct{ Testable, Covered, Passed, Percent int }

type unmatchedTag struct {
	Tag       string
	Scenarios []scenarioRef
}

// scenarioRef links to a scenario; the examples of an outline share one link, with their count.
type scenarioRef struct {
	Name, Anchor, Status string
	Count                int
}

type featureView struct {
	Name, Description string
	Scenarios         []scenarioView
}

type scenarioView struct {
	Name, Anchor, Status string
	Packed               string // "pack index" of its body
	Tags                 []string
	Duration             time.Duration
	Remarks              []Remark
	Steps                []stepView
}

type stepView struct {
	Keyword, Name, Status, Error string
	ErrorIn                      map[string]string // Error by language code, when the step gave it so
	Duration                     time.Duration
	Checks                       []Check
	Evidence                     []evidenceView
}

// evidenceView is an attachment as shown. A body already shown in an earlier scenario (the limits
// in force, a calendar) is shown once: later copies link to it by SameAs, in the scenario In,
// which keeps a full run's report small. Packed says where its body is packed (see pack.go).
type evidenceView struct{ Name, Body, ID, SameAs, In, Packed string }

type measurementView struct {
	Measurement
	Stats              Stats
	Histogram, History template.HTML
}

func newView(r Run) (view, error) {
	catalogue := r.Catalogue
	v := view{Run: r, Summary: r.Summary(), Duration: r.Finished.Sub(r.Started), Languages: offered(r.Languages), Dictionary: dictionary(),
		texts: newTextTranslator(r.Texts), tr: &translations{}}
	for _, l := range offered(r.Languages) {
		if l.Code != "en" {
			v.tr.languages = append(v.tr.languages, l.Code)
		}
	}
	maps.DeleteFunc(v.Dictionary, func(lang string, _ map[string]string) bool { return !slices.Contains(v.tr.languages, lang) })
	listed := map[string]bool{}
	for _, q := range catalogue {
		listed[q.ID] = true
	}
	covering := map[string][]scenarioRef{} // catalogue ID or unmatched tag -> scenarios
	shown := map[string]evidenceView{}     // evidence body -> its first showing
	n := 0
	for _, f := range r.Features {
		fv := featureView{Name: f.Name, Description: strings.Join(strings.Fields(f.Description), " ")} // as features.Texts keys it
		for _, sc := range f.Scenarios {
			n++
			sv := scenarioView{Name: sc.Name, Anchor: "s" + strconv.Itoa(n), Status: sc.Status(), Duration: sc.Duration(), Remarks: sc.Remarks()}
			for _, r := range sv.Remarks {
				v.Remarks = append(v.Remarks, remarkView{Remark: r, Feature: f.Name, Scenario: sc.Name, Anchor: sv.Anchor})
			}
			for _, t := range append(append([]Tag(nil), f.Tags...), sc.Tags...) {
				sv.Tags = append(sv.Tags, t.Name)
			}
			clauses := append(clausesOf(f.Tags), sc.Clauses()...)
			for _, st := range sc.Steps {
				stv := newStepView(st)
				if stv.Status == "failed" {
					fail := failureView{Feature: f.Name, Scenario: sc.Name, Anchor: sv.Anchor,
						Step: stv.Keyword + " " + stv.Name, Keyword: stv.Keyword, StepName: stv.Name, Error: stv.Error, ErrorIn: stv.ErrorIn, Clauses: clauses, Evidence: slices.Clone(stv.Evidence)}
					for _, c := range stv.Checks {
						if !c.Passed {
							fail.Checks = append(fail.Checks, c)
						}
					}
					v.Failures = append(v.Failures, fail)
				}
				for i, e := range stv.Evidence {
					if first, ok := shown[e.Body]; ok {
						stv.Evidence[i] = evidenceView{Name: e.Name, SameAs: first.ID, In: first.In}
						continue
					}
					stv.Evidence[i].ID, stv.Evidence[i].In = "e"+strconv.Itoa(len(shown)+1), sv.Anchor
					shown[e.Body] = stv.Evidence[i]
				}
				sv.Steps = append(sv.Steps, stv)
			}
			ref := scenarioRef{sc.Name, sv.Anchor, sv.Status, 1}
			seen := map[string]bool{}
			for _, tag := range clauses {
				id := resolve(tag, listed)
				if id == "" {
					id = "@" + tag
				}
				if !seen[id] {
					seen[id] = true
					covering[id] = addRef(covering[id], ref)
				}
			}
			fv.Scenarios = append(fv.Scenarios, sv)
		}
		v.Features = append(v.Features, fv)
	}
	for _, q := range catalogue {
		c := clauseView{Requirement: q, Scenarios: covering[q.ID], Verdict: verdictOf(covering[q.ID])}
		switch {
		case c.Verdict == Uncovered && !q.Testable:
			c.Verdict = NotTestable
		case q.Testable:
			v.Coverage.Testable++
			if c.Verdict != Uncovered {
				v.Coverage.Covered++
			}
			if c.Verdict == "passed" {
				v.Coverage.Passed++
			}
		}
		v.Matrix = append(v.Matrix, c)
	}
	if v.Coverage.Testable > 0 {
		v.Coverage.Percent = v.Coverage.Covered * 100 / v.Coverage.Testable
	}
	for id, refs := range covering {
		if strings.HasPrefix(id, "@") {
			v.Unmatched = append(v.Unmatched, unmatchedTag{id, refs})
		}
	}
	sort.Slice(v.Unmatched, func(a, b int) bool { return clauseLess(v.Unmatched[a].Tag[1:], v.Unmatched[b].Tag[1:]) })
	for _, m := range r.Measurements {
		v.Measurements = append(v.Measurements, measurementView{m, m.Stats(), Histogram(m), OverTime(m)})
	}
	return v, nil
}

// addRef adds a scenario to a clause's list, folding the examples of an outline (same name) into
// one link whose status is the worst of theirs.
func addRef(refs []scenarioRef, r scenarioRef) []scenarioRef {
	for i := range refs {
		if refs[i].Name == r.Name {
			refs[i].Count++
			refs[i].Status = verdictOf([]scenarioRef{refs[i], r})
			return refs
		}
	}
	return append(refs, r)
}

// verdictOf a clause from the scenarios covering it: failed if any failed, passed only if all
// passed, uncovered if there are none.
func verdictOf(refs []scenarioRef) string {
	if len(refs) == 0 {
		return Uncovered
	}
	verdict := "passed"
	for _, r := range refs {
		switch {
		case r.Status == "failed":
			return "failed"
		case r.Status != "passed":
			verdict = r.Status
		}
	}
	return verdict
}

// newStepView is a step as shown. R-53: the steps redact passwords before attaching evidence; the
// report redacts again, so that a cucumber JSON from elsewhere (or an older run) shows none either.
func newStepView(st Step) stepView {
	stv := stepView{Keyword: strings.TrimSpace(st.Keyword), Name: redact.String(st.Name), Status: st.Result.Status,
		Error: redact.String(st.Result.Error), Duration: time.Duration(st.Result.Duration)}
	for _, e := range st.Embeddings {
		switch e.MimeType {
		case CheckMediaType:
			var c Check
			if json.Unmarshal(e.Data, &c) == nil {
				c.Expected, c.Observed = redact.String(c.Expected), redact.String(c.Observed)
				c.ExpectedIn, c.ObservedIn = redactedTranslations(c.ExpectedIn), redactedTranslations(c.ObservedIn)
				stv.Checks = append(stv.Checks, c)
			}
			continue
		case FailureMediaType:
			var by map[string]string
			if json.Unmarshal(e.Data, &by) == nil {
				stv.ErrorIn = redactedTranslations(by)
			}
			continue
		case RemarkMediaType:
			continue // shown with the scenario and in the Remarks section
		}
		stv.Evidence = append(stv.Evidence, evidenceView{Name: e.Name, Body: pretty(e.MimeType, redact.Bytes(e.Data))})
	}
	return stv
}

// redactedTranslations is a text's translations with passwords redacted. Belarusian, which
// the message catalogue does not have, reads the Russian.
func redactedTranslations(by map[string]string) map[string]string {
	if len(by) == 0 {
		return nil
	}
	out := make(map[string]string, len(by)+1)
	for lang, s := range by {
		out[lang] = redact.String(s)
	}
	if _, ok := out["be"]; !ok && out["ru"] != "" {
		out["be"] = out["ru"]
	}
	return out
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
