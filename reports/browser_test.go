package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/shepconf/shepconf/assembly/sut"
	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps/shep"
)

// The report is read in a browser, so it is checked in one: headless Chromium (Debian package
// chromium, installed by ./scripts/deps --ci) opens a real report, offline, and must show the
// verdict, switch languages, fit a phone screen and print, without a single console message.
func TestReportInChromium(t *testing.T) {
	ctx := browser(t)
	// A real report of the suite against a deliberately broken owner: failures, verdict records
	// and evidence are all on the page.
	res, err := shep.Run(context.Background(), shep.Options{
		OutDir: t.TempDir(), TimeScale: 0.01, Tags: "@R-22", Output: io.Discard,
		OwnerOmit: []string{"response/responseInfo/responseDate"},
	})
	if err != nil {
		t.Fatal(err)
	}
	problems := watch(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+res.Report)); err != nil {
		t.Fatal(err)
	}
	// The matrix's links to scenarios are packed too, and unpacked as the page opens.
	settle(t, ctx)
	if links := eval[string](t, ctx, `Array.prototype.map.call(document.querySelectorAll("#c-R-22 a.badge"), function (a) { return a.getAttribute("href"); }).join(" ")`); !strings.HasPrefix(links, "#s") {
		t.Errorf("once opened, the page links R-22 in the traceability matrix to %q, want its scenarios", links)
	}
	expandAll(t, ctx) // steps, verdict records and evidence are packed until then
	if v := eval[string](t, ctx, `document.getElementById("verdict").dataset.verdict`); v != reports.NotConformant {
		t.Errorf("verdict in the DOM is %q, want %q", v, reports.NotConformant)
	}
	if v := eval[string](t, ctx, `document.getElementById("coverage").textContent`); !strings.Contains(v, "/") {
		t.Errorf("no coverage figure on top: %q", v)
	}

	languages := []struct{ lang, verdict, failures string }{
		{"kk", "СӘЙКЕС КЕЛМЕЙДІ", "Сәйкессіздіктер"},
		{"ru", "НЕ СООТВЕТСТВУЕТ", "Несоответствия"},
		{"en", "NOT CONFORMANT", "Failures"},
	}
	cat, err := reports.ParseCatalogue(shepfixtures.Traceability())
	if err != nil {
		t.Fatal(err)
	}
	var r22 reports.Requirement
	for _, q := range cat {
		if q.ID == "R-22" {
			r22 = q
		}
	}
	for _, l := range languages {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-lang="`+l.lang+`"]`))); err != nil {
			t.Fatal(err)
		}
		settle(t, ctx)
		got := eval[string](t, ctx, `[document.documentElement.lang, document.querySelector("#verdict strong").textContent, document.getElementById("failures").textContent].join("|")`)
		if want := l.lang + "|" + l.verdict + "|" + l.failures; got != want {
			t.Errorf("after switching to %s the page shows %q, want %q", l.lang, got, want)
		}
		// The clause's title in the traceability matrix follows, from the catalogue's own column.
		want := r22.Title
		if tr, ok := r22.Titles[l.lang]; ok {
			want = tr
		}
		if got := eval[string](t, ctx, `document.querySelector("#c-R-22 td:nth-child(2)").textContent`); got != want {
			t.Errorf("after switching to %s the matrix shows R-22 as %q, want %q", l.lang, got, want)
		}
		if l.lang != "en" {
			if left := eval[[]string](t, ctx, englishLeft(t)); len(left) > 0 {
				t.Errorf("in %s the page still has English words (word: its text), %d in all: %s", l.lang, len(left), strings.Join(left[:min(len(left), 60)], "\n\n"))
			}
		}
	}
	// Every step and scenario the run shows carries its translation (features/shep/i18n.yaml).
	steps := eval[string](t, ctx, `(function () {
		var rows = Array.prototype.filter.call(document.querySelectorAll("td"), function (td) { return td.querySelector(":scope > strong > [data-t^='kw-']"); });
		var bare = rows.filter(function (td) { return !td.querySelector(":scope > [data-tr]"); }).map(function (td) { return td.textContent.trim().split("\n")[0]; });
		var names = Array.prototype.filter.call(document.querySelectorAll("details > summary"), function (s) { return s.querySelector(":scope > .st") && !s.querySelector(":scope > [data-tr]"); });
		return rows.length + " steps; without a translation: " + bare.concat(names.map(function (s) { return s.textContent; })).join(" | ");
	})()`)
	if !strings.HasSuffix(steps, "without a translation: ") || strings.HasPrefix(steps, "0 ") {
		t.Errorf("the report's steps and scenarios lack translations: %s", steps)
	}

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(filepath.Dir(res.Report), "report.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 50_000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot %s missing or trivial (%d bytes): %v", shot, len(png), err)
	}

	// The first pages are enough to prove the print styles render; all of them take seconds.
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPageRanges("1-3")))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF")) || len(pdf) < 10_000 {
		t.Errorf("printed report is not a PDF of substance (%d bytes)", len(pdf))
	}

	// On a phone the page wraps instead of scrolling sideways.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Reload(),
	); err != nil {
		t.Fatal(err)
	}
	if w := eval[string](t, ctx, `document.documentElement.scrollWidth + " " + window.innerWidth`); func() bool {
		var scroll, inner int
		fmt.Sscan(w, &scroll, &inner)
		return scroll > inner
	}() {
		t.Errorf("on a 390 px phone screen the page is wider than the screen (scroll width, screen width: %s)", w)
	}
	problems.check(t)
}

// A run that fails in every area (the sample agency system broken in each of its roles, the
// portal's refusals, hostile messages) is explained wholly in Kazakh and in Russian: after
// switching, no English word is left outside code, identifiers, quoted values and evidence.
func TestFailedRunExplainedInKazakhAndRussian(t *testing.T) {
	ctx := browser(t)
	res, err := shep.Run(context.Background(), shep.Options{
		OutDir: t.TempDir(), TimeScale: 0.01, Tags: "~@load", Output: io.Discard,
		SUT: sut.Config{Defects: []string{"accept-unsigned-answer", "no-acknowledgement", "no-status-follow", "rest-error-as-answer",
			"rest-no-auth", "unsigned-async-answer", "unsigned-async-message", "rest-slow", "unavailable"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+res.Report)); err != nil {
		t.Fatal(err)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll(".failure").length`); n < 10 {
		t.Fatalf("the broken run shows %d failures: too few to prove anything", n)
	}
	expandAll(t, ctx)
	for _, lang := range []string{"kk", "ru"} {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-lang="`+lang+`"]`))); err != nil {
			t.Fatal(err)
		}
		settle(t, ctx)
		if left := eval[[]string](t, ctx, englishLeft(t)); len(left) > 0 {
			t.Errorf("in %s the page still has English words (word: its text), %d in all:\n%s", lang, len(left), strings.Join(left[:min(len(left), 40)], "\n\n"))
		}
	}
}

// englishLeft is a script listing the texts of the page that hold English words outside code,
// identifiers and evidence, each once, with its first English word. A word counts as English when
// it is Latin letters only, three or more, not an acronym (HTTP), not part of an identifier
// (responseDate, token.expired, R-47, a path, a quoted value) and not a name of the contract's
// elements and fields (Body, password, amount: from the XSD, WSDL and REST schemas).
func englishLeft(t *testing.T) string {
	t.Helper()
	names := map[string]bool{}
	nameRE := regexp.MustCompile(`(?:name="|")([A-Za-z]+)"`)
	for _, dir := range []fs.FS{shepfixtures.XSD(), shepfixtures.WSDL(), shepfixtures.REST()} {
		err := fs.WalkDir(dir, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			raw, err := fs.ReadFile(dir, path)
			for _, m := range nameRE.FindAllSubmatch(raw, -1) {
				names[strings.ToLower(string(m[1]))] = true // the Rules' tables print types in lower case
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A product, the Rules' delivery models and id format, values, the protocols' own words (HTTP
	// Basic, the Authorization header, the OCSP nonce, the C14N algorithm's name) and the report's
	// mark of a secret left out.
	for _, n := range []string{"shepconf", "push", "pull", "guid", "true", "false", "basic", "authorization", "nonce", "exclusive", "redacted"} {
		names[n] = true
	}
	list, _ := json.Marshal(slices.Sorted(maps.Keys(names)))
	return strings.Replace(englishLeftScript, "NAMES", string(list), 1)
}

const englishLeftScript = `(function () {
	var skip = "script, style, code, pre, .evidence, .badge, .st, #lang";
	var found = [], seen = {};
	var names = NAMES;
	var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (var n = walker.nextNode(); n; n = walker.nextNode()) {
		var el = n.parentElement;
		if (!el || el.closest(skip) || el.closest("[hidden]")) { continue; }
		var whole = n.textContent.trim();
		// quoted values and clause IDs ("A1-T20 row 5") are identifiers
		var english = n.textContent.replace(/"[^"]*"|«[^»]*»|“[^”]*”|'[^']*'|\b[A-Z]\d*-[A-Z]*\d+ row \d+/g, " ").split(/[\s,;()\[\]{}]+/).map(function (chunk) {
			return chunk.replace(/^[:!?…—–-]+|[.:!?…—–-]+$/g, ""); // a leading dot makes a file's extension
		}).filter(function (w) {
			// digits, dots, slashes, dashes make an identifier; so do an acronym, camelCase
			// (WSSecurity, responseDate) and the names the Rules themselves write in Latin letters
			return /^[A-Za-z]{3,}$/.test(w) && !/[A-Z].*[A-Z]/.test(w) && !/[a-z][A-Z]/.test(w) && names.indexOf(w.toLowerCase()) < 0;
		});
		if (english.length && !seen[whole]) {
			seen[whole] = true;
			found.push(english[0] + ": " + whole);
		}
	}
	return found;
})()`

// Without scripts the report is whole, in English, and the language switch (which would do
// nothing) is not offered.
func TestReportWithoutScripts(t *testing.T) {
	ctx := browser(t)
	page := samplePage(t)
	noScripts := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	if err := chromedp.Do(ctx, noScripts, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	verdict, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("#verdict")))
	if err != nil {
		t.Fatal(err)
	}
	nav, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("#lang")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(verdict, ">"+reports.NotConformant+"<") || !strings.Contains(nav, "hidden") {
		t.Errorf("without scripts: verdict %s, language switch %s", verdict, nav)
	}
}

// samplePage writes the report of sampleRun to a file and gives its path.
func samplePage(t *testing.T) string {
	t.Helper()
	return writePage(t, sampleRun())
}

func writePage(t *testing.T, run reports.Run) string {
	t.Helper()
	var b bytes.Buffer
	if err := reports.WriteHTML(&b, run); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return page
}

// A scenario's steps and evidence are in the file compressed, and unpacked by the browser when the
// reader opens the scenario, in the language the reader chose; a failure's evidence when opened.
func TestEvidenceUnpackedWhenOpened(t *testing.T) {
	ctx := browser(t)
	run := sampleRun()
	passed := &run.Features[0].Scenarios[1].Steps[0]
	passed.Embeddings = append(passed.Embeddings, reports.Embedding{Name: "request.xml", MimeType: "application/xml",
		Data: []byte("<request><messageId>m-42</messageId></request>")})
	run.Texts = reports.Texts{"it works": {"ru": "это работает", "kk": "бұл жұмыс істейді"}}
	page := writePage(t, run)
	if raw, _ := os.ReadFile(page); bytes.Contains(raw, []byte("m-42")) || bytes.Contains(raw, []byte("это работает")) {
		t.Fatal("the evidence or a translation is in the file as plain text: nothing was packed")
	}
	problems := watch(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	settle(t, ctx)
	if got := eval[string](t, ctx, `document.querySelector("#s2 .body").innerHTML`); got != "" {
		t.Fatalf("the closed scenario's body is unpacked before it is opened: %.200s", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-lang="ru"]`)), chromedp.Click(chromedp.CSS("#s2 > summary"))); err != nil {
		t.Fatal(err)
	}
	const opened = `(document.querySelector("#s2 pre") || {}).textContent === "<request>\n  <messageId>m-42</messageId>\n</request>\n"`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](opened, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("the opened scenario does not show its evidence: %v; its body: %.300s", err, eval[string](t, ctx, `document.querySelector("#s2 .body").innerHTML`))
	}
	settle(t, ctx)
	if got := eval[string](t, ctx, `document.querySelector("#s2 td [data-tr]").textContent + "|" + document.querySelector("#s2 td [data-t^='kw-']").textContent`); got != "это работает|Тогда" {
		t.Errorf("the unpacked step reads %q in Russian, want это работает|Тогда", got)
	}
	// The failure on top shows the names of its evidence; the body comes when one is opened.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".failure .evidence summary"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector(".failure pre").textContent.indexOf("<b>late</b>") > 0`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("the failure's evidence, opened, shows %q: %v", eval[string](t, ctx, `document.querySelector(".failure pre").textContent`), err)
	}
	problems.check(t)
}

// sampleRun is a small run with a failure, a remark, evidence and a measured series, for the pages
// that need no suite run.
func sampleRun() reports.Run {
	bad := scenario("slow owner", "failed", "@A2-T1")
	bad.Steps[0].Embeddings = []reports.Embedding{{Name: "answer.xml", MimeType: "application/xml", Data: []byte("<a><b>late</b></a>")}}
	m := reports.Measurement{Name: "owner processing time", Rule: "A2-T1 row 1", Unit: "s", Limit: 30}
	for i := range 200 {
		m.Samples = append(m.Samples, reports.Sample{At: time.Duration(i) * time.Second, Value: float64(5 + i%29)})
	}
	m.Samples = append(m.Samples, reports.Sample{At: 200 * time.Second, Value: 31})
	return reports.Run{Started: time.Now(), Finished: time.Now(), TimeScale: 1, LoadCompression: 60, SUT: msg.Raw("sample"), KeyAlgorithm: "RSA-2048",
		Features:     []reports.Feature{{Name: "Sync", Scenarios: []reports.Scenario{bad, remarked("valid exchange", "rsa-sha1", "@R-22")}}},
		Measurements: []reports.Measurement{m}}
}

// Searching the page (Ctrl+F) first unpacks everything, so that the browser's search finds the
// evidence of scenarios the reader never opened, which stay closed.
func TestSearchUnpacksEverything(t *testing.T) {
	ctx := browser(t)
	run := sampleRun()
	passed := &run.Features[0].Scenarios[1].Steps[0]
	passed.Embeddings = append(passed.Embeddings, reports.Embedding{Name: "request.xml", MimeType: "application/xml", Data: []byte("<m>m-42</m>")})
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+writePage(t, run))); err != nil {
		t.Fatal(err)
	}
	settle(t, ctx)
	if n := eval[int](t, ctx, `document.querySelectorAll("[data-z], [data-text]").length`); n == 0 {
		t.Fatal("nothing is packed before the search")
	}
	eval[bool](t, ctx, `document.dispatchEvent(new KeyboardEvent("keydown", {key: "f", ctrlKey: true}))`)
	settle(t, ctx)
	if got := eval[string](t, ctx, `document.querySelectorAll("[data-z], [data-text]").length + " packed, #s2 open: " + document.getElementById("s2").open + ", its evidence: " + document.querySelector("#s2 pre").textContent.trim()`); got != "0 packed, #s2 open: false, its evidence: <m>m-42</m>" {
		t.Errorf("after Ctrl+F: %s", got)
	}
}

// BenchmarkReportOpensInChromium opens the report of a full run (time scale 0.01) in headless
// Chromium and reports the page's load time (navigation start to the end of the load event) and
// the report's size in MB of 1,000,000 bytes, which must stay within 1 MB: steps, verdict records
// and evidence are packed until the reader opens them (pack.go). Target: under half a second to open.
func BenchmarkReportOpensInChromium(b *testing.B) {
	const reportLimit = 1_000_000 // 1 MB, decimal
	ctx := browser(b)
	res, err := shep.Run(context.Background(), shep.Options{OutDir: b.TempDir(), TimeScale: 0.01, Output: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(res.Report)
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for b.Loop() {
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+res.Report)); err != nil {
			b.Fatal(err)
		}
		total += eval[float64](b, ctx, `performance.getEntriesByType("navigation")[0].loadEventEnd`)
	}
	b.ReportMetric(total/float64(b.N), "load-ms/op")
	b.ReportMetric(float64(st.Size())/reportLimit, "report-MB")
	if st.Size() > reportLimit {
		b.Fatalf("the report of a full run is %d bytes, over 1 MB (%d bytes; it loads in %.0f ms)", st.Size(), reportLimit, total/float64(b.N))
	}
}

// browser starts headless Chromium for the test. Without Chromium the test is skipped, loudly,
// except in CI (CI=true), where that is a failure.
func browser(tb testing.TB) context.Context {
	tb.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		msg := "Chromium not found: the report is NOT checked in a browser. Install it with ./scripts/deps --ci (Debian package chromium)."
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		fmt.Fprintln(os.Stderr, "SKIP "+tb.Name()+": "+msg)
		tb.Skip(msg)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1200, 900))...)
	ctx, cancel := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx
}

