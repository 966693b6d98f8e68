package nca

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
)

// IssueServer gives a server its TLS certificate for HTTPS (R-2.7: REST services are secured by
// HTTPS): the hosts become DNS or IP subject alternative names, which clients check against the
// address they dial. The certificate also allows client authentication, so the same server can
// present it when it calls another party over mutual TLS. s carries the organisation's BIN, as the
// national CA's server certificates do. The key is of type pki.TLSKeyType(k): crypto/tls cannot
// present a GOST key, so a run with GOST keys has ECDSA P-256 TLS certificates.
func (a *Authority) IssueServer(s Subject, k pki.KeyType, hosts ...string) (*pki.Identity, error) {
	if len(hosts) == 0 {
		return nil, fmt.Errorf("server certificate for %s: name at least one host", s.CommonName)
	}
	now := a.now()
	tmpl := &x509.Certificate{
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return a.issue(s, pki.TLSKeyType(k), tmpl)
}

// ServeHTTPS runs h over HTTPS on addr with a server certificate this authority issues for the
// listening host, localhost, 127.0.0.1 and hosts: how a profile's simulated services (ESIA, the
// EPGU API, the SMDO router) present themselves to the system under test. Its key is of type
// pki.TLSKeyType(k), as IssueServer's.
func (a *Authority) ServeHTTPS(addr string, h http.Handler, s Subject, k pki.KeyType, hosts ...string) (*server.TLSServer, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s address %q: %w", s.CommonName, addr, err)
	}
	names := append([]string{"localhost", "127.0.0.1"}, hosts...)
	if host != "" && host != "0.0.0.0" && host != "::" {
		names = append(names, host)
	}
	id, err := a.IssueServer(s, k, names...)
	if err != nil {
		return nil, fmt.Errorf("%s certificate: %w", s.CommonName, err)
	}
	srv, err := server.StartTLS(addr, h, &tls.Config{Certificates: []tls.Certificate{id.TLSCertificate()}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.CommonName, err)
	}
	return srv, nil
}
