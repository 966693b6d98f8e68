package server

import (
	"log/slog"
	"time"
)

// Limits are what one listener grants a connection. Every server of the module (the gateway over
// HTTP and HTTPS, the NCA, the reference owners, serve) takes them from here, so a silent or slow
// client is cut at the same point everywhere.
type Limits struct {
	// ReadHeaderTimeout bounds the request line and headers (and the TLS handshake before them).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the whole request, body included: a client trickling its body is cut
	// there. A handler running longer has its request context cancelled, so it must exceed the
	// longest exchange plus its body.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the headers to the end of the answer: the
	// exchange and a client that does not read its answer.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection that sends no further request.
	IdleTimeout time.Duration
	// MaxHeaderBytes is the largest request line and headers accepted; larger ones get 431.
	MaxHeaderBytes int
	// ConnsPerClient caps the connections open at once from one IP address; the next is closed
	// as soon as it is accepted, and counted (Stats.Refused). 0: no cap.
	ConnsPerClient int
}

// DefaultConnsPerClient is the cap of a public listener such as the gateway's: generous for a
// system that pools its connections (Go's default client keeps 2 idle, most keep fewer than 64),
// small against one address opening thousands.
const DefaultConnsPerClient = 64

// DefaultLimits are every listener's limits unless an option changes them. The timeouts leave room
// for the Rules' 30 s exchange (A2-T1 row 1) and a 10 MB message over a slow link, no more.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// Option configures a server.
type Option func(*options)

type options struct {
	limits Limits
	log    *slog.Logger
}

// WithLimits replaces every limit.
func WithLimits(l Limits) Option { return func(o *options) { o.limits = l } }

// ConnsPerClient caps the connections one IP address holds open at once (0: no cap); see
// DefaultConnsPerClient.
func ConnsPerClient(n int) Option { return func(o *options) { o.limits.ConnsPerClient = n } }

// WithLogger sets where refused and cut connections are logged (default: slog's default logger).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

func newOptions(opts []Option) options {
	o := options{limits: DefaultLimits(), log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
