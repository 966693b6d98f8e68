package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// phase is where a connection stands, as far as a drain is concerned.
type phase int

const (
	waiting  phase = iota // handshaking or reading its first request's headers
	idle                  // between requests (the next one's headers may be arriving)
	request               // headers read, the handler about to run
	body                  // the handler is reading the request's body
	exchange              // the body is in; the handler is working on the answer
)

// tracked is one connection as the http.Server sees it (the *tls.Conn over HTTPS).
type tracked struct {
	conn  net.Conn
	phase phase
}

type connKey struct{}

// conns counts and caps the connections of one listener, and cuts those that are not in an
// exchange when the server drains: an idle or slow client never delays a shutdown.
type conns struct {
	perClient int
	log       *slog.Logger

	mu       sync.Mutex
	byClient map[string]int // open connections by remote IP
	open     int
	refused  int64
	lastLog  time.Time
	live     map[net.Conn]*tracked
	draining bool
	cut      int
}

func newConns(o options) *conns {
	return &conns{perClient: o.limits.ConnsPerClient, log: o.log, byClient: map[string]int{}, live: map[net.Conn]*tracked{}}
}

// listen wraps ln: a connection beyond the per-client cap is closed as soon as it is accepted.
func (cs *conns) listen(ln net.Listener) net.Listener { return &capListener{Listener: ln, cs: cs} }

type capListener struct {
	net.Listener
	cs *conns
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if cc, ok := l.cs.admit(c); ok {
			return cc, nil
		}
		_ = c.Close()
	}
}

func (cs *conns) admit(c net.Conn) (net.Conn, bool) {
	client := clientIP(c.RemoteAddr())
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.perClient > 0 && cs.byClient[client] >= cs.perClient {
		cs.refused++
		// One line a second at most: a client hammering the cap must not flood the log.
		if now := time.Now(); now.Sub(cs.lastLog) >= time.Second {
			cs.lastLog = now
			cs.log.Warn("connection refused: the client holds as many connections as it may",
				"client", client, "cap", cs.perClient, "refused_total", cs.refused)
		}
		return nil, false
	}
	cs.byClient[client]++
	cs.open++
	return &clientConn{Conn: c, cs: cs, client: client}, true
}

func clientIP(a net.Addr) string {
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}

// clientConn gives its client's count back when closed.
type clientConn struct {
	net.Conn
	cs     *conns
	client string
	once   sync.Once
}

func (c *clientConn) Close() error {
	c.once.Do(func() {
		c.cs.mu.Lock()
		defer c.cs.mu.Unlock()
		if c.cs.byClient[c.client]--; c.cs.byClient[c.client] <= 0 {
			delete(c.cs.byClient, c.client)
		}
		c.cs.open--
	})
	return c.Conn.Close()
}

// connContext registers a connection as the server starts serving it (http.Server.ConnContext).
func (cs *conns) connContext(ctx context.Context, c net.Conn) context.Context {
	t := &tracked{conn: c}
	cs.mu.Lock()
	cs.live[c] = t
	cs.cutIfWaiting(t)
	cs.mu.Unlock()
	return context.WithValue(ctx, connKey{}, t)
}

// connState follows a connection between requests (http.Server.ConnState).
func (cs *conns) connState(c net.Conn, st http.ConnState) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	t := cs.live[c]
	if t == nil {
		return
	}
	switch st {
	case http.StateActive:
		t.phase = request
	case http.StateIdle:
		t.phase = idle
		cs.cutIfWaiting(t)
	case http.StateClosed, http.StateHijacked:
		delete(cs.live, c)
	}
}

// handler marks the time a request spends reading its body, the part of the exchange a slow
// sender controls.
func (cs *conns) handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := r.Context().Value(connKey{}).(*tracked)
		if t == nil || r.Body == nil || r.Body == http.NoBody {
			cs.setPhase(t, exchange)
			h.ServeHTTP(w, r)
			return
		}
		cs.setPhase(t, body)
		r.Body = &watchedBody{ReadCloser: r.Body, done: func() { cs.setPhase(t, exchange) }}
		h.ServeHTTP(w, r)
	})
}

func (cs *conns) setPhase(t *tracked, p phase) {
	if t == nil {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	t.phase = p
	cs.cutIfWaiting(t)
}

// watchedBody reports the end of a body, however it ends.
type watchedBody struct {
	io.ReadCloser
	done func()
	once sync.Once
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.done)
	}
	return n, err
}

// cutIfWaiting closes t while draining unless it is in an exchange. Called with mu held.
func (cs *conns) cutIfWaiting(t *tracked) {
	if cs.draining && (t.phase == waiting || t.phase == idle || t.phase == body) {
		if t.phase != idle { // closing idle connections is an ordinary shutdown, not news
			cs.cut++
		}
		delete(cs.live, t.conn)
		// Closing is safe while the server's goroutine reads: that read fails and the
		// connection ends there. A body cut at the very moment it completed loses its exchange,
		// which then never started for the client either.
		go func() { _ = t.conn.Close() }()
	}
}

// drain starts the shutdown: every connection not in an exchange is closed now, and any that
// arrives or falls idle later is closed as it does.
func (cs *conns) drain() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.draining = true
	for _, t := range cs.live {
		cs.cutIfWaiting(t)
	}
}

// Stats is a listener's load, for /healthz.
type Stats struct {
	Open    int   // connections open
	Reading int   // requests whose body is being read
	Refused int64 // connections refused by the per-client cap since the start
	Cut     int   // connections closed by the drain while silent or sending a request
}

func (cs *conns) stats() Stats {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	st := Stats{Open: cs.open, Refused: cs.refused, Cut: cs.cut}
	for _, t := range cs.live {
		if t.phase == body {
			st.Reading++
		}
	}
	return st
}
