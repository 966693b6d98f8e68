package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shepconf/shepconf/internal/rule"
)

// Request is one exchange as the harness judges it: what the client sent and what it was answered.
type Request struct {
	At         time.Time // real clock, when the request arrived
	SimAt      time.Time // the simulator's clock, when the request arrived
	ClientID   string    // the token's system, when the token was valid
	Method     string
	Path       string // path and query as sent, cut to 2 KiB (as are Note and the breach's texts)
	Status     int    // HTTP status answered
	OrderID    int64
	Chunk      int   // as sent; meaningful when Chunks > 0
	Chunks     int   // 0 when the request carried no chunk numbering
	ChunkBytes int64 // size of the file part of a push
	Code       string
	Fault      bool   // answered by an injected fault
	Note       string // what the client should know that is not a breach (a tolerated deviation)
	Breach     *rule.Breach
}

// logFieldLimit bounds the text of a log entry's path, note and breach values: a client can send a
// megabyte of path, and the log keeps up to DefaultLogCap entries.
const logFieldLimit = 2 << 10

// DefaultLogCap bounds the exchange log; older entries are dropped first.
const DefaultLogCap = 10000

// exchangeLog is a ring of the newest cap entries: adding to a full log overwrites the oldest in
// place rather than moving every entry.
type exchangeLog struct {
	mu      sync.Mutex
	cap     int
	entries []Request
	next    int // where the next entry goes once the ring is full
	dropped int
}

func (l *exchangeLog) add(r Request) {
	r = bounded(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cap <= 0 || len(l.entries) < l.cap {
		l.entries = append(l.entries, r)
		return
	}
	l.entries[l.next] = r
	l.next = (l.next + 1) % len(l.entries)
	l.dropped++
}

// all is the log oldest first, every entry with its own copy of its breach.
func (l *exchangeLog) all() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, 0, len(l.entries))
	out = append(out, l.entries[l.next:]...)
	out = append(out, l.entries[:l.next]...)
	for i := range out {
		out[i].Breach = copyBreach(out[i].Breach)
	}
	return out
}

// bounded is a log entry holding at most logFieldLimit bytes of each client-controlled text.
func bounded(r Request) Request {
	r.Path, r.Note = truncate(r.Path, logFieldLimit), truncate(r.Note, logFieldLimit)
	if b := r.Breach; b != nil {
		c := *b
		c.Expected, c.Observed, c.Note = truncate(c.Expected, logFieldLimit), truncate(c.Observed, logFieldLimit), truncate(c.Note, logFieldLimit)
		r.Breach = &c
	}
	return r
}

// truncate cuts s to at most limit bytes on a rune boundary, saying how long it was.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	tail := fmt.Sprintf("… (%d bytes)", len(s))
	cut := limit - len(tail)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}

func copyBreach(b *rule.Breach) *rule.Breach {
	if b == nil {
		return nil
	}
	c := *b
	return &c
}

// Requests returns the exchange log, oldest first (at most the log cap, DefaultLogCap unless
// WithLogCap says otherwise).
func (a *API) Requests() []Request { return a.log.all() }

type exchangeKey struct{}

// exchangeOf is the log entry of the request being served, for handlers to fill in.
func exchangeOf(r *http.Request) *Request {
	rec, _ := r.Context().Value(exchangeKey{}).(*Request)
	return rec
}

func withExchange(r *http.Request, rec *Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), exchangeKey{}, rec))
}

// statusWriter remembers the status answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
