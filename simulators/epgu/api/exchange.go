package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
)

// Request is one exchange as the harness judges it: what the client sent and what it was answered.
type Request struct {
	At         time.Time // real clock, when the request arrived
	SimAt      time.Time // the simulator's clock, when the request arrived
	ClientID   string    // the token's system, when the token was valid
	Method     string
	Path       string // path and query as sent
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

// DefaultLogCap bounds the exchange log; older entries are dropped first.
const DefaultLogCap = 10000

type exchangeLog struct {
	mu      sync.Mutex
	cap     int
	entries []Request
	dropped int
}

func (l *exchangeLog) add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cap > 0 && len(l.entries) >= l.cap {
		n := len(l.entries) - l.cap + 1
		l.entries = append(l.entries[:0], l.entries[n:]...)
		l.dropped += n
	}
	l.entries = append(l.entries, r)
}

func (l *exchangeLog) all() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Request(nil), l.entries...)
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
