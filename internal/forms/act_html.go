package forms

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
)

// actRow is one printed row of Appendix 4: its number, its label in the page's language and its
// value. Exactly one of Value, Date, Testing and Decision is set when the field is filled.
type actRow struct {
	No      string
	Label   string
	Form    string // the form's own (Kazakh) label, printed under an English one
	Heading bool
	Value   string        // as the act holds it: a name, a key, free text
	Date    template.HTML // field 6
	// Testing and Decision are fields 4 and 5 drawn from a run, worded in the page's language.
	Testing  *testingView
	Decision *decisionView
	Empty    string // what an empty field says: the operator fills it in
}

type testingView struct {
	Head        template.HTML
	Sealed      template.HTML
	Files       []SealedFile
	Scenarios   []scenarioLine
	RemarksHead string
	Remarks     []string
}

type scenarioLine struct{ Code, Status, Text string }

type decisionView struct {
	Code     DecisionCode
	Summary  string
	Gaps     []gapLine
	OpenHead string
	Open     []scenarioLine
}

type gapLine struct {
	Code GapCode
	Text string
}

type signerView struct {
	No      int
	Serial  string
	Subject string
	Lines   []template.HTML
}

// actView is what the page template reads: the act in one language.
type actView struct {
	Lang    Lang
	Act     TestAct
	Rows    []actRow
	Signers []signerView
}

// T is the fixed text key in the page's language, formatted with args when it has verbs. A key
// missing from actTexts fails the rendering.
func (v actView) T(key string, args ...any) (string, error) {
	return textIn(key, v.Lang, args...)
}

// Form is the fixed text key as the Kazakh form prints it, beside an English page; empty on a page
// in the form's own languages.
func (v actView) Form(key string) string {
	if v.Lang != English {
		return ""
	}
	return actTexts[key].KK
}

func textIn(key string, l Lang, args ...any) (string, error) {
	t, ok := actTexts[key]
	if !ok || t.in(l) == "" {
		return "", fmt.Errorf("the act has no text %q in %s; add it to actTexts", key, l)
	}
	if len(args) == 0 {
		return t.in(l), nil
	}
	return fmt.Sprintf(t.in(l), args...), nil
}

// say is textIn for a key this file names itself: a missing key shows as the key, and the tests
// check that none is missing.
func say(key string, l Lang, args ...any) string {
	s, err := textIn(key, l, args...)
	if err != nil {
		return key
	}
	return s
}

// htmlf is Sprintf for a page: the format and string arguments are escaped, template.HTML
// arguments are kept as they are.
func htmlf(format string, args ...any) template.HTML {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = template.HTMLEscapeString(s)
		}
	}
	return template.HTML(fmt.Sprintf(template.HTMLEscapeString(format), args...))
}

// timeHTML marks up a time worded in a language with the time itself, so that every rendering
// holds the same value.
func timeHTML(datetime, worded string) template.HTML {
	return template.HTML(`<time datetime="` + template.HTMLEscapeString(datetime) + `">` + template.HTMLEscapeString(worded) + `</time>`)
}

// dateHTML is a day in l.
func dateHTML(t time.Time, l Lang) template.HTML {
	return timeHTML(t.Format(time.DateOnly), dateIn(t, l))
}

// rows are the act's rows in the form's order, labelled in l.
func (a TestAct) rows(l Lang) []actRow {
	row := func(no string, heading bool) actRow {
		r := actRow{No: no, Label: actLabels[no].in(l), Heading: heading, Empty: say("operator", l)}
		if l == English {
			r.Form = actLabels[no].KK
		}
		return r
	}
	valued := func(no, v string) actRow { r := row(no, false); r.Value = v; return r }
	rows := []actRow{
		row("1.", true), valued("1.1", a.Owner), valued("1.2", a.Initiator),
		row("2.", true), valued("2.1", a.OwnerSystem), valued("2.2", a.InitiatorSystem),
		row("3.", true),
	}
	for _, s := range a.Services {
		rows = append(rows, valued("3.1", s.Name), valued("3.2", s.Key))
	}
	scenario, decision, production := valued("4", a.Scenario), valued("5", a.Decision), valued("6", a.ProductionDate)
	if a.TestingScenario != nil {
		scenario.Testing = a.TestingScenario.view(l)
	}
	if a.TestingDecision != nil {
		decision.Decision = a.decisionView(l)
	}
	if d, err := time.Parse(time.DateOnly, a.ProductionDate); err == nil {
		production.Value, production.Date = "", dateHTML(d, l)
	}
	return append(rows, scenario, decision, production)
}

func (s RunScenario) line(l Lang) scenarioLine {
	text := s.Feature + " / " + s.Name
	if len(s.Clauses) > 0 {
		text += " [" + strings.Join(s.Clauses, ", ") + "]"
	}
	return scenarioLine{Code: s.Status, Status: statusIn(s.Status, l), Text: text}
}

