package server

import (
	"crypto/tls"
	"fmt"
	"net/http"
)

// TLSServer is a running HTTPS server.
type TLSServer struct{ *Server }

// StartTLS listens on addr and serves h over TLS with cfg until Close, with the same limits as
// Start: the TLS handshake shares the header timeout.
func StartTLS(addr string, h http.Handler, cfg *tls.Config, opts ...Option) (*TLSServer, error) {
	if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil) {
		return nil, fmt.Errorf("listen on %s over TLS: no server certificate", addr)
	}
	s, err := start(addr, h, cfg, opts)
	if err != nil {
		return nil, err
	}
	return &TLSServer{s}, nil
}

// URL is the server's base URL, e.g. https://127.0.0.1:41234.
func (s *TLSServer) URL() string { return "https://" + s.ln.Addr().String() }
