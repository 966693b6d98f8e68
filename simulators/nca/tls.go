package nca

import (
	"crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
)

// IssueServer gives a server its TLS certificate for HTTPS (R-2.7: REST services are secured by
// HTTPS): the hosts become DNS or IP subject alternative names, which clients check against the
// address they dial. The certificate also allows client authentication, so the same server can
// present it when it calls another party over mutual TLS. s carries the organisation's BIN, as the
// national CA's server certificates do.
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
	return a.issue(s, k, tmpl)
}
