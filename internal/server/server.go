// Package server runs an actor (gateway, owner, NCA) as a real HTTP or HTTPS server, every one with
// the same connection limits (Limits): header, read and write timeouts, a header size limit, an
// optional cap on each client's connections, and a drain that does not wait for idle or slow clients.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
)

// Server is a running HTTP server.
type Server struct {
	srv   *http.Server
	ln    net.Listener
	conns *conns
	log   *slog.Logger
	err   chan error
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves h until Close.
func Start(addr string, h http.Handler, opts ...Option) (*Server, error) {
	return start(addr, h, nil, opts)
}

func start(addr string, h http.Handler, cfg *tls.Config, opts []Option) (*Server, error) {
	o := newOptions(opts)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	cs := newConns(o)
	l := o.limits
	s := &Server{
		srv: &http.Server{
			Handler:           cs.handler(h),
			TLSConfig:         cfg,
			ReadHeaderTimeout: l.ReadHeaderTimeout,
			ReadTimeout:       l.ReadTimeout,
			WriteTimeout:      l.WriteTimeout,
			IdleTimeout:       l.IdleTimeout,
			MaxHeaderBytes:    l.MaxHeaderBytes,
			ConnContext:       cs.connContext,
			ConnState:         cs.connState,
			ErrorLog:          slog.NewLogLogger(o.log.Handler(), slog.LevelDebug),
		},
		ln:    ln,
		conns: cs,
		log:   o.log,
		err:   make(chan error, 1),
	}
	served := cs.listen(ln)
	if cfg != nil {
		served = tls.NewListener(served, cfg)
	}
	go func() {
		if err := s.srv.Serve(served); !errors.Is(err, http.ErrServerClosed) {
			s.err <- err
		}
		close(s.err)
	}()
	return s, nil
}

// URL is the server's base URL, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Stats is the listener's load now.
func (s *Server) Stats() Stats { return s.conns.stats() }

// Close stops the server. Connections that are not in an exchange (idle, handshaking, sending
// their headers or their body) are closed at once; exchanges in flight are finished until ctx's
// deadline, and whatever is still open then is closed and logged. A drain that had to close
// connections is still a clean stop: Close reports only a failure of the server itself.
func (s *Server) Close(ctx context.Context) error {
	s.conns.drain()
	if err := s.srv.Shutdown(ctx); err != nil {
		left := s.conns.stats().Open
		_ = s.srv.Close()
		s.log.Warn("shutdown grace over: closed the connections still in an exchange",
			"listener", s.Addr(), "closed", left, "cause", err)
	}
	if cut := s.conns.stats().Cut; cut > 0 {
		s.log.Info("shutdown: closed connections that were silent or still sending a request", "listener", s.Addr(), "closed", cut)
	}
	return <-s.err
}
