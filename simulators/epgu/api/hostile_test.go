package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// Hostile input over real HTTP: what a broken or malicious client sends must be answered with the
// Appendix 4 body, in bounded time and memory, and must never take the simulator down.

// A chunk count the archive cap cannot hold is refused before any state is built for it: the
// archive is at most MaxArchiveBytes and every non-last chunk at least MinChunkBytes (EPGU-2.1.3).
func TestChunkCountBound(t *testing.T) {
	lim := smallChunks() // chunks 100..1000 bytes, archive cap 250 000 000: at most 2 500 001 chunks
	e := newEnv(t, nil, WithLimits(lim))
	bound := int(lim.MaxArchiveBytes/lim.MinChunkBytes + 1)
	data := make([]byte, 150)

	id := e.createOrder("alice", fsspMeta)
	m := e.chunk("alice", id, 0, 20_000_000, data).errorCode(t, http.StatusBadRequest, CodeBadRequest)
	if msg := m["message"].(string); !strings.Contains(msg, fmt.Sprint(bound)) {
		t.Errorf("the refusal does not name the bound %d: %s", bound, msg)
	}
	if rec := e.lastRequest(); rec.Breach == nil || rec.Breach.Field.String() != "chunks" || rec.Breach.Rule != "EPGU-2.1.3" {
		t.Errorf("log entry %+v", rec)
	}

	// At the bound the count is accepted; the last chunk too early is answered at once with a count
	// of the missing chunks and the first ten, not a list of millions.
	if r := e.chunk("alice", id, 0, bound, data); r.status != http.StatusPartialContent {
		t.Fatalf("chunks=%d (the bound): %d %s", bound, r.status, r.body)
	}
	began := time.Now()
	m = e.chunk("alice", id, bound-1, bound, data).errorCode(t, http.StatusBadRequest, CodeBadRequest)
	if d := time.Since(began); d > 500*time.Millisecond {
		t.Errorf("the early last chunk took %s", d)
	}
	msg := m["message"].(string)
	if !strings.Contains(msg, fmt.Sprintf("%d chunks", bound-2)) || !strings.Contains(msg, "1, 2, 3, 4, 5, 6, 7, 8, 9, 10") ||
		strings.Contains(msg, "10, 11") || len(msg) > 2000 {
		t.Errorf("missing chunks not reported as a count and the first 10: %.600s", msg)
	}
}

// Paging parameters are clamped before they are multiplied: a page past the end is an empty page.
func TestPagingOverflow(t *testing.T) {
	e := newEnv(t, nil)
	id := pushed(t, e, "alice")
	for _, path := range []string{
		fmt.Sprintf("/api/gusmev/order/getOrdersStatus?pageNum=3074457345618258603&pageSize=3&orderIds=%d", id),
		fmt.Sprintf("/api/gusmev/order/getOrdersStatus?pageNum=9223372036854775807&pageSize=1000&orderIds=%d", id),
		"/api/gusmev/order/getUpdatedAfter?pageNum=3074457345618258603&pageSize=3&updatedAfter=2020-01-01T00:00:00.000",
	} {
		t.Run(path, func(t *testing.T) {
			r := e.do("GET", path, "alice", "", nil)
			if r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if p := r.json(t); p["count"].(float64) != 0 || len(p["content"].([]any)) != 0 || p["totalCount"].(float64) != 1 {
				t.Errorf("want an empty page of 1: %s", r.body)
			}
		})
	}
	dict := []struct{ body string }{
		{`{"treeFiltering":"ONELEVEL","pageNum":3074457345618258603,"pageSize":3}`},
		{`{"treeFiltering":"ONELEVEL","pageNum":2,"pageSize":9223372036854775807}`},
		{`{"treeFiltering":"ONELEVEL","pageNum":9223372036854775807,"pageSize":9223372036854775807}`},
	}
	for _, c := range dict {
		t.Run(c.body, func(t *testing.T) {
			r := e.do("POST", "/api/nsi/v1/dictionary/APPLICANT_TYPE", "", "application/json", []byte(c.body))
			var d dictAnswer
			if err := json.Unmarshal(r.body, &d); err != nil || r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if d.Total != 3 || len(d.Items) != 0 {
				t.Errorf("want an empty page of 3: %s", r.body)
			}
		})
	}
}

