package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/shep"
)

// actArgs are the fields of Appendix 4 that a run does not know.
func actArgs(dir string, extra ...string) []string {
	return append([]string{"act", "--out", dir,
		"--owner", "Ministry of Justice", "--initiator", "Ministry of Finance",
		"--owner-system", "MJ_IS", "--initiator-system", "INITIATOR_SYS",
		"--service", "OWN_SERVICE=Reference service"}, extra...)
}

func shepconf(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), args, &out, &out)
	return code, out.String()
}

// TestActFromRunIsSignedAndVerifies forms the act from a real run, verifies its EDS, and shows that
// an act changed after signing no longer verifies.
func TestActFromRunIsSignedAndVerifies(t *testing.T) {
	dir := t.TempDir()
	res, err := shep.Run(context.Background(), shep.Options{OutDir: dir, Tags: "@R-6", TimeScale: 0.01, Output: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Scenarios == 0 {
		t.Fatal("the run had no scenario")
	}
	// The report of a demonstration says so on top, and still lists the roles it played.
	if report, _ := os.ReadFile(res.Report); !bytes.Contains(report, []byte("DEMONSTRATION — the built-in sample agency system was tested; this run certifies nothing")) ||
		!bytes.Contains(report, []byte(`id="role-sync-owner"`)) || !bytes.Contains(report, []byte(`id="role-rest-initiator"`)) {
		t.Error("the report of a demonstration lacks the banner or the roles")
	}

	code, out := shepconf(t, actArgs(dir)...)
	if code != exitError || strings.Contains(out, "A4-F field") || !strings.Contains(out, "--tester-iin") {
		t.Fatalf("an act without the tester's EDS: exit %d\n%s", code, out)
	}
	code, out = shepconf(t, "act", "--out", dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123")
	for _, want := range []string{"A4-F field 1.1", "--owner", "A4-F field 3.1/3.2", "OWN_SERVICE"} {
		if code != exitError || !strings.Contains(out, want) {
			t.Errorf("an act without its fields: exit %d, want %q in\n%s", code, want, out)
		}
	}

	code, out = shepconf(t, actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123")...)
	if code != exitConformant {
		t.Fatalf("form the act: exit %d\n%s", code, out)
	}
	xmlPath := filepath.Join(dir, ActXMLFile)
	signed, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, ActHTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	// The run was a narrowed demonstration at a shrunk time scale: whatever its verdict, it cannot
	// support commissioning, and the act says each reason.
	for _, want := range []string{"demonstration of the built-in sample systems", "narrowed with --tags", "(time scale 1) certifies", "the run tested AGENCY_SYS"} {
		if !strings.Contains(out, want) {
			t.Errorf("the decision printed does not say %q:\n%s", want, out)
		}
	}
	// act.xml holds the run's identifiers and the gaps' codes; the page words them.
	for _, want := range []string{"<key>OWN_SERVICE</key>", `<gap code="time-scale" scale="0.01"/>`, `<gap code="demonstration"/>`, `clauses="A1-P4 R-2.23 R-6 R-53"`,
		`<testingDecision code="not-ready">`, `<seal sealed="`, `<file name="cucumber.json" digest="sha256:`, "<productionDate/>", "ds:Signature"} {
		if !bytes.Contains(signed, []byte(want)) {
			t.Errorf("act.xml lacks %q", want)
		}
	}
	for _, want := range []string{`<html lang="en">`, "[A1-P4, R-2.23, R-6, R-53]", "(time scale 1) certifies", "demonstration of the built-in sample systems"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("act.html lacks %q", want)
		}
	}
	assertInOrder(t, string(page), "1.1", "1.2", "2.1", "2.2", "3.1", "3.2", ">4<", ">5<", ">6<", "Aigerim Tester")

	code, out = shepconf(t, "act", "--out", dir, "--verify", xmlPath)
	if code != exitConformant || !strings.Contains(out, "1 valid EDS") || !strings.Contains(out, "Aigerim Tester (IIN 900101300123") {
		t.Fatalf("verify the act: exit %d\n%s", code, out)
	}

	forged := filepath.Join(dir, "forged.xml")
	if err := os.WriteFile(forged, bytes.Replace(signed, []byte("Ministry of Finance"), []byte("Ministry of Energy"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = shepconf(t, "act", "--out", dir, "--verify", forged)
	if code != exitFailed || !strings.Contains(out, "NOT VALID") || !strings.Contains(out, "R-8") {
		t.Fatalf("an act changed after signing: exit %d\n%s", code, out)
	}

	// The simulated NCA persists in its state folder: a second act is signed under the same root.
	root, _ := os.ReadFile(filepath.Join(dir, "nca", nca.RootCertFile))
	if code, out := shepconf(t, actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123", "--id", "act-2")...); code != exitConformant {
		t.Fatalf("second act: exit %d\n%s", code, out)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "nca", nca.RootCertFile)); len(root) == 0 || !bytes.Equal(root, again) {
		t.Error("the simulated NCA was replaced between two acts")
	}
	if code, out := shepconf(t, "act", "--out", dir, "--verify", forged, "--state", t.TempDir()); code != exitError || !strings.Contains(out, "--roots") {
		t.Errorf("verify without an NCA: exit %d\n%s", code, out)
	}
}

// TestActWithSuppliedKey signs with a key and certificate the agency brings, and refuses a
// certificate from outside the NCA whose roots are given.
func TestActWithSuppliedKey(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, steps.CucumberFile), []byte(`[{"uri":"s.feature","name":"The synchronous channel","elements":[
		{"name":"A request is answered","tags":[{"name":"@R-47"}],"steps":[{"name":"it is answered","result":{"status":"passed"}}]},
		{"name":"A late answer is refused","tags":[{"name":"@A2-T1"}],"steps":[{"name":"it is refused","result":{"status":"failed"}}]}]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, steps.RunFile), []byte(`{"timeScale":1,"verdict":"NOT CONFORMANT"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	sealRun(t, dir)
	ca, _ := nca.New("agency NCA")
	id, err := ca.Issue(nca.Subject{CommonName: "Daniyar Tester", IIN: "850505300456", BIN: "100140000002"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath, rootsPath := filepath.Join(dir, "tester.pem"), filepath.Join(dir, "tester.key"), filepath.Join(dir, "roots.pem")
	if err := pki.SaveIdentity(id, certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rootsPath, pki.PEM(ca.Root()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := shepconf(t, actArgs(dir, "--key", keyPath, "--cert", certPath, "--roots", rootsPath)...)
	if code != exitConformant || !strings.Contains(out, "not ready for commissioning") {
		t.Fatalf("form the act: exit %d\n%s", code, out)
	}
	signed, _ := os.ReadFile(filepath.Join(dir, ActXMLFile))
	page, _ := os.ReadFile(filepath.Join(dir, ActHTMLFile))
	if !bytes.Contains(signed, []byte(`<scenario status="failed" feature="The synchronous channel" name="A late answer is refused" clauses="A2-T1"/>`)) ||
		!bytes.Contains(page, []byte("<p>Scenarios that did not pass:</p>\n<ul>\n<li data-status=\"failed\">failed: The synchronous channel / A late answer is refused [A2-T1]</li>")) {
		t.Errorf("the act does not name the failed scenario and its clause:\n%s", signed)
	}
	code, out = shepconf(t, "act", "--out", dir, "--verify", filepath.Join(dir, ActXMLFile), "--roots", rootsPath)
	if code != exitConformant || !strings.Contains(out, "Daniyar Tester (IIN 850505300456, BIN 100140000002)") {
		t.Fatalf("verify: exit %d\n%s", code, out)
	}

	other, _ := nca.New("another CA")
	if err := os.WriteFile(rootsPath, pki.PEM(other.Root()), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := shepconf(t, actArgs(dir, "--key", keyPath, "--cert", certPath, "--roots", rootsPath)...); code != exitError || !strings.Contains(out, "R-60") {
		t.Errorf("a certificate outside the NCA: exit %d\n%s", code, out)
	}
	if code, out := shepconf(t, "act", "--out", dir, "--verify", filepath.Join(dir, ActXMLFile), "--roots", rootsPath); code != exitFailed || !strings.Contains(out, "R-60") {
		t.Errorf("verify against another NCA: exit %d\n%s", code, out)
	}
}

func assertInOrder(t *testing.T, s string, parts ...string) {
	t.Helper()
	at := 0
	for _, p := range parts {
		i := strings.Index(s[at:], p)
		if i < 0 {
			t.Errorf("%q missing or out of order in the printable act", p)
			return
		}
		at += i + len(p)
	}
}

// writeRun puts a finished run in dir: its cucumber.json with one scenario of the role per status,
// and its run.json.
func writeRun(t *testing.T, dir string, info steps.RunInfo, statuses ...string) {
	t.Helper()
	var scenarios []string
	for i, st := range statuses {
		scenarios = append(scenarios, fmt.Sprintf(`{"name":"exchange %d","tags":[{"name":"@R-47"}],"steps":[{"name":"it is answered","result":{"status":%q}}]}`, i, st))
	}
	cucumber := `[{"uri":"role_sync_owner.feature","name":"The agency's owner","tags":[{"name":"@role-sync-owner"}],"elements":[` + strings.Join(scenarios, ",") + `]}]`
	ri, _ := json.Marshal(info)
	if err := os.WriteFile(filepath.Join(dir, steps.CucumberFile), []byte(cucumber), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, steps.RunFile), ri, 0o644); err != nil {
		t.Fatal(err)
	}
	sealRun(t, dir)
}

// TestActSaysReadyOnlyForWhatWasTested: "ready for commissioning" needs a complete run, at time
// scale 1, of the system, roles and services the act names; otherwise the act is still formed,
// as the record of the run, and its decision names each gap.
func TestActSaysReadyOnlyForWhatWasTested(t *testing.T) {
	complete := func() steps.RunInfo {
		return steps.RunInfo{TimeScale: 1, Tags: "~@load && @role-sync-owner,@role-sync-initiator", Verdict: "CONFORMANT",
			SUT: steps.SUTInfo{Kind: "container", SystemID: "MJ_IS", BIN: "100140000002", Image: "agency:1", Digest: "sha256:0a1b"},
			Roles: []steps.RoleResult{
				{Role: "sync-owner", Passed: 2, Services: []string{"OWN_SERVICE"}},
				{Role: "sync-initiator", Passed: 1, Services: []string{"OTHER_SERVICE"}},
			}}
	}
	cases := []struct {
		name     string
		change   func(*steps.RunInfo)
		statuses []string
		want     []string // the gaps the decision printed must name; none for ready
		inXML    []string // the same gaps as act.xml holds them
	}{
		{"a complete run of the system the act names", func(*steps.RunInfo) {}, nil, nil, nil},
		{"a run narrowed with --tags that skipped a role scenario", func(ri *steps.RunInfo) {
			ri.Filtered, ri.Tags, ri.Verdict = true, "@R-47 && @role-sync-owner", "INCOMPLETE"
			ri.Roles[0].Passed, ri.Roles[0].Skipped = 1, 1
		}, []string{"passed", "skipped"},
			[]string{"narrowed with --tags (it selected @R-47 && @role-sync-owner)", "role sync-owner: 1 scenario(s) skipped", "verdict INCOMPLETE: 1 of 2 scenarios did not pass"},
			[]string{`<gap code="filtered" tags="@R-47 &amp;&amp; @role-sync-owner"/>`, `<gap code="role-not-certified" role="sync-owner" skipped="1"/>`,
				`<gap code="scenarios-not-passed" open="1" total="2" verdict="INCOMPLETE"/>`}},
		{"a narrowed run in which every scenario selected passed", func(ri *steps.RunInfo) { ri.Filtered = true }, nil,
			[]string{"narrowed with --tags"}, []string{`<gap code="filtered"`}},
		{"a demonstration with the built-in sample systems", func(ri *steps.RunInfo) {
			ri.SUT = steps.SUTInfo{Kind: "reference", Demonstration: true, SystemID: "AGENCY_SYS"}
		}, nil, []string{"the run was a demonstration of the built-in sample systems and certifies nothing", "the act names owner system MJ_IS and initiator system INITIATOR_SYS, but the run tested AGENCY_SYS"},
			[]string{`<gap code="demonstration"/>`, `<gap code="system-not-tested" system="AGENCY_SYS"/>`}},
		{"a run of another system", func(ri *steps.RunInfo) { ri.SUT.SystemID = "MF_IS" }, nil,
			[]string{"but the run tested MF_IS"}, []string{`<gap code="system-not-tested" system="MF_IS"/>`}},
		{"the owner system tested only as an initiator", func(ri *steps.RunInfo) { ri.Roles = ri.Roles[1:]; ri.Roles[0].Services = []string{"OWN_SERVICE"} }, nil,
			[]string{"the act names MJ_IS as the owner system (field 2.1), but the run certified it in no owner role (sync-owner, rest-owner, async-receiver-pull, async-receiver-push)"},
			[]string{`<gap code="side-not-certified" system="MJ_IS" side="owner" roles="sync-owner rest-owner async-receiver-pull async-receiver-push"/>`}},
		{"a service the run did not exercise", func(ri *steps.RunInfo) { ri.Roles[0].Services = []string{"LOOKUP"} }, nil,
			[]string{"service OWN_SERVICE was not exercised in a certified role of the run (services exercised: LOOKUP, OTHER_SERVICE)"},
			[]string{`<gap code="service-not-exercised" service="OWN_SERVICE" exercised="LOOKUP OTHER_SERVICE"/>`}},
		{"a service exercised only in a role that failed", func(ri *steps.RunInfo) { ri.Roles[0].Passed, ri.Roles[0].Failed = 0, 2 }, []string{"failed", "failed"},
			[]string{"role sync-owner: 2 scenario(s) failed", "service OWN_SERVICE was not exercised"},
			[]string{`<gap code="role-not-certified" role="sync-owner" failed="2"/>`, `<gap code="service-not-exercised" service="OWN_SERVICE" exercised="OTHER_SERVICE"/>`}},
		{"a shrunk time scale", func(ri *steps.RunInfo) { ri.TimeScale = 0.01 }, nil, []string{"time scale 0.01"}, []string{`<gap code="time-scale" scale="0.01"/>`}},
		{"a run.json of an earlier shepconf, without the system under test", func(ri *steps.RunInfo) { *ri = steps.RunInfo{TimeScale: 1, Verdict: "CONFORMANT"} }, nil,
			[]string{"names no system under test"}, []string{`<gap code="no-system-under-test"/>`}},
	}
	state := t.TempDir() // one simulated NCA for every act
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ri := complete()
			c.change(&ri)
			statuses := c.statuses
			if statuses == nil {
				statuses = []string{"passed", "passed"}
			}
			writeRun(t, dir, ri, statuses...)
			code, out := shepconf(t, actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123", "--state", state)...)
			if code != exitConformant {
				t.Fatalf("the act is a record and must be formed: exit %d\n%s", code, out)
			}
			signed, _ := os.ReadFile(filepath.Join(dir, ActXMLFile))
			if c.want == nil {
				if !strings.Contains(out, "Decision: The service is ready for commissioning") || !bytes.Contains(signed, []byte(`<testingDecision code="ready"/>`)) || bytes.Contains(signed, []byte("<gap ")) {
					t.Errorf("a complete run is not ready:\n%s", out)
				}
				return
			}
			if !strings.Contains(out, "Decision: The service is not ready for commissioning") || !bytes.Contains(signed, []byte(`<testingDecision code="not-ready">`)) {
				t.Errorf("the act says ready:\n%s", out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("the output does not name %q:\n%s", w, out)
				}
			}
			for _, w := range c.inXML {
				if !bytes.Contains(signed, []byte(w)) {
					t.Errorf("act.xml lacks %s:\n%s", w, signed)
				}
			}
		})
	}
}

// A complete run whose scenarios drew remarks is still ready for commissioning: the act lists the
// remarks (field 4) and names them in the decision, and the command prints them.
func TestActWithRemarksIsStillReady(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, steps.RunInfo{TimeScale: 1, Tags: "~@load && @role-sync-owner", Verdict: "CONFORMANT",
		SUT:   steps.SUTInfo{Kind: "container", SystemID: "MJ_IS", BIN: "100140000002", Image: "agency:1"},
		Roles: []steps.RoleResult{{Role: "sync-owner", Passed: 1, Services: []string{"OWN_SERVICE"}}}}, "passed")
	remark, _ := json.Marshal(reports.Remark{Code: "rsa-sha1", Rule: "A6-S2", Reason: "SHA-1 is deprecated; sign with RSA-SHA256"})
	feats := []reports.Feature{{URI: "role_sync_owner.feature", Name: "The agency's owner", Tags: []reports.Tag{{Name: "@role-sync-owner"}},
		Scenarios: []reports.Scenario{{Name: "exchange 0", Tags: []reports.Tag{{Name: "@R-47"}}, Steps: []reports.Step{{Name: "it is answered",
			Result: reports.Result{Status: "passed"}, Embeddings: []reports.Embedding{{Name: "remark", MimeType: reports.RemarkMediaType, Data: remark}}}}}}}}
	cucumber, _ := json.Marshal(feats)
	if err := os.WriteFile(filepath.Join(dir, steps.CucumberFile), cucumber, 0o644); err != nil {
		t.Fatal(err)
	}
	sealRun(t, dir)
	code, out := shepconf(t, actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123", "--state", t.TempDir())...)
	if code != exitConformant {
		t.Fatalf("exit %d\n%s", code, out)
	}
	signed, _ := os.ReadFile(filepath.Join(dir, ActXMLFile))
	page, _ := os.ReadFile(filepath.Join(dir, ActHTMLFile))
	if !strings.Contains(out, "Decision: The service is ready for commissioning") || !strings.Contains(out, "The run made 1 remark(s), listed in field 4 (rsa-sha1)") {
		t.Errorf("a complete run with a remark is not ready, or the decision does not name the remark:\n%s", out)
	}
	for _, want := range []string{"remark rsa-sha1 (A6-S2), The agency's owner / exchange 0: SHA-1 is deprecated; sign with RSA-SHA256"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if !bytes.Contains(signed, []byte(`<remark code="rsa-sha1" rule="A6-S2" feature="The agency`)) || !bytes.Contains(page, []byte("<li>rsa-sha1 (A6-S2), The agency&#39;s owner / exchange 0: signed with RSA-SHA1")) {
		t.Errorf("field 4 of the act does not list the remark:\n%s", signed)
	}
}

// The act's page is rendered in Kazakh, Russian or English (--lang) with the form's own labels,
// and each shows the same fields and signer; act.xml is the same whatever the page's language, and
// --verify accepts it in each and refuses it changed after signing.
func TestActInEachLanguage(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	writeRun(t, dir, steps.RunInfo{TimeScale: 1, Tags: "~@load && @role-sync-owner", Verdict: "NOT CONFORMANT",
		SUT:   steps.SUTInfo{Kind: "container", SystemID: "MJ_IS", BIN: "100140000002", Image: "agency:1"},
		Roles: []steps.RoleResult{{Role: "sync-owner", Passed: 1, Failed: 1, Services: []string{"OWN_SERVICE"}}}}, "passed", "failed")
	words := map[string][]string{ // the title, a row label, field 5's label, the empty field 6, the decision printed
		"kk": {"Тестілеу және пайдалануға енгізу туралы акт", "Сервис иесінің атауы", "Тестілеу нәтижелері бойынша шешім", "оператор толтырады",
			"Decision: Сервис пайдалануға енгізуге дайын емес", "sync-owner рөлі: 1 сценарий өтпеді"},
		"ru": {"Акт тестирования и ввода в эксплуатацию", "Наименование владельца сервиса", "Решение по результатам тестирования", "заполняется оператором",
			"Decision: Сервис не готов к вводу в эксплуатацию", "роль sync-owner: не пройдено сценариев: 1"},
		"en": {"Act of testing and commissioning", "Name of the service owner", "Decision based on the results of testing", "to be filled in by the operator",
			"Decision: The service is not ready for commissioning", "role sync-owner: 1 scenario(s) failed"},
	}
	acts, shown := map[string][]byte{}, map[string]string{}
	for _, lang := range []string{"kk", "ru", "en"} {
		code, out := shepconf(t, actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123", "--state", state, "--id", "act-lang", "--lang", lang)...)
		if code != exitConformant || !strings.Contains(out, words[lang][4]) || !strings.Contains(out, "  - "+words[lang][5]) {
			t.Fatalf("form the act in %s: exit %d\n%s", lang, code, out)
		}
		page, _ := os.ReadFile(filepath.Join(dir, ActHTMLFile))
		if !bytes.Contains(page, []byte(`<html lang="`+lang+`">`)) {
			t.Errorf("%s: the page does not say its language", lang)
		}
		for _, w := range words[lang][:4] {
			if !bytes.Contains(page, []byte(w)) {
				t.Errorf("%s: the page lacks %q", lang, w)
			}
		}
		shown[lang] = shownOf(page)
		signed, _ := os.ReadFile(filepath.Join(dir, ActXMLFile))
		acts[lang] = signed

		xmlPath := filepath.Join(dir, "act-"+lang+".xml")
		if err := os.WriteFile(xmlPath, signed, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out = shepconf(t, "act", "--out", dir, "--state", state, "--verify", xmlPath, "--lang", lang)
		if code != exitConformant || !strings.Contains(out, "1 valid EDS") || !strings.Contains(out, "Aigerim Tester (IIN 900101300123") || !strings.Contains(out, words[lang][4]) {
			t.Errorf("verify the act rendered in %s: exit %d\n%s", lang, code, out)
		}
		// Changed after signing, the act rendered in each language is refused: a decision turned
		// positive, a party renamed.
		for _, forge := range [][2]string{{`code="not-ready"`, `code="ready"`}, {"Ministry of Finance", "Ministry of Energy"}} {
			if !bytes.Contains(signed, []byte(forge[0])) {
				t.Fatalf("%s: act.xml lacks %s", lang, forge[0])
			}
			forged := filepath.Join(dir, "forged-"+lang+".xml")
			if err := os.WriteFile(forged, bytes.Replace(signed, []byte(forge[0]), []byte(forge[1]), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, out := shepconf(t, "act", "--out", dir, "--state", state, "--verify", forged, "--lang", lang); code != exitFailed || !strings.Contains(out, "NOT VALID") || !strings.Contains(out, "R-8") {
				t.Errorf("%s: an act changed after signing (%s): exit %d\n%s", lang, forge[1], code, out)
			}
		}
	}
	for _, lang := range []string{"kk", "ru"} {
		if shown[lang] != shown["en"] {
			t.Errorf("the page in %s shows\n%s\nthe page in English\n%s", lang, shown[lang], shown["en"])
		}
		if a, b := unsigned(t, acts[lang]), unsigned(t, acts["en"]); !bytes.Equal(a, b) {
			t.Errorf("act.xml differs with the page's language (%s):\n%s\n%s", lang, a, b)
		}
	}
}

var shownFacts = regexp.MustCompile(`(data-field|data-status|data-gap|data-decision|datetime)="([^"]*)"|<td>(CN=[^<]*)</td>`)

// shownOf is what a page shows apart from its words: rows, statuses, gaps, decision, dates and the
// signers' names.
func shownOf(page []byte) string {
	var b strings.Builder
	for _, m := range shownFacts.FindAllSubmatch(page, -1) {
		fmt.Fprintf(&b, "%s=%s%s\n", m[1], m[2], m[3])
	}
	return b.String()
}

// unsigned is a signed act without its signatures.
func unsigned(t *testing.T, signed []byte) []byte {
	t.Helper()
	i := bytes.Index(signed, []byte("<ds:Signature"))
	if i < 0 {
		t.Fatalf("an act without a signature:\n%s", signed)
	}
	return signed[:i]
}

// A language the act is not rendered in is refused, naming the flag, the languages and the fix.
func TestActRefusesAnUnknownLanguage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123", "--lang", "de"),
		{"act", "--out", dir, "--verify", filepath.Join(dir, ActXMLFile), "--lang", "KK"},
		{"act", "--out", dir, "--lang", ""},
	} {
		lang := args[len(args)-1]
		code, out := shepconf(t, args...)
		want := fmt.Sprintf(`shepconf act: --lang: %q is not a language of the act: it is rendered in kk (Kazakh), ru (Russian) or en (English); pass --lang kk, --lang ru or --lang en`, lang)
		if code != exitError || !strings.Contains(out, want) {
			t.Errorf("--lang %q: exit %d\n%s", lang, code, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ActXMLFile)); err == nil {
		t.Error("an act was formed in an unknown language")
	}
}
