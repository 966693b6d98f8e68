package forms

import (
	"html/template"
	"io"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
)

// actRow is one printed row of Appendix 4: its number and labels as the form prints them.
type actRow struct {
	No, English, Kazakh string
	Heading             bool
	Value               string
}

func (a TestAct) rows() []actRow {
	rows := []actRow{
		{No: "1.", English: "Participants in the information interaction", Kazakh: "Ақпараттық өзара іс-қимыл қатысушылары", Heading: true},
		{No: "1.1", English: "Name of the service owner", Kazakh: "Сервис иесінің атауы", Value: a.Owner},
		{No: "1.2", English: "Name of the initiator of the integration service", Kazakh: "Интеграциялық сервис бастамашысының атауы", Value: a.Initiator},
		{No: "2.", English: "Information systems", Kazakh: "Ақпараттық жүйелер", Heading: true},
		{No: "2.1", English: "Information system of the service owner", Kazakh: "Сервис иесінің ақпараттық жүйесі", Value: a.OwnerSystem},
		{No: "2.2", English: "Information system of the initiator of the integration service", Kazakh: "Интеграциялық сервис бастамашысының ақпараттық жүйесі", Value: a.InitiatorSystem},
		{No: "3.", English: "Services tested", Kazakh: "Тестілеу сервистері", Heading: true},
	}
	for _, s := range a.Services {
		rows = append(rows,
			actRow{No: "3.1", English: "Name of the service", Kazakh: "Сервис атауы", Value: s.Name},
			actRow{No: "3.2", English: "Service key", Kazakh: "Сервис кілті", Value: s.Key})
	}
	return append(rows,
		actRow{No: "4", English: "Testing scenario", Kazakh: "Тестілеу сценарийі", Value: a.Scenario},
		actRow{No: "5", English: "Decision based on the results of testing", Kazakh: "Тестілеу нәтижелері бойынша шешім", Value: a.Decision},
		actRow{No: "6", English: "Date of transfer to the production environment", Kazakh: "Өнеркәсіптік ортаға ауыстыру күні", Value: a.ProductionDate})
}

var actPage = template.Must(template.New("act").Funcs(template.FuncMap{
	"date": func(t time.Time) string { return t.In(clock.Astana).Format(time.DateOnly) }, // the act is dated in Astana time
	"inc":  func(i int) int { return i + 1 },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Act of testing and commissioning {{.Act.ID}}</title>
<style>
body { font: 11pt/1.4 "DejaVu Serif", Georgia, serif; max-width: 52em; margin: 2em auto; color: #000; }
h1 { font-size: 15pt; text-align: center; margin-bottom: 0.2em; }
.kk { color: #444; font-size: 9.5pt; }
p.sub { text-align: center; margin-top: 0; }
table { width: 100%; border-collapse: collapse; margin-top: 1em; }
th, td { border: 1px solid #000; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
td.no { width: 3em; white-space: nowrap; }
td.label { width: 18em; }
td.value { white-space: pre-wrap; }
tr.heading td { font-weight: bold; background: #eee; }
td.empty { color: #666; font-style: italic; }
h2 { font-size: 12pt; margin-top: 1.5em; }
@media print { body { margin: 0; max-width: none; } tr { page-break-inside: avoid; } }
</style>
</head>
<body>
<h1>Act of testing and commissioning</h1>
<p class="sub"><span class="kk">Тестілеу және пайдалануға енгізу туралы акт</span><br>
Appendix 4 to the Rules for integration of e-government informatization objects (order No. 165/НҚ, 2020)<br>
Act {{.Act.ID}}</p>
<table>
<tr><th>No.</th><th>Field</th><th>Value</th></tr>
{{range .Rows}}{{if .Heading}}<tr class="heading"><td class="no">{{.No}}</td><td colspan="2">{{.English}}<br><span class="kk">{{.Kazakh}}</span></td></tr>
{{else}}<tr><td class="no">{{.No}}</td><td class="label">{{.English}}<br><span class="kk">{{.Kazakh}}</span></td>{{if .Value}}<td class="value">{{.Value}}</td>{{else}}<td class="empty">to be filled in by the operator</td>{{end}}</tr>
{{end}}{{end}}</table>
<h2>Electronic digital signatures (R-8)</h2>
{{if .Signers}}<table>
<tr><th>No.</th><th>Signer</th><th>Certificate</th></tr>
{{range $i, $s := .Signers}}<tr><td class="no">{{inc $i}}</td><td>{{$s.Certificate.Subject}}</td><td>serial {{printf "%X" $s.Certificate.SerialNumber}}<br>issued by {{$s.Certificate.Issuer.CommonName}}<br>valid {{date $s.Certificate.NotBefore}} to {{date $s.Certificate.NotAfter}}</td></tr>
{{end}}</table>
<p class="kk">The signatures are enveloped XML signatures in the electronic act (act.xml); this page is a rendering of it and carries no signature itself.</p>
{{else}}<p>The act is not signed.</p>{{end}}
</body>
</html>
`))

// WriteActHTML writes the act as one printable page (inline CSS, nothing fetched): the fields in
// the form's order with their numbers and Kazakh labels, then the signers of the XML act.
func WriteActHTML(w io.Writer, a TestAct, signers []Signer) error {
	return actPage.Execute(w, struct {
		Act     TestAct
		Rows    []actRow
		Signers []Signer
	}{a, a.rows(), signers})
}
