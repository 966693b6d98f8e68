package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// TLSServer is a running HTTPS server.
type TLSServer struct{ *Server }

// StartTLS listens on addr and serves h over TLS with cfg until Close.
func StartTLS(addr string, h http.Handler, cfg *tls.Config) (*TLSServer, error) {
	if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil) {
		return nil, fmt.Errorf("listen on %s over TLS: no server certificate", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{
		srv: &http.Server{
			Handler:           h,
			TLSConfig:         cfg,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		ln:  ln,
		err: make(chan error, 1),
	}
	go func() {
		if err := s.srv.Serve(tls.NewListener(ln, cfg)); !errors.Is(err, http.ErrServerClosed) {
			s.err <- err
		}
		close(s.err)
	}()
	return &TLSServer{s}, nil
}

// URL is the server's base URL, e.g. https://127.0.0.1:41234.
func (s *TLSServer) URL() string { return "https://" + s.ln.Addr().String() }
