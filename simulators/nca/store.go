package nca

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
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
	if err := os.WriteFile(filepath.Join(dir, ChainFile), pki.PEM(a.intermediate.Certificate, a.root.Certificate), 0o644); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for key, c := range a.issued {
		if err := os.WriteFile(filepath.Join(dir, issuedDir, key+".pem"), pki.PEM(c), 0o644); err != nil {
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
	if err := pki.CheckSignatureFrom(a.intermediate.Certificate, a.root.Certificate); err != nil {
		return nil, fmt.Errorf("NCA state %s: %s is not issued by %s: %w", dir, IssuingCertFile, RootCertFile, err)
	}
	a.intermediate.Chain = nil
	entries, err := os.ReadDir(filepath.Join(dir, issuedDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		certs, err := pki.ReadCertificates(filepath.Join(dir, issuedDir, e.Name()))
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

func saveIdentity(dir, certFile, keyFile string, id *pki.Identity) error {
	return pki.SaveIdentity(&pki.Identity{Certificate: id.Certificate, Key: id.Key}, filepath.Join(dir, certFile), filepath.Join(dir, keyFile))
}

func loadIdentity(dir, certFile, keyFile string) (*pki.Identity, error) {
	id, err := pki.LoadIdentity(filepath.Join(dir, certFile), filepath.Join(dir, keyFile))
	if err != nil {
		return nil, fmt.Errorf("NCA state %s: %w", dir, err)
	}
	return id, nil
}
