// Package pki holds what every party with a certificate shares: the key types the harness issues,
// an identity (certificate, key and chain) and its PEM files, and the identifiers the national CA
// writes in a subject. The simulated CA (simulators/nca) issues identities; the signature code
// (internal/xsig) and every profile use them without depending on the CA.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/shepconf/shepconf/internal/gost"
)

// KeyType is the key algorithm of an issued certificate.
type KeyType int

const (
	RSA2048 KeyType = iota
	ECDSAP256
	// GOST2004 is a GOST 34.310-2004 key (GOST R 34.10-2001 on the CryptoPro-A curve), as the
	// national CA issues for GOST signatures (gost.go).
	GOST2004
)

func (k KeyType) String() string {
	switch k {
	case ECDSAP256:
		return "ECDSA P-256"
	case GOST2004:
		return "GOST 34.310-2004"
	}
	return "RSA-2048"
}

// KeyAlgorithms names the values ParseKeyType takes, for help texts and errors.
const KeyAlgorithms = "rsa-2048 (the default, as the national CA issues), ecdsa-p256 or gost2004 (GOST 34.310-2004, the national CA's GOST keys; the shep profile only)"

// ParseKeyType reads a key algorithm as the configuration (keyAlgorithm) and the --key-algorithm
// flag name it. Empty is RSA-2048, the national CA's.
func ParseKeyType(s string) (KeyType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "rsa", "rsa-2048", "rsa2048":
		return RSA2048, nil
	case "ecdsa", "ecdsa-p256", "ecdsap256", "p-256", "p256":
		return ECDSAP256, nil
	case "gost2004", "gost-2004", "gost34310-2004": // not "gost" alone: the NCA issues GOST R 34.10-2015 keys too
		return GOST2004, nil
	}
	return RSA2048, fmt.Errorf("key algorithm %q is not known: use %s", s, KeyAlgorithms)
}

// IdentifiersOf reads the IIN and BIN from a certificate's subject as the national CA writes them.
func IdentifiersOf(c *x509.Certificate) (iin, bin string) {
	if v, ok := cutPrefix(c.Subject.SerialNumber, "IIN"); ok {
		iin = v
	}
	for _, ou := range c.Subject.OrganizationalUnit {
		if v, ok := cutPrefix(ou, "BIN"); ok {
			bin = v
		}
	}
	return iin, bin
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}

// Identity is a certificate with its private key and the chain up to (excluding) the root.
type Identity struct {
	Certificate *x509.Certificate
	Key         crypto.Signer
	Chain       []*x509.Certificate // the intermediate CA
}

// NewKey makes a private key of the given type.
func NewKey(k KeyType) (crypto.Signer, error) {
	switch k {
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case GOST2004:
		return gost.GenerateKey(gost.CurveCryptoProA(), rand.Reader)
	}
	return rsa.GenerateKey(rand.Reader, 2048)
}

// PEM encodes certificates as PEM blocks, for export to an agency's system.
func PEM(certs ...*x509.Certificate) []byte {
	var b strings.Builder
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return []byte(b.String())
}

// KeyPEM encodes an identity's private key as PKCS#8 PEM (a GOST key as gost.go lays it out).
func (id *Identity) KeyPEM() ([]byte, error) {
	var der []byte
	var err error
	if k, ok := id.Key.(*gost.PrivateKey); ok {
		der, err = marshalGOSTPrivateKey(k)
	} else {
		der, err = x509.MarshalPKCS8PrivateKey(id.Key)
	}
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// SaveIdentity writes an issued identity as certPath (its certificate then its chain) and keyPath
// (PKCS#8, mode 0600): what an agency configures in its system.
func SaveIdentity(id *Identity, certPath, keyPath string) error {
	key, err := id.KeyPEM()
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, PEM(append([]*x509.Certificate{id.Certificate}, id.Chain...)...), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyPath, key, 0o600)
}

// LoadIdentity reads an identity written by SaveIdentity: the first certificate of certPath is the
// holder's, the rest its chain.
func LoadIdentity(certPath, keyPath string) (*Identity, error) {
	certs, err := ReadCertificates(certPath)
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s holds no certificate", certPath)
	}
	key, err := ReadKey(keyPath)
	if err != nil {
		return nil, err
	}
	return &Identity{Certificate: certs[0], Key: key, Chain: certs[1:]}, nil
}

// ReadCertificates reads every CERTIFICATE block of a PEM file.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, raw = pem.Decode(raw)
		if b == nil {
			return out, nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, c)
	}
}

// ReadKey reads a PKCS#8 private key from a PEM file: RSA, ECDSA, Ed25519 or GOST 34.310-2004.
func ReadKey(path string) (crypto.Signer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(raw)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no PKCS#8 PRIVATE KEY block", path)
	}
	if k, err := parseGOSTPrivateKey(b.Bytes); err == nil {
		return k, nil
	} else if !errors.Is(err, errNotGOST) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: the key cannot sign", path)
	}
	return signer, nil
}

// TLSCertificate is the identity in the form crypto/tls presents it: the certificate followed by
// its chain, so a peer that trusts only the root can build the path.
func (id *Identity) TLSCertificate() tls.Certificate {
	c := tls.Certificate{Certificate: [][]byte{id.Certificate.Raw}, PrivateKey: id.Key, Leaf: id.Certificate}
	for _, ch := range id.Chain {
		c.Certificate = append(c.Certificate, ch.Raw)
	}
	return c
}
