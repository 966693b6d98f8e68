package forms

import (
	"bytes"
	"crypto/x509"
	"encoding/xml"
	"fmt"
	"html"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// sampleAct is an act drawn from a run that did not certify, with every gap the act can name, a
// remark of a known code and one of a code this shepconf does not know, and a production date.
func sampleAct() TestAct {
	run := &TestingScenario{Date: "2025-03-14", Verdict: "NOT CONFORMANT",
		Seal: &RunSeal{Sealed: "2025-03-14T09:30:00Z", HarnessKey: "SHA256:q1w2e3r4", Files: []SealedFile{
			{Name: "cucumber.json", Digest: "sha256:0a1b2c"}, {Name: "run.json", Digest: "sha256:3d4e5f"}}},
		Scenarios: []RunScenario{
			{Status: "passed", Feature: "The synchronous channel", Name: "A request is answered", Clauses: IDList{"R-47"}},
			{Status: "failed", Feature: "The synchronous channel", Name: "A late answer is refused", Clauses: IDList{"A2-T1", "R-22"}},
			{Status: "skipped", Feature: "Transport signature", Name: "A signed timestamp is tolerated"},
		},
		Remarks: []RunRemark{
			{Code: "rsa-sha1", Rule: "A6-S2", Feature: "Transport signature", Scenario: "SHA-1 digests"},
			{Code: "odd-thing", Rule: "R-55", Feature: "Transport signature", Scenario: "Something new"},
		}}
	var gaps []Gap
	for _, code := range slices.Sorted(maps.Keys(gapTexts)) {
		gaps = append(gaps, Gap{Code: code, System: "AGENCY_SYS", Side: InitiatorSide, Role: "sync-owner", Roles: IDList{"sync-initiator", "rest-initiator"},
			Service: "OWN_SERVICE", Exercised: IDList{"LOOKUP"}, Failed: 2, Skipped: 1, Open: 2, Total: 3, Verdict: "NOT CONFORMANT",
			Scale: "0.01", Tags: "@R-47 && @role-sync-owner"})
	}
	return TestAct{ID: "act-7", Owner: "Ministry of Justice", Initiator: "Ministry of Finance", OwnerSystem: "MJ_IS", InitiatorSystem: "FIN_IS",
		Services:        []TestedService{{Name: "Address lookup", Key: "MJ_ADDRESS"}, {Name: "Reference service", Key: "OWN_SERVICE"}},
		TestingScenario: run, TestingDecision: &TestingDecision{Code: NotReady, Gaps: gaps}, ProductionDate: "2025-04-01"}
}

// readyAct is an act drawn from a run that certified, with a remark.
func readyAct() TestAct {
	a := sampleAct()
	a.TestingScenario.Verdict, a.TestingScenario.Scenarios = "CONFORMANT", a.TestingScenario.Scenarios[:1]
	a.TestingDecision = &TestingDecision{Code: Ready}
	a.ProductionDate = ""
	return a
}

func sampleSigners(t *testing.T) []Signer {
	t.Helper()
	ca, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	var out []Signer
	for _, s := range []nca.Subject{{CommonName: "Aigerim Tester", IIN: "900101300123"}, {CommonName: "Daniyar Operator", BIN: "100140000002"}} {
		id, err := ca.Issue(s, pki.ECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Signer{Certificate: id.Certificate, Chain: append([]*x509.Certificate{id.Certificate}, id.Chain...)})
	}
	return out
}

func render(t *testing.T, a TestAct, signers []Signer, l Lang) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteActHTML(&b, a, signers, l); err != nil {
		t.Fatalf("render in %s: %v", l, err)
	}
	return b.String()
}

var (
	styleTag = regexp.MustCompile(`(?s)<style>.*?</style>`)
	anyTag   = regexp.MustCompile(`<[^>]*>`)
	token    = regexp.MustCompile(`[\p{Latin}0-9_.:@&'/-]*\p{Latin}[\p{Latin}0-9_.:@&'/-]*`)
	verb     = regexp.MustCompile(`%(\[\d+\])?[a-zA-Z]`)
)

