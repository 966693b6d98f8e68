package standalone

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/shepconf/shepconf/internal/gost"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// Files of a system's folder in the state folder.
const (
	CertFile      = "cert.pem"       // the signing certificate, followed by its chain
	KeyFile       = "key.pem"        // its private key, PKCS#8
	HTTPSCertFile = "https-cert.pem" // the HTTPS server certificate of a REST owner or of the gateway
	HTTPSKeyFile  = "https-key.pem"
	// With keyAlgorithm gost2004, a second certificate of the system (same subject and BIN, ECDSA
	// P-256) for what cannot carry a GOST key: the REST channel's JOSE seal (A6-S3) and the client
	// certificate of mutual TLS.
	AuthCertFile = "auth-cert.pem"
	AuthKeyFile  = "auth-key.pem"
)

// identity finds the system's exported signing certificate in the state folder, or issues and
// exports a new one (see export); with GOST keys, its JOSE and TLS certificate too.
func (s *Standalone) identity(systemID, bin string) error {
	id, err := s.export(systemID, CertFile, KeyFile, bin, s.keyType, nil)
	if err != nil {
		return err
	}
	s.Identities[systemID] = id
	if auth := pki.TLSKeyType(s.keyType); auth != s.keyType {
		if _, err := s.export(systemID, AuthCertFile, AuthKeyFile, bin, auth, nil); err != nil {
			return err
		}
	}
	return nil
}

// serverIdentity does the same for a system's HTTPS server certificate, issued for hosts; never
// GOST, as crypto/tls cannot present one.
func (s *Standalone) serverIdentity(systemID, bin string, hosts []string) (*pki.Identity, error) {
	return s.export(systemID, HTTPSCertFile, HTTPSKeyFile, bin, pki.TLSKeyType(s.keyType), hosts)
}

// export reuses the certificate exported in the system's folder, or issues and exports a new one
// when there is none, or when it is not this NCA's, names another BIN, another NCA address, has a
// key of another algorithm than key, misses one of hosts or is about to expire. hosts nil asks for
// a signing certificate, otherwise for a server certificate.
func (s *Standalone) export(systemID, certFile, keyFile, bin string, key pki.KeyType, hosts []string) (*pki.Identity, error) {
	dir := filepath.Join(s.Config.State, SystemsDir, systemID)
	certPath, keyPath := filepath.Join(dir, certFile), filepath.Join(dir, keyFile)
	if id, err := pki.LoadIdentity(certPath, keyPath); err == nil && s.stillGood(id, bin, key, hosts) {
		return id, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("reissuing a certificate that cannot be read", "system", systemID, "cert", certPath, "err", err)
	}
	subject := nca.Subject{CommonName: systemID, BIN: bin, Organization: systemID + " organisation"}
	var id *pki.Identity
	var err error
	if hosts == nil {
		id, err = s.NCA.Issue(subject, key)
	} else {
		id, err = s.NCA.IssueServer(subject, key, hosts...)
	}
	if err != nil {
		return nil, fmt.Errorf("certificate of %s: %w", systemID, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := pki.SaveIdentity(id, certPath, keyPath); err != nil {
		return nil, fmt.Errorf("export the certificate of %s: %w", systemID, err)
	}
	if err := os.WriteFile(filepath.Join(dir, nca.ChainFile), pki.PEM(s.NCA.Intermediate(), s.NCA.Root()), 0o644); err != nil {
		return nil, err
	}
	s.log.Info("certificate issued", "system", systemID, "bin", bin, "key", key, "cert", certPath)
	return id, nil
}

func (s *Standalone) stillGood(id *pki.Identity, bin string, key pki.KeyType, hosts []string) bool {
	c := id.Certificate
	_, got := pki.IdentifiersOf(c)
	ocspURL := s.ncaSrv.URL() + nca.OCSPPath
	if !s.NCA.Knows(c) || got != bin || time.Until(c.NotAfter) <= renewalSlack ||
		len(c.OCSPServer) != 1 || c.OCSPServer[0] != ocspURL || !hasKey(c, key) {
		return false
	}
	serves := slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	if serves != (hosts != nil) {
		return false
	}
	for _, h := range hosts {
		if c.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// hasKey reports whether c's key is of the algorithm k: a certificate exported under another
// keyAlgorithm is reissued. A GOST key is read by pki.PublicKeyOf, crypto/x509 knowing none.
func hasKey(c *x509.Certificate, k pki.KeyType) bool {
	pub, err := pki.PublicKeyOf(c)
	if err != nil {
		return false
	}
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		return k == pki.RSA2048 && pub.N.BitLen() == 2048
	case *ecdsa.PublicKey:
		return k == pki.ECDSAP256 && pub.Curve == elliptic.P256()
	case *gost.PublicKey:
		return k == pki.GOST2004 && pub.Curve.OID.Equal(gost.CurveCryptoProA().OID)
	}
	return false
}

// gatewayHosts are the names the gateway's HTTPS certificate is issued for: the loopback names, the
// machine's name, the host it listens on when it is a specific one, and listen.restHosts.
func gatewayHosts(listen string, extra []string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if name, err := os.Hostname(); err == nil && name != "" {
		hosts = append(hosts, name)
	}
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, h)
		}
	}
	return uniq(append(hosts, extra...))
}

// hostOf is the host of a URL, for the server certificate of an owner serving there.
func hostOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func uniq(in []string) []string {
	var out []string
	for _, s := range in {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