func eval[T any](tb testing.TB, ctx context.Context, js string) T {
	tb.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// settle waits until the page has unpacked and translated what it was asked to (it marks the body
// aria-busy meanwhile).
func settle(tb testing.TB, ctx context.Context) {
	tb.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.body.hasAttribute("aria-busy")`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		tb.Fatalf("the page is still busy unpacking or translating: %v", err)
	}
}

// expandAll presses the page's "Expand all" and waits until nothing is left packed: every
// scenario's steps, verdict records and evidence are then in the page, as before packing.
func expandAll(tb testing.TB, ctx context.Context) {
	tb.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#expand-all"))); err != nil {
		tb.Fatal(err)
	}
	settle(tb, ctx)
	if left := eval[int](tb, ctx, `document.querySelectorAll("[data-z], [data-text]").length + document.querySelectorAll("details:not([open])").length`); left > 0 {
		tb.Fatalf("after Expand all, %d elements are still packed or closed", left)
	}
}

// problems collects what a clean report never causes: console output, uncaught exceptions,
// errors in the browser's log and requests for anything but the file itself (it must work offline).
type problems struct {
	mu   sync.Mutex
	list []string
}

func watch(tb testing.TB, ctx context.Context) *problems {
	p := &problems{}
	err := chromedp.Listen(ctx, func(ev any) {
		var s string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			s = "console." + string(ev.Type) + ":"
			for _, a := range ev.Args {
				s += fmt.Sprintf(" %s", a.Value)
			}
		case *runtime.EventExceptionThrown:
			s = (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error()
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				s = "browser log: " + ev.Entry.Text + " " + ev.Entry.URL
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; !strings.HasPrefix(u, "file:") && !strings.HasPrefix(u, "data:") {
				s = "network request for " + u + " (the report must open offline)"
			}
		}
		if s != "" {
			p.mu.Lock()
			p.list = append(p.list, s)
			p.mu.Unlock()
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func (p *problems) check(tb testing.TB) {
	tb.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.list {
		tb.Errorf("in the browser: %s", s)
	}
}

// The report opens in the browser's language when it is one of the page's, and the reader's own
// choice, once made, is what it opens in next time.
func TestReportOpensInTheReadersLanguage(t *testing.T) {
	ctx := browser(t)
	page := samplePage(t)
	russianBrowser := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `Object.defineProperty(navigator, "languages", {get: () => ["ru-RU", "en-US"]});`})
		return err
	})
	if err := chromedp.Do(ctx, russianBrowser, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `document.documentElement.lang + "|" + document.querySelector("#verdict strong").textContent`); got != "ru|НЕ СООТВЕТСТВУЕТ" {
		t.Errorf("in a Russian browser the report opens as %q, want ru|НЕ СООТВЕТСТВУЕТ", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-lang="kk"]`)), chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `document.documentElement.lang + "|" + document.querySelector("#verdict strong").textContent`); got != "kk|СӘЙКЕС КЕЛМЕЙДІ" {
		t.Errorf("after choosing Kazakh and reopening, the report shows %q, want kk|СӘЙКЕС КЕЛМЕЙДІ", got)
	}
}
