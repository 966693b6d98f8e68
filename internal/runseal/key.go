package runseal

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// KeyEnv names the harness key's file when no flag does.
const KeyEnv = "SHEPCONF_HARNESS_KEY"

// Files of the harness key in its folder. The public key is written beside the private one when the
// key is made, to be handed to whoever verifies the results without running the harness.
const (
	KeyFile       = "harness-key.pem"
	PublicKeyFile = "harness-key.pub.pem"
)

// KeyPath is where the harness key is: the flag's path, else $SHEPCONF_HARNESS_KEY, else
// harness-key.pem in the user's configuration folder (~/.config/shepconf on Linux). The key lives
// outside the run's output folder: whoever can write the results cannot reach it from there.
func KeyPath(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if env := os.Getenv(KeyEnv); env != "" {
		return env, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("the harness key: no user configuration folder (%w); give its file with --harness-key or $%s", err, KeyEnv)
	}
	return filepath.Join(dir, "shepconf", KeyFile), nil
}

// LoadOrCreate reads the harness's private key from path, or makes an ECDSA P-256 key there
// (0600, its folder 0700) with its public key beside it when there is none yet.
func LoadOrCreate(path string) (crypto.Signer, error) {
	key, err := LoadPrivate(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := create(path); err != nil {
		return nil, err
	}
	return LoadPrivate(path)
}

// LoadPrivate reads a PKCS#8 (or SEC 1) PEM private key, ECDSA P-256 or Ed25519. A key that others
// than its owner can read is refused, as ssh refuses one: anyone who reads it can seal forged results.
func LoadPrivate(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the harness key: %w", err)
	}
	if st, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("the harness key %s can be read by others (mode %v); chmod 600 %s", path, st.Mode().Perm(), path)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("the harness key %s: not a PEM file", path)
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("the harness key %s: a %s, not a private key", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("the harness key %s: %w", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok || algorithmOf(signer.Public()) == "" {
		return nil, fmt.Errorf("the harness key %s: want an ECDSA P-256 or Ed25519 key, got %T", path, key)
	}
	return signer, nil
}

// LoadPublic reads the key a seal is verified with: the harness's private key, its public key
// (PEM "PUBLIC KEY") or a certificate of it, so that a tester who received only the results and
// the public key can verify them.
func LoadPublic(path string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the harness key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("the harness key %s: not a PEM file", path)
	}
	var pub crypto.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "CERTIFICATE":
		var c *x509.Certificate
		if c, err = x509.ParseCertificate(block.Bytes); err == nil {
			pub = c.PublicKey
		}
	case "PRIVATE KEY", "EC PRIVATE KEY":
		var key crypto.Signer
		if key, err = LoadPrivate(path); err == nil {
			pub = key.Public()
		}
	default:
		return nil, fmt.Errorf("the harness key %s: a %s, not a key or certificate", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("the harness key %s: %w", path, err)
	}
	if algorithmOf(pub) == "" {
		return nil, fmt.Errorf("the harness key %s: want an ECDSA P-256 or Ed25519 key, got %T", path, pub)
	}
	return pub, nil
}

// Fingerprint names a public key as OpenSSH does: SHA256: and the unpadded base64 of the SHA-256
// of its DER (SubjectPublicKeyInfo) encoding.
func Fingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown key"
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// PublicPEM is the PEM "PUBLIC KEY" of pub.
func PublicPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// create makes the key at path. Two runs starting at once make one key between them: each writes
// its own to a temporary file, and only the first link to path succeeds.
func create(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("the harness key: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	if err != nil {
		return fmt.Errorf("the harness key: %w", err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // another run made it first: use that one
		}
		return fmt.Errorf("the harness key: %w", err)
	}
	pubPEM, err := PublicPEM(key.Public())
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, PublicKeyFile), pubPEM, 0o644)
}

// algorithmOf is the JWS algorithm of a public key, or "" for a key the seal does not use.
func algorithmOf(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return "ES256"
		}
	case ed25519.PublicKey:
		return "EdDSA"
	}
	return ""
}

// RunWithTemporaryKey runs a test binary's tests (m is its *testing.M) with a harness key of their
// own, so that tests that run the suite never create or use the user's key.
func RunWithTemporaryKey(m interface{ Run() int }) int {
	dir, err := os.MkdirTemp("", "shepconf-harness-key-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	os.Setenv(KeyEnv, filepath.Join(dir, KeyFile))
	return m.Run()
}
