package cms_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
)

// TestOpenSSLInterop proves the wire format against an independent implementation: a detached
// signature openssl makes verifies here, and one made here verifies with openssl.
func TestOpenSSLInterop(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on PATH")
	}
	c := newCA(t, "Interop", pki.RSA2048, pki.ECDSAP256)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	data := write("data", []byte("business file bytes\n\x00\x01 binary too"))
	ca := write("ca.pem", pki.PEM(c.authority.Root()))
	chain := write("chain.pem", pki.PEM(c.authority.Intermediate()))
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	for _, k := range []pki.KeyType{pki.RSA2048, pki.ECDSAP256} {
		id := c.signers[k]
		t.Run(k.String()+": openssl signs, cms verifies", func(t *testing.T) {
			key, err := id.KeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			cert, keyPath := write("cert.pem", pki.PEM(id.Certificate)), write("key.pem", key)
			sigPath := filepath.Join(dir, "openssl.sig")
			run("cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-signer", cert, "-inkey", keyPath,
				"-certfile", chain, "-in", data, "-out", sigPath)
			sig, _ := os.ReadFile(sigPath)
			content, _ := os.ReadFile(data)
			got, err := c.verifier().VerifyDetached(sig, content)
			if err != nil {
				t.Fatalf("openssl's signature was refused: %v", err)
			}
			if !got.Signer.Equal(id.Certificate) {
				t.Errorf("signer %q", got.Signer.Subject.CommonName)
			}
			if _, err := c.verifier().VerifyDetached(sig, append(content, '!')); problemOf(err) != cms.BadSignature {
				t.Errorf("openssl's signature over other data: %v, want BadSignature", err)
			}
		})
		t.Run(k.String()+": cms signs, openssl verifies", func(t *testing.T) {
			content, _ := os.ReadFile(data)
			sig, err := cms.SignDetached(id, content)
			if err != nil {
				t.Fatal(err)
			}
			sigPath := write("ours.sig", sig)
			run("cms", "-verify", "-binary", "-inform", "DER", "-in", sigPath, "-content", data, "-CAfile", ca, "-out", os.DevNull)
		})
	}
}