func (s *TestingScenario) view(l Lang) *testingView {
	v := &testingView{}
	date := template.HTML(template.HTMLEscapeString(s.Date))
	if d, err := time.Parse(time.DateOnly, s.Date); err == nil {
		date = dateHTML(d, l)
	}
	v.Head = htmlf(say("run", l), date, len(s.Scenarios), verdictIn(s.Verdict, l))
	if s.Seal != nil {
		sealed := template.HTML(template.HTMLEscapeString(s.Seal.Sealed))
		if t, err := time.Parse(time.RFC3339, s.Seal.Sealed); err == nil {
			t = t.In(clock.Astana)
			sealed = timeHTML(t.Format(time.RFC3339), dateIn(t, l)+", "+t.Format("15:04 -07:00"))
		}
		v.Sealed, v.Files = htmlf(say("sealed", l), sealed, s.Seal.HarnessKey), s.Seal.Files
	}
	for _, sc := range s.Scenarios {
		v.Scenarios = append(v.Scenarios, sc.line(l))
	}
	if len(s.Remarks) > 0 {
		v.RemarksHead = say("remarks", l, len(s.Remarks))
	}
	for _, r := range s.Remarks {
		line := fmt.Sprintf("%s (%s), %s / %s", r.Code, r.Rule, r.Feature, r.Scenario)
		if t, ok := remarkTexts[r.Code]; ok {
			line += ": " + t.in(l)
		}
		v.Remarks = append(v.Remarks, line)
	}
	return v
}

func (a TestAct) decisionView(l Lang) *decisionView {
	d := a.TestingDecision
	v := &decisionView{Code: d.Code, Summary: a.decisionSummary(l)}
	for _, g := range d.Gaps {
		v.Gaps = append(v.Gaps, gapLine{Code: g.Code, Text: a.gapText(g, l)})
	}
	if d.Code != Ready && a.TestingScenario != nil {
		for _, s := range openScenarios(a.TestingScenario.Scenarios) {
			v.Open = append(v.Open, s.line(l))
		}
		if len(v.Open) > 0 {
			v.OpenHead = say("not-passed", l)
		}
	}
	return v
}

// decisionSummary is the sentence of a decision drawn from a run, in l.
func (a TestAct) decisionSummary(l Lang) string {
	var s TestingScenario
	if a.TestingScenario != nil {
		s = *a.TestingScenario
	}
	verdict := verdictIn(s.Verdict, l)
	if a.TestingDecision.Code != Ready {
		return say("not-ready", l, verdict)
	}
	ready := say("ready", l, len(s.Scenarios), verdict)
	if n := len(s.Remarks); n > 0 {
		var codes []string
		for _, r := range s.Remarks {
			if !slices.Contains(codes, r.Code) {
				codes = append(codes, r.Code)
			}
		}
		ready += say("ready-remarks", l, n, strings.Join(codes, ", "))
	}
	return ready
}

// gapText words a gap in l; a gap of a code this shepconf does not know is shown by its code.
func (a TestAct) gapText(g Gap, l Lang) string {
	t, ok := gapTexts[g.Code]
	if !ok {
		return string(g.Code)
	}
	if t.args == nil {
		return t.say.in(l)
	}
	return fmt.Sprintf(t.say.in(l), t.args(a, g, l)...)
}

// DecisionIn is field 5 in l: the decision, then what is missing, one sentence each. A decision in
// free text is returned as it stands, with nothing missing.
func (a TestAct) DecisionIn(l Lang) (decision string, missing []string) {
	if a.TestingDecision == nil {
		return a.Decision, nil
	}
	for _, g := range a.TestingDecision.Gaps {
		missing = append(missing, a.gapText(g, l))
	}
	return a.decisionSummary(l), missing
}

func signerViews(signers []Signer, l Lang) []signerView {
	var out []signerView
	for i, s := range signers {
		c := s.Certificate
		serial := fmt.Sprintf("%X", c.SerialNumber)
		out = append(out, signerView{No: i + 1, Serial: serial, Subject: c.Subject.String(), Lines: []template.HTML{
			htmlf(say("serial", l), serial),
			htmlf(say("issued-by", l), c.Issuer.CommonName),
			htmlf(say("valid", l), dateHTML(c.NotBefore.In(clock.Astana), l), dateHTML(c.NotAfter.In(clock.Astana), l)), // the act is dated in Astana time
		}})
	}
	return out
}

