package geps

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// Anything the API does not have is its JSON error body, never the mux's text or a redirect.
func TestUnknownPathsAndMethods(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", wire.PathSearch, http.StatusMethodNotAllowed, "POST"},
		{"DELETE", wire.ReadBase + "/search/" + id, http.StatusMethodNotAllowed, "GET"},
		{"POST", cardPath(id, id), http.StatusMethodNotAllowed, "GET"},
		{"GET", wire.ReadBase + "/messages", http.StatusNotFound, ""},
		{"GET", wire.ReadBase + "/search/", http.StatusNotFound, ""},
		{"GET", wire.ReadBase + "/message//" + id, http.StatusNotFound, ""},
		{"GET", wire.ReadBase + "/message/../search/" + id, http.StatusNotFound, ""},
		{"GET", wire.ReadBase + "/attachment/" + id + "/" + id + "/file/more", http.StatusNotFound, ""},
		{"GET", "/" + strings.Repeat("a/", 5000), http.StatusNotFound, ""},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/", nil)
		req.Method, req.URL.Path = c.method, c.path
		req.Header.Set("Authorization", "Bearer head")
		w := httptest.NewRecorder()
		e.s.Handler().ServeHTTP(w, req)
		var body wire.Error
		if w.Code != c.status || json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Code == "" || w.Header().Get("Allow") != c.allow {
			t.Errorf("%s %.80s: %d %q Allow %q", c.method, c.path, w.Code, w.Body.String(), w.Header().Get("Allow"))
		}
	}
	for _, rec := range e.s.Requests() {
		if len(rec.Path) > logFieldLimit || rec.Breach == nil || rec.Status == 0 {
			t.Errorf("logged %d bytes of path, breach %v, status %d", len(rec.Path), rec.Breach, rec.Status)
		}
	}
}

// A panic is 500 with the error body and a note in the log, and the service goes on.
func TestPanicIsAnswered(t *testing.T) {
	e := newEnv(t, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	r := e.do("POST", wire.PathSearch, "panic", day(start))
	var body wire.Error
	if r.status != http.StatusInternalServerError || json.Unmarshal(r.body, &body) != nil || !strings.Contains(body.Message, "token store failed") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if rec := e.last(); rec.Status != 500 || !strings.Contains(rec.Note, "handler panic") {
		t.Errorf("logged %+v", rec)
	}
	e.searchOK("head", day(start))
}

// The log: who, what, which request id, and what was answered; bounded by WithLogLimit.
func TestRequestsLog(t *testing.T) {
	e := newEnv(t, WithLogLimit(3))
	req := httptest.NewRequest("POST", wire.PathSearch, strings.NewReader(`{"startDateTime":"2026-12-10T00:00:00+03:00","endDateTime":"2026-12-10T12:00:00+03:00","statusFilter":"UNREAD"}`))
	req.Header.Set("Authorization", "Bearer head")
	req.Header.Set(wire.HeaderRequestID, "0b5e7c1a-1111-4222-8333-444455556666")
	e.s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	rec := e.last()
	if rec.System != "GP_AGENCY" || rec.Org != orgA || rec.RequestID != "0b5e7c1a-1111-4222-8333-444455556666" ||
		rec.Endpoint != EndpointSearch || rec.Method != "POST" || rec.Path != wire.PathSearch || rec.Status != 200 ||
		!rec.Time.Equal(start) || rec.TaskUUID == "" || !rec.From.Equal(start.Add(-12*time.Hour)) || !rec.To.Equal(start) || rec.Breach != nil {
		t.Errorf("logged %+v", rec)
	}
	for range 5 {
		e.do("GET", wire.ReadBase+"/search/"+rec.TaskUUID+"?limit=7", "head", nil)
	}
	all := e.s.Requests()
	if len(all) != 3 || all[2].Limit != 7 || all[2].Task != wire.TaskSearch {
		t.Fatalf("kept %d, last %+v", len(all), all[len(all)-1])
	}
	// A caller's copy does not change the log.
	e.do("GET", wire.ReadBase+"/search/x", "head", nil)
	got := e.s.Requests()
	got[2].Breach.Rule = "changed"
	if e.s.Requests()[2].Breach.Rule != "GP-R-TASK" {
		t.Error("a copy's change reached the log")
	}
}

// Concurrent readers of one organisation: the race detector's test.
func TestConcurrentReaders(t *testing.T) {
	e := newEnv(t, WithQuotas(0, 0), WithSearchWait(0))
	msgs := make([]Message, 20)
	for i := range msgs {
		msgs[i] = e.add(orgA, time.Duration(i+1)*time.Minute, sample())
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range len(msgs) {
				m := msgs[(i+j)%len(msgs)]
				e.do("GET", cardPath(m.ThreadUUID, m.MessageUUID), "head", nil)
				e.do("GET", attachmentPath(m.MessageUUID, m.Attachments[0].UUID, "file"), "admin", nil)
			}
			e.result("head", e.searchOK("head", day(start)), nil)
		})
	}
	wg.Wait()
	if got := len(e.s.Deliveries()); got != len(msgs) {
		t.Errorf("%d deliveries, want one per message (%d)", got, len(msgs))
	}
}