// identifiers are the Latin words the Kazakh and Russian texts may hold: names of the harness, of
// a format, of an XML element or configuration key. Flags (--tags), clause IDs, algorithms
// (RSA-SHA1), file names (act.xml) and qualified names (wsu:Id) are recognised by their shape.
var identifiers = map[string]bool{"shepconf": true, "XML": true, "sut": true, "Body": true, "Id": true, "messageDate": true}

// englishWords are the Latin words of s that are not identifiers.
func englishWords(s string) []string {
	var out []string
	for _, w := range token.FindAllString(s, -1) {
		if strings.HasPrefix(w, "--") {
			continue
		}
		w = strings.TrimRight(w, ".:'-/")
		if strings.ContainsAny(w, "0123456789.:@/") || identifiers[w] {
			continue
		}
		out = append(out, w)
	}
	return out
}

// verbs are the formatting verbs of a text by argument index, so that every language of a text
// takes the same arguments.
func verbs(s string) []string {
	var out []string
	next := 1
	for _, m := range verb.FindAllStringSubmatch(s, -1) {
		idx := next
		if m[1] != "" {
			fmt.Sscanf(m[1], "[%d]", &idx)
		}
		next = idx + 1
		out = append(out, fmt.Sprintf("%d%s", idx, m[0][len(m[0])-1:]))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Every text of the act is there in every language, with the same arguments, and the Kazakh and
// Russian hold no English word.
func TestActTextsInEveryLanguage(t *testing.T) {
	all := map[string]text{}
	for k, v := range actLabels {
		all["row "+k] = v
	}
	for k, v := range actTexts {
		all[k] = v
	}
	for k, v := range statusTexts {
		all["status "+k] = v
	}
	for k, v := range verdictTexts {
		all["verdict "+k] = v
	}
	for k, v := range gapTexts {
		all["gap "+string(k)] = v.say
	}
	for k, v := range remarkTexts {
		all["remark "+k] = v
	}
	for i, v := range months {
		all[fmt.Sprintf("month %d", i+1)] = v
	}
	for key, tx := range all {
		for _, l := range Langs {
			if strings.TrimSpace(tx.in(l)) == "" {
				t.Errorf("%s: no text in %s", key, l)
			}
			if got, want := verbs(tx.in(l)), verbs(tx.EN); !slices.Equal(got, want) {
				t.Errorf("%s in %s takes %v, in English %v", key, l, got, want)
			}
		}
		for _, l := range []Lang{Kazakh, Russian} {
			if w := englishWords(verb.ReplaceAllString(tx.in(l), " ")); len(w) > 0 {
				t.Errorf("%s in %s holds English words %q: %q", key, l, w, tx.in(l))
			}
		}
	}
	// The form's own words are the Kazakh original's (spec/forms.md, F4).
	for no, kk := range map[string]string{"1.": "Ақпараттық өзара іс-қимыл қатысушылары", "3.2": "Сервис кілті", "5": "Тестілеу нәтижелері бойынша шешім", "6": "Өнеркәсіптік ортаға ауыстыру күні"} {
		if actLabels[no].KK != kk {
			t.Errorf("row %s: %q, the form says %q", no, actLabels[no].KK, kk)
		}
	}
	if actTexts["title"].KK != "Тестілеу және пайдалануға енгізу туралы акт" {
		t.Errorf("title: %q", actTexts["title"].KK)
	}
	// Every gap the act can name has its words.
	for _, code := range []GapCode{GapRunUnknown, GapRunUnreadable, GapDemonstration, GapTimeScale, GapFiltered, GapNoSystemUnderTest,
		GapRoleNotCertified, GapNoRole, GapSystemNotTested, GapSideNotCertified, GapServiceNotExercised, GapNoScenario, GapScenariosNotPassed} {
		if _, ok := gapTexts[code]; !ok {
			t.Errorf("gap %s has no text", code)
		}
	}
}

// valuesOf are the values, identifiers and codes an act and its signers hold that a rendering
// shows as they stand in every language, longest first.
func valuesOf(a TestAct, signers []Signer) []string {
	v := []string{a.ID, a.Owner, a.Initiator, a.OwnerSystem, a.InitiatorSystem, a.Scenario, a.Decision, a.ProductionDate}
	for _, s := range a.Services {
		v = append(v, s.Name, s.Key)
	}
	if s := a.TestingScenario; s != nil {
		for _, sc := range s.Scenarios {
			v = append(v, sc.Feature, sc.Name) // the status is worded in the page's language
		}
		for _, r := range s.Remarks {
			v = append(v, r.Code, r.Feature, r.Scenario)
		}
		if s.Seal != nil {
			v = append(v, s.Seal.HarnessKey)
		}
	}
	if d := a.TestingDecision; d != nil { // the codes of the decision and its gaps, and the side, are worded
		for _, g := range d.Gaps {
			v = append(v, g.System, g.Role, g.Service, g.Tags)
			v = append(v, g.Roles...)
			v = append(v, g.Exercised...)
		}
	}
	for _, s := range signers {
		v = append(v, s.Certificate.Subject.String(), s.Certificate.Issuer.CommonName)
	}
	slices.SortFunc(v, func(a, b string) int { return len(b) - len(a) })
	return v
}

func pageText(page string) string {
	return html.UnescapeString(anyTag.ReplaceAllString(styleTag.ReplaceAllString(page, " "), " "))
}

// Each language renders every row label of the form in that language, on a page that says its
// language; the Kazakh and Russian pages hold no English word but the act's values, identifiers
// and codes.
func TestActRendersEveryRowLabel(t *testing.T) {
	signers := sampleSigners(t)
	for _, a := range []TestAct{sampleAct(), readyAct()} {
		for _, l := range Langs {
			page := render(t, a, signers, l)
			if !strings.Contains(page, `<html lang="`+string(l)+`">`) {
				t.Errorf("%s: the page does not say its language", l)
			}
			for no, label := range actLabels {
				if !strings.Contains(page, ">"+html.EscapeString(label.in(l))) {
					t.Errorf("%s: row %s lacks its label %q", l, no, label.in(l))
				}
				if l == English && !strings.Contains(page, `<span class="form" lang="kk">`+label.KK+"</span>") {
					t.Errorf("en: row %s lacks the form's own label %q", no, label.KK)
				}
			}
			for _, bad := range []string{"%!", "<td class=\"value\"></td>", "<li></li>", "<li data-gap=\"\""} {
				if strings.Contains(page, bad) {
					t.Errorf("%s: the page holds %q", l, bad)
				}
			}
			if l == English {
				continue
			}
			text := pageText(page)
			for _, v := range valuesOf(a, signers) {
				if v != "" {
					text = strings.ReplaceAll(text, v, " ")
				}
			}
			if w := englishWords(text); len(w) > 0 {
				t.Errorf("%s: English words on the page: %q", l, w)
			}
		}
	}
}

var (
	dataField  = regexp.MustCompile(`data-field="([^"]*)"`)
	plainValue = regexp.MustCompile(`(?s)<td class="value">(.*?)</td>`)
	timeTag    = regexp.MustCompile(`<time datetime="([^"]*)">[^<]*</time>`)
	facts      = regexp.MustCompile(`(datetime|data-signer|data-status|data-gap|data-decision)="([^"]*)"|class="digest">([^<]*)<`)
)

// facts are what a rendering shows of the act, apart from words: its rows in order, the plain
// values, the dates, the signers, the scenarios' statuses, the gaps, the decision and the digests.
func factsOf(page string) map[string][]string {
	out := map[string][]string{}
	for _, m := range dataField.FindAllStringSubmatch(page, -1) {
		out["rows"] = append(out["rows"], m[1])
	}
	for _, m := range plainValue.FindAllStringSubmatch(page, -1) {
		out["values"] = append(out["values"], timeTag.ReplaceAllString(m[1], "$1"))
	}
	for _, m := range facts.FindAllStringSubmatch(page, -1) {
		if m[1] == "" {
			out["digest"] = append(out["digest"], m[3])
		} else {
			out[m[1]] = append(out[m[1]], m[2])
		}
	}
	return out
}

// The three renderings show the same fields, values and signatures; only the words differ.
func TestRenderingsShowTheSameFieldsAndSigners(t *testing.T) {
	signers := sampleSigners(t)
	for _, a := range []TestAct{sampleAct(), readyAct()} {
		en := factsOf(render(t, a, signers, English))
		for _, kind := range []string{"rows", "values", "datetime", "data-signer", "data-status", "data-decision"} {
			if len(en[kind]) == 0 {
				t.Fatalf("the English page shows no %s", kind)
			}
		}
		if got, want := len(en["data-signer"]), len(signers); got != want {
			t.Errorf("the English page shows %d signers, want %d", got, want)
		}
		if got, want := len(en["rows"]), 10+2*len(a.Services); got != want {
			t.Errorf("the English page shows %d rows, want %d", got, want)
		}
		for _, l := range []Lang{Kazakh, Russian} {
			page := render(t, a, signers, l)
			got := factsOf(page)
			for kind, want := range en {
				if !slices.Equal(got[kind], want) {
					t.Errorf("%s shows %s %q, English %q", l, kind, got[kind], want)
				}
			}
			for _, s := range a.TestingScenario.Scenarios {
				if !strings.Contains(page, html.EscapeString(s.Feature+" / "+s.Name)) {
					t.Errorf("%s lacks the scenario %s / %s", l, s.Feature, s.Name)
				}
			}
		}
		// Each page shows every signer with the certificate: subject, serial, issuer and validity.
		for _, l := range Langs {
			page := render(t, a, signers, l)
			for _, s := range signers {
				c := s.Certificate
				for _, want := range []string{"<td>" + html.EscapeString(c.Subject.String()) + "</td>", fmt.Sprintf("%X<br>", c.SerialNumber), html.EscapeString(c.Issuer.CommonName) + "<br>",
					`<time datetime="` + c.NotBefore.In(clock.Astana).Format(time.DateOnly) + `">`, `<time datetime="` + c.NotAfter.In(clock.Astana).Format(time.DateOnly) + `">`} {
					if !strings.Contains(page, want) {
						t.Errorf("%s: the signer %s lacks %s", l, c.Subject.CommonName, want)
					}
				}
			}
		}
	}
}

// An act whose fields 4 and 5 are free text, as shepconf wrote them before the act was
// language-neutral (and as the portal's acts are), still reads, verifies and renders: the text is
// shown as it stands under the language's labels.
func TestActInFreeTextStillVerifiesAndRenders(t *testing.T) {
	old := `<testAct id="act-20240105-101010">
  <participants>
    <owner>Ministry of Justice</owner>
    <initiator>Ministry of Finance</initiator>
  </participants>
  <systems>
    <ownerSystem>MJ_IS</ownerSystem>
    <initiatorSystem>FIN_IS</initiatorSystem>
  </systems>
  <services>
    <service>
      <name>Address lookup</name>
      <key>MJ_ADDRESS</key>
    </service>
  </services>
  <scenario>Conformance scenarios of shepconf run on 2024-01-05: 1 scenarios.
1. passed: Sync / answered [R-47]</scenario>
  <decision>The service is ready for commissioning: all 1 scenarios of the conformance run passed (verdict CONFORMANT).</decision>
  <productionDate></productionDate>
</testAct>`
	ca, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(nca.Subject{CommonName: "Aigerim Tester", IIN: "900101300123"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := SignAct([]byte(old), id.Key, append([]*x509.Certificate{id.Certificate}, id.Chain...))
	if err != nil {
		t.Fatal(err)
	}
	act, signers, err := VerifyAct(signed, ca.Roots(), time.Now())
	if err != nil {
		t.Fatalf("an act in free text does not verify: %v", err)
	}
	if !strings.HasPrefix(act.Scenario, "Conformance scenarios of shepconf run on 2024-01-05") || act.TestingScenario != nil || act.TestingDecision != nil {
		t.Errorf("field 4 read as %+v", act)
	}
	if err := act.ValidateForSigning(); err != nil {
		t.Errorf("an act in free text: %v", err)
	}
	if d, missing := act.DecisionIn(Kazakh); !strings.HasPrefix(d, "The service is ready") || missing != nil {
		t.Errorf("a decision in free text: %q %q", d, missing)
	}
	for _, l := range Langs {
		page := render(t, act, signers, l)
		for _, want := range []string{actLabels["4"].in(l), "1. passed: Sync / answered [R-47]", actLabels["5"].in(l), "verdict CONFORMANT"} {
			if !strings.Contains(page, html.EscapeString(want)) {
				t.Errorf("%s: the page lacks %q", l, want)
			}
		}
		if !strings.Contains(page, `<tr data-signer="`+fmt.Sprintf("%X", id.Certificate.SerialNumber)+`">`) {
			t.Errorf("%s: the page does not show the signer", l)
		}
	}
	if _, _, err := VerifyAct(bytes.Replace(signed, []byte("verdict CONFORMANT"), []byte("verdict NOT CONFORMANT"), 1), ca.Roots(), time.Now()); err == nil {
		t.Error("an act in free text changed after signing verified")
	}
}

// The act drawn from a run marshals its fields 4 and 5 as identifiers and codes, reads back the
// same, and holds no sentence.
func TestActXMLIsLanguageNeutral(t *testing.T) {
	a := sampleAct()
	doc, err := a.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<testingScenario date="2025-03-14" verdict="NOT CONFORMANT">`, `<seal sealed="2025-03-14T09:30:00Z" harnessKey="SHA256:q1w2e3r4">`,
		`<file name="cucumber.json" digest="sha256:0a1b2c"></file>`, `<scenario status="failed" feature="The synchronous channel" name="A late answer is refused" clauses="A2-T1 R-22"></scenario>`,
		`<scenario status="skipped" feature="Transport signature" name="A signed timestamp is tolerated"></scenario>`,
		`<remark code="rsa-sha1" rule="A6-S2" feature="Transport signature" scenario="SHA-1 digests"></remark>`,
		`<testingDecision code="not-ready">`, `<gap code="time-scale" system="AGENCY_SYS"`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("act.xml lacks %s", want)
		}
	}
	for _, sentence := range []string{"ready for commissioning", "certifies", "did not pass", "<scenario>", "<decision>"} {
		if bytes.Contains(doc, []byte(sentence)) {
			t.Errorf("act.xml holds %q", sentence)
		}
	}
	var back TestAct
	if err := xml.Unmarshal(doc, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := back.Marshal()
	if !bytes.Equal(doc, again) {
		t.Errorf("act.xml does not read back the same:\n%s\n%s", doc, again)
	}
}

func TestParseLang(t *testing.T) {
	for _, l := range Langs {
		if got, err := ParseLang(string(l)); err != nil || got != l {
			t.Errorf("%s: %v", l, err)
		}
	}
	for _, bad := range []string{"", "de", "KK", "kz", "rus"} {
		if _, err := ParseLang(bad); err == nil || !strings.Contains(err.Error(), "kk (Kazakh), ru (Russian) or en (English)") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := WriteActHTML(&bytes.Buffer{}, sampleAct(), nil, "de"); err == nil {
		t.Error("an act rendered in an unknown language")
	}
}

// The page shows field 4's names in its language where the suite translates them; the act itself
// is not changed.
func TestActPageTranslatesNames(t *testing.T) {
	a := TestAct{TestingScenario: &TestingScenario{Scenarios: []RunScenario{{Status: "passed", Feature: "Sync owner", Name: "answered"}},
		Remarks: []RunRemark{{Code: "rsa-sha1", Feature: "Sync owner", Scenario: "unknown"}}}}
	kk := map[string]string{"Sync owner": "Синхронды сервис иесі", "answered": "жауап берді"}
	page := a.WithNames(func(s string) string { return kk[s] })
	if got := page.TestingScenario.Scenarios[0]; got.Feature != kk["Sync owner"] || got.Name != kk["answered"] {
		t.Fatalf("the page shows %q / %q", got.Feature, got.Name)
	}
	if r := page.TestingScenario.Remarks[0]; r.Feature != kk["Sync owner"] || r.Scenario != "unknown" {
		t.Fatalf("a remark's names: %q / %q (an untranslated name stays as it is)", r.Feature, r.Scenario)
	}
	if a.TestingScenario.Scenarios[0].Name != "answered" || a.TestingScenario.Remarks[0].Feature != "Sync owner" {
		t.Fatal("WithNames changed the act it was given")
	}
}