// A panic in a handler is answered 500 internal_error with the Appendix 4 body, logged, and the
// simulator goes on serving (no lock left held).
func TestHandlerPanic(t *testing.T) {
	tokens := baseTokens()
	tokens["boom"] = func() AccessToken { panic("verifier exploded") }
	var logged syncBuffer
	e := newEnv(t, tokens, WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
	r := e.do("GET", "/api/gusmev/order/getOrdersStatus?pageNum=0&pageSize=1&orderIds=1", "boom", "", nil)
	r.errorCode(t, http.StatusInternalServerError, CodeInternalError)
	if rec := e.lastRequest(); rec.Status != http.StatusInternalServerError || rec.Code != CodeInternalError || !strings.Contains(rec.Note, "verifier exploded") {
		t.Errorf("log entry %+v", rec)
	}
	if out := logged.String(); !strings.Contains(out, "verifier exploded") || !strings.Contains(out, "stack=") {
		t.Errorf("the panic is not logged with its stack: %q", out)
	}
	if id := e.createOrder("alice", fsspMeta); id <= 0 {
		t.Fatal("not serving after the panic")
	}
	if r := e.do("POST", fmt.Sprintf("/api/gusmev/order/%d", 1), "alice", "", nil); r.status != http.StatusNoContent {
		t.Errorf("details after the panic: %d", r.status)
	}
}

// The exchange log holds at most 2 KiB of a path and of a breach's observed and expected values.
func TestLogTruncation(t *testing.T) {
	e := newEnv(t, nil)
	long := strings.Repeat("x", 100_000)
	e.do("GET", "/api/gusmev/order/getOrdersStatus?pageNum=0&pageSize=1&orderIds="+long, "alice", "", nil).errorCode(t, http.StatusBadRequest, CodeBadRequest)
	rec := e.lastRequest()
	if len(rec.Path) > logFieldLimit || !strings.HasPrefix(rec.Path, "/api/gusmev/order/getOrdersStatus?") || !strings.Contains(rec.Path, "bytes") {
		t.Errorf("path of %d bytes in the log: %.100s…", len(rec.Path), rec.Path)
	}
	if rec.Breach == nil || len(rec.Breach.Observed.String()) > logFieldLimit || !strings.Contains(rec.Breach.Observed.String(), "bytes") {
		t.Fatalf("breach observed of %d bytes in the log", len(rec.Breach.Observed.String()))
	}
	e.do("GET", "/api/gusmev/"+long, "alice", "", nil)
	if rec := e.lastRequest(); len(rec.Path) > logFieldLimit || (rec.Breach != nil && len(rec.Breach.Observed.String()) > logFieldLimit) {
		t.Errorf("unknown route: path %d bytes, breach %+v", len(rec.Path), rec.Breach)
	}
}

// Uploads in progress (chunks held, bodies being read) share a byte budget; beyond it the answer is
// 503 with Retry-After, which Appendix 4 recommends retrying, rather than 429, which it ties to the
// client's own limits of Appendix 3.
func TestUploadBudget(t *testing.T) {
	lim := smallChunks()
	lim.UploadBudget = 1300 // a body of ~1200 bytes reserves at most the 1000-byte chunk limit while read
	e := newEnv(t, nil, WithLimits(lim))
	chunk := make([]byte, 600)

	first := e.createOrder("alice", fsspMeta)
	if r := e.chunk("alice", first, 0, 2, chunk); r.status != http.StatusPartialContent {
		t.Fatalf("first upload: %d %s", r.status, r.body)
	}
	second := e.createOrder("bob", fsspMeta)
	r := e.chunk("bob", second, 0, 2, chunk)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "301" { // the window of 300 s has passed after 301
		t.Fatalf("over the budget: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if m := r.json(t); !strings.Contains(m["message"].(string), "1300") {
		t.Errorf("the 503 does not say why: %s", r.body)
	}
	if rec := e.lastRequest(); rec.Breach != nil || rec.Note == "" {
		t.Errorf("the simulator's budget is no breach of the client: %+v", rec)
	}
	if r := e.push("bob", metaPart(fsspMeta), filePart(chunk)); r.status != http.StatusServiceUnavailable {
		t.Errorf("a push over the budget: %d %s", r.status, r.body)
	}
	// the first upload completes and frees its bytes
	if r := e.chunk("alice", first, 1, 2, make([]byte, 10)); r.status != http.StatusOK {
		t.Fatalf("last chunk: %d %s", r.status, r.body)
	}
	if r := e.chunk("bob", second, 0, 2, chunk); r.status != http.StatusPartialContent {
		t.Fatalf("after the first upload completed: %d %s", r.status, r.body)
	}
	// an abandoned upload frees its bytes when its window passes
	third := e.createOrder("alice", fsspMeta)
	if r := e.chunk("alice", third, 0, 2, chunk); r.status != http.StatusServiceUnavailable {
		t.Fatalf("while the second upload holds the budget: %d", r.status)
	}
	e.clk.Advance(lim.ChunkWindow + time.Millisecond)
	if r := e.chunk("alice", third, 0, 2, chunk); r.status != http.StatusPartialContent {
		t.Fatalf("after the abandoned upload's window: %d %s", r.status, r.body)
	}
	if got := e.api.uploading.held(); got != int64(len(chunk)) {
		t.Errorf("the budget counts %d bytes, the one upload left holds %d", got, len(chunk))
	}
}

// Orders are kept up to MaxOrders; beyond it the oldest final order goes first, then the oldest.
func TestOrdersCap(t *testing.T) {
	lim := SpecLimits()
	lim.MaxOrders = 3
	e := newEnv(t, nil, WithLimits(lim))
	e.check["10000000109"] = struct {
		status string
		breach *rule.Breach
	}{"REQ_NOT_FOUND", &rule.Breach{Rule: "EPGU-2.1.3", Expected: msg.Raw("req.xml"), Observed: msg.Raw("none")}}
	sfr := `{"region":"45","serviceCode":"10000000109","targetCode":"-10000000109"}`
	ids := func() []int64 {
		var out []int64
		for _, o := range e.api.Orders() {
			out = append(out, o.ID)
		}
		return out
	}

	a := pushed(t, e, "alice")                                                          // final after 21 s (status 3)
	b := e.createOrder("alice", fsspMeta)                                               // reserved: never final
	c := orderIDOf(t, e.push("alice", metaPart(sfr), filePart(makeZip(t, 0, "x.xml")))) // REQ_NOT_FOUND after 1 s
	e.clk.Advance(2 * time.Second)
	d := e.createOrder("alice", fsspMeta)
	if got := fmt.Sprint(ids()); got != fmt.Sprint([]int64{a, b, d}) {
		t.Fatalf("the final order %d goes first: %s", c, got)
	}
	if r := e.do("POST", fmt.Sprintf("/api/gusmev/order/%d", c), "alice", "", nil); r.status != http.StatusNoContent {
		t.Errorf("a dropped order is unknown: %d", r.status)
	}
	e.clk.Advance(time.Minute)
	f := e.createOrder("alice", fsspMeta)
	if got := fmt.Sprint(ids()); got != fmt.Sprint([]int64{b, d, f}) {
		t.Fatalf("the order %d, final by now, goes next: %s", a, got)
	}
	g := e.createOrder("alice", fsspMeta)
	if got := fmt.Sprint(ids()); got != fmt.Sprint([]int64{d, f, g}) {
		t.Fatalf("with no final order the oldest goes: %s", got)
	}
}

// EPGU-A4 for the chunked push and the download: 204 for an unknown order, 400 for wrong
// parameters, 403 order_access with its breach, one ownership check for all.
func TestAppendix4Codes(t *testing.T) {
	e := newEnv(t, nil, WithLimits(smallChunks()))
	id := e.createOrder("alice", fsspMeta)
	e.chunk("bob", id, 0, 2, make([]byte, 150)).errorCode(t, http.StatusForbidden, CodeOrderAccess)
	if rec := e.lastRequest(); rec.Breach == nil || rec.Breach.Rule != "EPGU-A4" || rec.Breach.Field.String() != "orderId" {
		t.Errorf("chunked order_access without its breach: %+v", rec)
	}

	done := pushed(t, e, "alice")
	e.clk.Advance(time.Minute)
	_, o := e.details("alice", done)
	objectID := int64(o["currentStatusHistoryId"].(float64))
	mnemonic := fmt.Sprintf("resp_%d.zip", done)
	v113 := fmt.Sprintf("/api/gusmev/files/download/%d/3?mnemonic=%s&eserviceCode=60010153", objectID, mnemonic)
	e.do("GET", v113, "bob", "", nil).errorCode(t, http.StatusForbidden, CodeOrderAccess)
	if rec := e.lastRequest(); rec.Breach == nil || rec.Breach.Rule != "EPGU-A4" {
		t.Errorf("download order_access without its breach: %+v", rec)
	}

	// 1.13 without eserviceCode: the breach names eserviceCode.
	e.do("GET", fmt.Sprintf("/api/gusmev/files/download/%d/3?mnemonic=%s", objectID, mnemonic), "alice", "", nil).errorCode(t, http.StatusBadRequest, CodeBadRequest)
	if rec := e.lastRequest(); rec.Breach == nil || rec.Breach.Field.String() != "eserviceCode" || rec.Breach.Rule != "EPGU-1.13" {
		t.Errorf("breach %+v", rec.Breach)
	}

	// objectId = the orderId (what a client reading it from the link sends): 404 saying exactly what
	// to send instead.
	m := e.do("GET", fmt.Sprintf("/api/storage/v2/files/%d/3/download?mnemonic=%s", done, mnemonic), "alice", "", nil).errorCode(t, http.StatusNotFound, CodeNotFound)
	if msg := m["message"].(string); !strings.Contains(msg, fmt.Sprintf("send objectId %d", objectID)) || !strings.Contains(msg, "currentStatusHistoryId") {
		t.Errorf("the 404 does not say what to send: %s", msg)
	}
	// another user's orderId reveals nothing of its statuses
	m = e.do("GET", fmt.Sprintf("/api/storage/v2/files/%d/3/download?mnemonic=%s", done, mnemonic), "bob", "", nil).errorCode(t, http.StatusNotFound, CodeNotFound)
	if msg := m["message"].(string); strings.Contains(msg, fmt.Sprint(objectID)) {
		t.Errorf("the 404 tells another user the status id: %s", msg)
	}
	// objectType 2: the simulator keeps no request files, and says so without blaming the client
	m = e.do("GET", fmt.Sprintf("/api/storage/v2/files/%d/2/download?mnemonic=req.xml", done), "alice", "", nil).errorCode(t, http.StatusNotFound, CodeNotFound)
	if msg := m["message"].(string); !strings.Contains(msg, "only result files") {
		t.Errorf("objectType 2: %s", msg)
	}
	if rec := e.lastRequest(); rec.Breach != nil {
		t.Errorf("objectType 2 is the simulator's limit, not a breach: %+v", rec.Breach)
	}
}

// Table 3 writes the feeds with a trailing slash and real clients send them so: every route is
// served with and without one. Unknown routes and wrong methods get Appendix 4 JSON.
func TestRoutes(t *testing.T) {
	e := newEnv(t, nil)
	id := pushed(t, e, "alice")
	e.clk.Advance(4 * time.Second) // 17: cancel allowed
	for _, c := range []struct {
		method, path, contentType, body string
		status                          int
	}{
		{"GET", fmt.Sprintf("/api/gusmev/order/getOrdersStatus/?pageNum=0&pageSize=5&orderIds=%d", id), "", "", 200},
		{"GET", "/api/gusmev/order/getUpdatedAfter/?pageNum=0&pageSize=5&updatedAfter=2020-01-01T00:00:00.000", "", "", 200},
		{"POST", "/api/gusmev/order/", "application/json", fsspMeta, 200},
		{"POST", fmt.Sprintf("/api/gusmev/order/%d/", id), "", "", 200},
		{"POST", "/api/nsi/v1/dictionary/OKATO/", "application/json", `{"treeFiltering":"ONELEVEL"}`, 200},
		{"POST", fmt.Sprintf("/api/gusmev/order/%d/cancel/", id), "", "", 200},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			if r := e.do(c.method, c.path, "alice", c.contentType, []byte(c.body)); r.status != c.status {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
	for _, c := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/api/gusmev/nope", http.StatusNotFound, CodeNotFound, ""},
		{"GET", "/", http.StatusNotFound, CodeNotFound, ""},
		{"GET", "/api//gusmev/order", http.StatusNotFound, CodeNotFound, ""},
		{"GET", "/api/gusmev/order", http.StatusMethodNotAllowed, CodeBadRequest, "POST"},
		{"DELETE", fmt.Sprintf("/api/gusmev/order/%d", id), http.StatusMethodNotAllowed, CodeBadRequest, "POST"},
		{"POST", "/api/gusmev/order/getOrdersStatus", http.StatusMethodNotAllowed, CodeBadRequest, "GET"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := e.do(c.method, c.path, "alice", "", nil)
			r.errorCode(t, c.status, c.code)
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if r.header.Get("Allow") != c.allow {
				t.Errorf("Allow %q, want %q", r.header.Get("Allow"), c.allow)
			}
			if rec := e.lastRequest(); rec.Breach == nil || rec.Breach.Rule != "EPGU-T3" {
				t.Errorf("log entry %+v", rec)
			}
		})
	}
}

// A checker that lists the archive as it checks it spares the second reading of the zip.
func TestArchiveLister(t *testing.T) {
	lister := listingArchives{files: []File{{Name: "req.xml", Size: 5}}}
	e := newEnvChecking(t, nil, lister)
	id := orderIDOf(t, e.push("alice", metaPart(fsspMeta), filePart([]byte("not a zip, but the checker listed it"))))
	if snap, _ := e.api.Order(id); len(snap.Files) != 1 || snap.Files[0] != lister.files[0] {
		t.Errorf("files %+v, want the checker's list", snap.Files)
	}
}

// What Requests and Orders return is the caller's own copy.
func TestSnapshotsAreCopies(t *testing.T) {
	e := newEnv(t, nil)
	e.check["10000000109"] = struct {
		status string
		breach *rule.Breach
	}{"REQ_NOT_FOUND", &rule.Breach{Rule: "EPGU-2.1.3", Observed: msg.Raw("none")}}
	id := orderIDOf(t, e.push("alice", metaPart(`{"region":"45","serviceCode":"10000000109","targetCode":"-10000000109"}`), filePart(makeZip(t, 0, "x.xml"))))
	e.clk.Advance(time.Minute)
	e.do("POST", "/api/gusmev/order", "nobody", "", nil)

	s, _ := e.api.Order(id)
	s.Breach.Observed = msg.Raw("changed")
	all := e.api.Orders()
	all[0].Breach.Observed = msg.Raw("changed")
	if s, _ := e.api.Order(id); s.Breach.Observed.String() != "none" {
		t.Errorf("the order's breach was changed through a snapshot: %q", s.Breach.Observed)
	}
	rs := e.api.Requests()
	rs[len(rs)-1].Breach.Observed = msg.Raw("changed")
	if rec := e.lastRequest(); rec.Breach.Observed.String() == "changed" {
		t.Error("the log's breach was changed through Requests")
	}

	// readers and writers at once (run with -race)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 20 {
				req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/gusmev/order/%d", e.url, id), nil)
				req.Header.Set("Authorization", "Bearer alice")
				if resp, err := e.http.Do(req); err == nil {
					resp.Body.Close()
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 20 {
				_ = e.api.Requests()
				_ = e.api.Orders()
			}
		}()
	}
	wg.Wait()
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
