package xsig_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
)

// xmlsec1 is the independent reference implementation of XML Signature (Debian package xmlsec1).
// The Body carries wsu:Id; xmlsec1 must be told that Id is an ID attribute of soap:Body.
var xmlsecIDAttr = []string{"--id-attr:Id", xsig.SOAPNS + ":Body"}

func xmlsec(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmlsec1 is not installed; scripts/deps installs it (apt-get install -y xmlsec1)")
		}
		t.Skip("xmlsec1 is not installed: the interoperability test did NOT run (apt-get install -y xmlsec1)")
	}
	return path
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// What we sign, xmlsec1 verifies; what xmlsec1 signs, we verify; and neither accepts a tampered body.
// template is a signed envelope with its digest and signature values blanked, for xmlsec1 to fill.
func template(signed []byte) []byte {
	tmpl := regexp.MustCompile(`(?s)<ds:DigestValue>.*?</ds:DigestValue>`).ReplaceAll(signed, []byte(`<ds:DigestValue/>`))
	return regexp.MustCompile(`(?s)<ds:SignatureValue>.*?</ds:SignatureValue>`).ReplaceAll(tmpl, []byte(`<ds:SignatureValue/>`))
}

// xmlsecSign has xmlsec1 sign a template with the key (and certificate) in keyArg.
func xmlsecSign(t *testing.T, bin, dir string, tmpl []byte, keyArg string) []byte {
	t.Helper()
	outFile := filepath.Join(dir, "theirs.xml")
	args := append([]string{"--sign"}, xmlsecIDAttr...)
	args = append(args, "--privkey-pem", keyArg, "--output", outFile, write(t, dir, "template.xml", tmpl))
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s", err, out)
	}
	theirs, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	return theirs
}

func TestInteroperabilityWithXmlsec1(t *testing.T) {
	bin := xmlsec(t)
	p := newPKI(t)
	for _, k := range []pki.KeyType{pki.RSA2048, pki.ECDSAP256} {
		t.Run(k.String(), func(t *testing.T) {
			dir := t.TempDir()
			id := p.system(t, k)
			keyPEM, err := id.KeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			certFile := write(t, dir, "cert.pem", pki.PEM(id.Certificate))
			keyFile := write(t, dir, "key.pem", keyPEM)

			ours := sign(t, message(t), id)
			verify := func(file string) ([]byte, error) {
				args := append([]string{"--verify"}, xmlsecIDAttr...)
				return exec.Command(bin, append(args, "--pubkey-cert-pem", certFile, file)...).CombinedOutput()
			}
			if out, err := verify(write(t, dir, "ours.xml", ours)); err != nil {
				t.Fatalf("xmlsec1 rejects our signature: %v\n%s", err, out)
			}
			tampered := regexp.MustCompile(`<messageId>m1</messageId>`).ReplaceAll(ours, []byte(`<messageId>m9</messageId>`))
			if out, err := verify(write(t, dir, "tampered.xml", tampered)); err == nil {
				t.Fatalf("xmlsec1 accepts a tampered body:\n%s", out)
			}

			// A template: our signature with its values blanked; xmlsec1 fills them.
			theirs := xmlsecSign(t, bin, dir, template(ours), keyFile)
			s, err := xsig.Verify(theirs)
			if err != nil {
				t.Fatalf("we reject xmlsec1's signature: %v\n%s", err, theirs)
			}
			if !s.Certificate.Equal(id.Certificate) {
				t.Fatal("wrong signer certificate")
			}
		})
	}
}

// xmlsec1 and we agree on the forms other WS-Security stacks write: the certificate inline in
// ds:X509Data (xmlsec1 checks it against the NCA's root, and writes it itself when signing) and
// RSA-SHA1 with SHA-1 digests. Each direction verifies, and a tampered body fails in both.
func TestInteroperabilityWithXmlsec1Forms(t *testing.T) {
	bin := xmlsec(t)
	p := newPKI(t)
	cases := []struct {
		name    string
		key     pki.KeyType
		opts    []xsig.Option
		keyInfo xsig.KeyReference
		remarks int
	}{
		{"X509Data RSA", pki.RSA2048, []xsig.Option{xsig.WithKeyReference(xsig.X509DataRef)}, xsig.X509DataRef, 0},
		{"X509Data ECDSA", pki.ECDSAP256, []xsig.Option{xsig.WithKeyReference(xsig.X509DataRef)}, xsig.X509DataRef, 0},
		{"RSA-SHA1", pki.RSA2048, []xsig.Option{xsig.WithSHA1(), xsig.WithKeyReference(xsig.X509DataRef)}, xsig.X509DataRef, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			id := p.system(t, c.key)
			keyPEM, err := id.KeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			root := write(t, dir, "root.pem", pki.PEM(p.ca.Root()))
			chain := write(t, dir, "chain.pem", pki.PEM(id.Chain...))
			certFile := write(t, dir, "cert.pem", pki.PEM(id.Certificate))
			keyFile := write(t, dir, "key.pem", keyPEM)
			// xmlsec1 takes the key from the certificate in ds:X509Data and checks it chains to the root.
			verify := func(file string) ([]byte, error) {
				args := append([]string{"--verify"}, xmlsecIDAttr...)
				args = append(args, "--trusted-pem", root, "--untrusted-pem", chain, "--enabled-key-data", "x509", file)
				return exec.Command(bin, args...).CombinedOutput()
			}

			ours := sign(t, message(t), id, c.opts...)
			if out, err := verify(write(t, dir, "ours.xml", ours)); err != nil {
				t.Fatalf("xmlsec1 rejects our signature: %v\n%s\n%s", err, out, ours)
			}
			tampered := regexp.MustCompile(`<messageId>m1</messageId>`).ReplaceAll(ours, []byte(`<messageId>m9</messageId>`))
			if out, err := verify(write(t, dir, "tampered.xml", tampered)); err == nil {
				t.Fatalf("xmlsec1 accepts a tampered body:\n%s", out)
			}

			// A template with an empty ds:X509Data: xmlsec1 fills in the values and the certificate.
			tmpl := regexp.MustCompile(`(?s)<ds:X509Data>.*?</ds:X509Data>`).ReplaceAll(template(ours), []byte(`<ds:X509Data/>`))
			theirs := xmlsecSign(t, bin, dir, tmpl, keyFile+","+certFile)
			s, err := xsig.Verify(theirs)
			if err != nil {
				t.Fatalf("we reject xmlsec1's signature: %v\n%s", err, theirs)
			}
			if !s.Certificate.Equal(id.Certificate) || s.KeyInfo != string(c.keyInfo) || len(s.Remarks) != c.remarks {
				t.Fatalf("signer %s, keyInfo %q, remarks %v", s.Certificate.Subject, s.KeyInfo, s.Remarks)
			}
			tampered = regexp.MustCompile(`<messageId>m1</messageId>`).ReplaceAll(theirs, []byte(`<messageId>m9</messageId>`))
			if _, err := xsig.Verify(tampered); xsig.ProblemOf(err) != xsig.Invalid {
				t.Fatalf("we accept xmlsec1's signature over a tampered body: %v", err)
			}
		})
	}
}
