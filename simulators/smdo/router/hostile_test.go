package router

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/shepconf/shepconf/internal/msg"
)

// Hostile input over real HTTP: what a broken or malicious client sends is answered 400 or 413
// naming the field, in bounded memory, and never takes the router down.

func TestHostilePackageJSON(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	for _, c := range []struct {
		name, body string
		status     int
		field      string
	}{
		{"not JSON", `{"to": [`, 400, "request body"},
		{"empty", ``, 400, "request body"},
		{"an array", `[1, 2]`, 400, "request body"},
		{"null", `null`, 400, "request body"},
		{"deep nesting", deep, 400, "request body"},
		{"to a number", `{"to": 5}`, 400, "to"},
		{"to of numbers", `{"to": [5]}`, 400, "to[0]"},
		{"idAbonent a number", `{"to": [{"idAbonent": 1002}]}`, 400, "to[0].idAbonent"},
		{"body text", `{"body": "envelop"}`, 400, "body"},
		{"parentId an object", `{"parentId": {}}`, 400, "parentId"},
		{"dateSent an array", `{"dateSent": []}`, 400, "dateSent"},
		{"too large", `{"body": {"x": "` + strings.Repeat("a", 1<<20) + `"}}`, 413, "request body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := e.do("POST", outgoingPath, tok, "application/json", []byte(c.body)).refusal(t, c.status, ruleFor(c.field), c.field)
			if len(m["message"].(string)) > 4000 {
				t.Errorf("a message of %d bytes", len(m["message"].(string)))
			}
		})
	}
	if n := len(e.r.Packages()); n != 0 {
		t.Errorf("%d packages kept from hostile bodies", n)
	}
	// a package whose body is nonsense is taken (its format is checked once sent), and refused then
	id := e.create(tok, packet{"body": map[string]any{"envelop": "nonsense"}, "to": []any{}})
	if r := e.sendReply(tok, id); r.status != http.StatusNoContent {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if p := e.pkg(id); p.State != StateRefused || p.Refusal.Rule != "SMDO-FORMAT" {
		t.Errorf("state %s, refusal %+v", p.State, p.Refusal)
	}
}

func ruleFor(field string) string {
	switch field {
	case "parentId":
		return "SMDO-REPLY"
	case "request body":
		return "SMDO-SEND"
	}
	return "SMDO-FORMAT"
}

// A panic in a handler is answered 500 with the error body, logged with its stack, and the router
// goes on serving (no lock left held).
func TestHandlerPanic(t *testing.T) {
	var logged syncBuffer
	e := newEnv(t, WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	e.r.mux.handle("GET", "/boom", "boom", e.r.authorized(func(http.ResponseWriter, *http.Request, *Subscriber) { panic("the handler exploded") }))
	tok := e.token(e.agency)
	r := e.do("GET", "/boom", tok, "", nil)
	if r.status != http.StatusInternalServerError || r.json(t)["status"] != float64(500) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if rec := e.lastRequest(); rec.Status != 500 || !strings.Contains(rec.Error, "the handler exploded") {
		t.Errorf("log entry %+v", rec)
	}
	if out := logged.String(); !strings.Contains(out, "the handler exploded") || !strings.Contains(out, "stack=") {
		t.Errorf("the panic is not logged with its stack: %q", out)
	}
	e.sendMany(1) // still serving, locks free
}

// The log keeps the newest MaxRequests calls and at most 2 KiB of a path.
func TestRequestLogBounded(t *testing.T) {
	e := newEnv(t, WithLimits(Limits{MaxRequests: 5}))
	for i := range 8 {
		e.do("GET", fmt.Sprintf("/nope/%d", i), "", "", nil)
	}
	rs := e.r.Requests()
	if len(rs) != 5 || rs[0].Path != "/nope/3" || rs[4].Path != "/nope/7" {
		t.Fatalf("log %+v", rs)
	}
	e.do("GET", "/"+strings.Repeat("x", 100000), "", "", nil)
	if rec := e.lastRequest(); len(rec.Path) > logFieldLimit || !strings.Contains(rec.Path, "bytes") || len(rec.Error) > logFieldLimit {
		t.Errorf("path of %d bytes, error of %d", len(rec.Path), len(rec.Error))
	}
	rs = e.r.Requests()
	rs[len(rs)-1].Breach.Observed = msg.Raw("changed")
	if rec := e.lastRequest(); rec.Breach.Observed.String() == "changed" {
		t.Error("the log's breach was changed through Requests")
	}
}

// Every path of the API is served with or without a trailing slash; unknown paths and methods get
// the JSON error body.
func TestRoutes(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	if r := e.do("GET", docTypePath+"/", tok, "", nil); r.status != http.StatusOK {
		t.Errorf("trailing slash: %d", r.status)
	}
	for _, c := range []struct {
		method, path string
		status       int
		rule, allow  string
	}{
		{"GET", "/nope", 404, "SMDO-TOKEN", ""},
		{"GET", "/receiver/1.0.0/org/SMDO~1.0.0/nope", 404, "SMDO-SEND", ""},
		{"GET", "/sender/1.0.0/org/SMDO~1.0.0/package/x/y/z/w", 404, "SMDO-CONFIRM", ""},
		{"GET", outgoingPath, 405, "SMDO-SEND", "POST, PUT"},
		{"GET", "/token", 405, "SMDO-TOKEN", "POST"},
		{"POST", docTypePath, 405, "SMDO-DIR", "GET"},
		{"GET", outgoingPath + "//send", 404, "SMDO-SEND", ""},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := e.do(c.method, c.path, tok, "", nil)
			r.refusal(t, c.status, c.rule, map[int]string{404: "path", 405: "method"}[c.status])
			if r.header.Get("Allow") != c.allow {
				t.Errorf("Allow %q", r.header.Get("Allow"))
			}
			if rec := e.lastRequest(); rec.Op != "" || rec.Rule != c.rule {
				t.Errorf("log entry %+v", rec)
			}
		})
	}
}

// Clients and the harness at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	if err := e.r.SetScript(e.scripted.ID, Script{}); err != nil {
		t.Fatal(err)
	}
	tok, mtok := e.token(e.agency), e.token(e.ministry)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(3)
		go func() {
			defer wg.Done()
			for range 3 {
				id := e.create(tok, documentPacket(e.agency, []string{"a.pdf"}, e.scripted))
				aid := e.attach(tok, id, "a.pdf", []byte("A"))
				e.sign(tok, id, aid, e.agency.id, []byte("A"))
				e.sendReply(tok, id)
			}
		}()
		go func() {
			defer wg.Done()
			for range 10 {
				e.list(mtok, 0, 100, true)
				e.list(tok, 0, 100, true)
			}
		}()
		go func() {
			defer wg.Done()
			for range 10 {
				_ = e.r.Packages()
				_ = e.r.Requests()
				_ = e.r.Subscribers()
			}
		}()
	}
	wg.Wait()
	// each document brings a receipt and a registration notice
	eventually(t, "every receipt and notice", func() bool { return e.list(tok, 0, 100, true).TotalElements == 18 })
}

// syncBuffer is a bytes.Buffer the server's goroutines may write while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
