package api

import (
	"context"
	"net/http"
	"time"

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

// bounded is a log entry holding at most logFieldLimit bytes of each client-controlled text.
func bounded(r Request) Request {
	r.Path, r.Note = rule.Cut(r.Path, logFieldLimit), rule.Cut(r.Note, logFieldLimit)
	r.Breach = r.Breach.Bounded(logFieldLimit)
	return r
}

// Requests returns the exchange log, oldest first (at most the log cap, DefaultLogCap unless
// WithLogCap says otherwise).
func (a *API) Requests() []Request {
	return a.log.All(func(e Request) Request { e.Breach = e.Breach.Clone(); return e })
}

type exchangeKey struct{}

// exchangeOf is the log entry of the request being served, for handlers to fill in.
func exchangeOf(r *http.Request) *Request {
	rec, _ := r.Context().Value(exchangeKey{}).(*Request)
	return rec
}

func withExchange(r *http.Request, rec *Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), exchangeKey{}, rec))
}
