package gateway

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/shepconf/shepconf/internal/wire"
)

// MaxInFlight is the gateway simulator's documented capacity: the exchanges it serves at once. At
// the peak of 2000 requests per hour and the 30 s limit (A2-T1) at most 17 are ever in flight, so
// the margin is wide; beyond it a request is refused at once, and memory stays bounded under a flood.
const MaxInFlight = 256

// MaxReadingBytes bounds the bytes of the bodies being read at once, before their exchanges take
// a slot: with MaxInFlight x MaxMessageSize it bounds the raw requests the gateway holds. A body
// that would pass it is refused with 503; slow senders, who hold a few bytes each, never reach it.
const MaxReadingBytes = 256 << 20

// RetryAfterSeconds is what a refused request is told to wait.
const RetryAfterSeconds = 1

// Saturation is the gateway's load, as /healthz reports it.
type Saturation struct {
	InFlight int   // exchanges being served: slots taken
	Capacity int   // MaxInFlight
	Reading  int   // bodies being read, before their exchange takes a slot
	Refused  int64 // requests refused since the start because every slot was taken
}

// Full is true while every slot is taken: the next complete request is refused.
func (s Saturation) Full() bool { return s.InFlight >= s.Capacity }

// Saturation is the gateway's load now, over every listener its Handler serves.
func (g *Gateway) Saturation() Saturation {
	a := g.admission()
	return Saturation{InFlight: len(a.slots), Capacity: cap(a.slots), Reading: int(a.reading.Load()), Refused: a.refused.Load()}
}

// admission lets a request in: its body first, then a slot. A slot is only ever held by a request
// that has arrived whole, so a client trickling its body costs a connection and a goroutine (both
// cut by the listener's read timeout, internal/server.Limits), never one of the MaxInFlight slots.
type admission struct {
	slots    chan struct{}
	reading  atomic.Int64 // bodies being read
	buffered atomic.Int64 // their bytes so far
	refused  atomic.Int64
}

// admission is the gateway's, shared by every Handler it gives out: the HTTP and HTTPS listeners
// count against the same MaxInFlight.
func (g *Gateway) admission() *admission { return g.intake }

var errReadingBudget = errors.New("the gateway is reading as many bodies as it may hold")

// admit reads the whole body (at most MaxMessageSize and one byte: the handler then refuses a
// larger one with SCE001, as before), then takes a slot or refuses with HTTP 503 and Retry-After:
// a flood degrades into refusals, never into unbounded growth or a crash.
func (a *admission) admit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			raw, err := a.readBody(r)
			if err != nil {
				refuseBody(w, err)
				return
			}
			// The handlers read r.Body as before (internal/wire.ReadBody decodes it), from memory,
			// without another copy.
			r.Body, r.ContentLength = wire.Buffered(raw), int64(len(raw))
		}
		select {
		case a.slots <- struct{}{}:
			defer func() { <-a.slots }()
			next.ServeHTTP(w, r)
		default:
			a.refused.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
			http.Error(w, "the gateway is at its capacity of "+strconv.Itoa(MaxInFlight)+
				" exchanges in flight; retry later",
				http.StatusServiceUnavailable)
		}
	})
}

func (a *admission) readBody(r *http.Request) ([]byte, error) {
	a.reading.Add(1)
	defer a.reading.Add(-1)
	in := &budgeted{r: io.LimitReader(r.Body, MaxMessageSize+1), a: a}
	defer func() { a.buffered.Add(-in.n) }()
	var buf bytes.Buffer // grows with what arrives, not with what Content-Length announces
	_, err := buf.ReadFrom(in)
	return buf.Bytes(), err
}

// budgeted charges what it reads to the gateway's MaxReadingBytes.
type budgeted struct {
	r io.Reader
	a *admission
	n int64
}

func (b *budgeted) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.a.buffered.Add(int64(n)) > MaxReadingBytes && err == nil {
		return n, errReadingBudget
	}
	return n, err
}

// refuseBody answers a request whose body did not arrive whole; the connection is closed after,
// since the rest of the body may still be on the wire.
func refuseBody(w http.ResponseWriter, err error) {
	w.Header().Set("Connection", "close")
	var ne net.Error
	switch {
	case errors.Is(err, errReadingBudget):
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
		http.Error(w, err.Error()+"; retry later", http.StatusServiceUnavailable)
	case errors.As(err, &ne) && ne.Timeout():
		http.Error(w, "the request's body did not arrive within the read timeout", http.StatusRequestTimeout)
	default:
		http.Error(w, "the request's body did not arrive whole: "+err.Error(), http.StatusBadRequest)
	}
}