// actPage is the page, then the parts of a row (a second Parse, so that the definitions add nothing
// to the page's text).
var actPage = template.Must(template.Must(template.New("act").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<title>{{.T "title"}} {{.Act.ID}}</title>
<style>
body { font: 11pt/1.4 "DejaVu Serif", Georgia, serif; max-width: 52em; margin: 2em auto; color: #000; }
h1 { font-size: 15pt; text-align: center; margin-bottom: 0.2em; }
.form, p.note { color: #444; font-size: 9.5pt; }
p.sub { text-align: center; margin-top: 0; }
table { width: 100%; border-collapse: collapse; margin-top: 1em; }
th, td { border: 1px solid #000; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
td.no { width: 3em; white-space: nowrap; }
td.label { width: 18em; }
td.value { white-space: pre-wrap; }
td.run { white-space: normal; }
td.run p { margin: 0 0 0.3em; }
td.run ol, td.run ul { margin: 0 0 0.3em; padding-left: 1.4em; }
.digest { font: 8.5pt monospace; word-break: break-all; }
tr.heading td { font-weight: bold; background: #eee; }
td.empty { color: #666; font-style: italic; }
h2 { font-size: 12pt; margin-top: 1.5em; }
@media print { body { margin: 0; max-width: none; } tr { page-break-inside: avoid; } }
</style>
</head>
<body>
<h1>{{.T "title"}}</h1>
<p class="sub">{{with .Form "title"}}<span class="form" lang="kk">{{.}}</span><br>
{{end}}{{.T "appendix"}}<br>
{{.T "act-id" .Act.ID}}</p>
<table>
<tr><th>{{.T "col-no"}}</th><th>{{.T "col-field"}}</th><th>{{.T "col-value"}}</th></tr>
{{range .Rows}}{{if .Heading}}<tr class="heading" data-field="{{.No}}"><td class="no">{{.No}}</td><td colspan="2">{{template "label" .}}</td></tr>
{{else}}<tr data-field="{{.No}}"><td class="no">{{.No}}</td><td class="label">{{template "label" .}}</td>{{template "value" .}}</tr>
{{end}}{{end}}</table>
<h2>{{.T "signatures"}}</h2>
{{if .Signers}}<table>
<tr><th>{{.T "col-no"}}</th><th>{{.T "col-signer"}}</th><th>{{.T "col-certificate"}}</th></tr>
{{range .Signers}}<tr data-signer="{{.Serial}}"><td class="no">{{.No}}</td><td>{{.Subject}}</td><td>{{range $i, $l := .Lines}}{{if $i}}<br>{{end}}{{$l}}{{end}}</td></tr>
{{end}}</table>
<p class="note">{{.T "rendering"}}</p>
{{else}}<p>{{.T "unsigned"}}</p>{{end}}
</body>
</html>
`)).Parse(`
{{define "label"}}{{.Label}}{{with .Form}}<br><span class="form" lang="kk">{{.}}</span>{{end}}{{end}}
{{define "value"}}{{if .Testing}}<td class="value run">{{template "testing" .Testing}}</td>{{else if .Decision}}<td class="value run">{{template "decision" .Decision}}</td>{{else if .Date}}<td class="value">{{.Date}}</td>{{else if .Value}}<td class="value">{{.Value}}</td>{{else}}<td class="empty">{{.Empty}}</td>{{end}}{{end}}
{{define "testing"}}<p>{{.Head}}</p>
{{if .Sealed}}<p>{{.Sealed}}</p>
<ul>{{range .Files}}<li><span class="digest">{{.Name}} {{.Digest}}</span></li>{{end}}</ul>
{{end}}<ol>{{range .Scenarios}}
<li data-status="{{.Code}}">{{.Status}}: {{.Text}}</li>{{end}}
</ol>{{if .Remarks}}
<p>{{.RemarksHead}}</p>
<ol>{{range .Remarks}}
<li>{{.}}</li>{{end}}
</ol>{{end}}{{end}}
{{define "decision"}}<p data-decision="{{.Code}}">{{.Summary}}</p>{{if .Gaps}}
<ul>{{range .Gaps}}
<li data-gap="{{.Code}}">{{.Text}}</li>{{end}}
</ul>{{end}}{{if .Open}}
<p>{{.OpenHead}}</p>
<ul>{{range .Open}}
<li data-status="{{.Code}}">{{.Status}}: {{.Text}}</li>{{end}}
</ul>{{end}}{{end}}
`))

// WriteActHTML writes the act in l as one printable page (inline CSS, nothing fetched): the fields
// in the form's order with their numbers and the form's labels in l (on an English page, the
// form's own Kazakh label under each), then the signers of the XML act. Every rendering shows the
// same fields and signers; only the words around them change.
func WriteActHTML(w io.Writer, a TestAct, signers []Signer, l Lang) error {
	if _, err := ParseLang(string(l)); err != nil {
		return err
	}
	return actPage.Execute(w, actView{Lang: l, Act: a, Rows: a.rows(l), Signers: signerViews(signers, l)})
}

// WithNames is a copy of a for its rendering, with the feature and scenario names of field 4 in
// the page's language: names gives a name's translation, or "" where it has none. The signed XML
// keeps the names as the run had them.
func (a TestAct) WithNames(names func(string) string) TestAct {
	if a.TestingScenario == nil || names == nil {
		return a
	}
	in := func(s string) string {
		if t := names(s); t != "" {
			return t
		}
		return s
	}
	t := *a.TestingScenario
	t.Scenarios, t.Remarks = slices.Clone(t.Scenarios), slices.Clone(t.Remarks)
	for i := range t.Scenarios {
		t.Scenarios[i].Feature, t.Scenarios[i].Name = in(t.Scenarios[i].Feature), in(t.Scenarios[i].Name)
	}
	for i := range t.Remarks {
		t.Remarks[i].Feature, t.Remarks[i].Scenario = in(t.Remarks[i].Feature), in(t.Remarks[i].Scenario)
	}
	a.TestingScenario = &t
	return a
}
