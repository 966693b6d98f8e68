package nca

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files of an authority's state folder. The CA keys are secret (mode 0600); a standalone NCA keeps
// them so that certificates it exported stay valid across restarts.
const (
	RootCertFile    = "root.pem"
	RootKeyFile     = "root.key"
	IssuingCertFile = "issuing.pem"
	IssuingKeyFile  = "issuing.key"
	ChainFile       = "ca-chain.pem" // issuing then root: what a relying party configures
	issuedDir       = "issued"       // every certificate issued, so OCSP still answers "good" after a restart
	revokedFile     = "revoked.txt"  // "serial RFC3339-time" per line
)

// Save writes the authority's CA certificates and keys, the certificates it issued and its
// revocations into dir.
func (a *Authority) Save(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, issuedDir), 0o700); err != nil {
		return fmt.Errorf("NCA state folder: %w", err)
	}
	if err := saveIdentity(dir, RootCertFile, RootKeyFile, a.root); err != nil {
		return err
	}
	if err := saveIdentity(dir, IssuingCertFile, IssuingKeyFile, a.intermediate); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ChainFile), PEM(a.intermediate.Certificate, a.root.Certificate), 0o644); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for key, c := range a.issued {
		if err := os.WriteFile(filepath.Join(dir, issuedDir, key+".pem"), PEM(c), 0o644); err != nil {
			return err
		}
	}
	var revoked strings.Builder
	for key, at := range a.revoked {
		fmt.Fprintf(&revoked, "%s %s\n", key, at.UTC().Format(time.RFC3339Nano))
	}
	return os.WriteFile(filepath.Join(dir, revokedFile), []byte(revoked.String()), 0o644)
}

// Load reads an authority saved by Save from dir.
func Load(name, dir string) (*Authority, error) {
	a := &Authority{name: name, now: time.Now, issued: map[string]*x509.Certificate{},
		revoked: map[string]time.Time{}, ocspAvailable: true}
	var err error
	if a.root, err = loadIdentity(dir, RootCertFile, RootKeyFile); err != nil {
		return nil, err
	}
	if a.intermediate, err = loadIdentity(dir, IssuingCertFile, IssuingKeyFile); err != nil {
		return nil, err
	}
	if err := a.intermediate.Certificate.CheckSignatureFrom(a.root.Certificate); err != nil {
		return nil, fmt.Errorf("NCA state %s: %s is not issued by %s: %w", dir, IssuingCertFile, RootCertFile, err)
	}
	a.intermediate.Chain = nil
	entries, err := os.ReadDir(filepath.Join(dir, issuedDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		certs, err := ReadCertificates(filepath.Join(dir, issuedDir, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			a.issued[c.SerialNumber.Text(16)] = c
		}
	}
	revoked, err := os.ReadFile(filepath.Join(dir, revokedFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(revoked)), "\n") {
		key, at, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return nil, fmt.Errorf("NCA state %s: %s: %w", dir, revokedFile, err)
		}
		a.revoked[key] = t
	}
	return a, nil
}

// LoadOrCreate loads the authority saved in dir, or creates one and saves it there when dir holds
// none yet.
func LoadOrCreate(name, dir string) (*Authority, error) {
	if _, err := os.Stat(filepath.Join(dir, RootKeyFile)); err == nil {
		return Load(name, dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	a, err := New(name)
	if err != nil {
		return nil, err
	}
	return a, a.Save(dir)
}

// Knows reports whether c was issued by this authority (and recorded as such).
func (a *Authority) Knows(c *x509.Certificate) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	known, ok := a.issued[c.SerialNumber.Text(16)]
	return ok && known.Equal(c)
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
	key, err := readKey(keyPath)
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

func saveIdentity(dir, certFile, keyFile string, id *Identity) error {
	return SaveIdentity(&Identity{Certificate: id.Certificate, Key: id.Key}, filepath.Join(dir, certFile), filepath.Join(dir, keyFile))
}

func loadIdentity(dir, certFile, keyFile string) (*Identity, error) {
	id, err := LoadIdentity(filepath.Join(dir, certFile), filepath.Join(dir, keyFile))
	if err != nil {
		return nil, fmt.Errorf("NCA state %s: %w", dir, err)
	}
	return id, nil
}

func readKey(path string) (crypto.Signer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(raw)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no PKCS#8 PRIVATE KEY block", path)
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
