package xsig

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// kazakhIssued is a certificate whose issuer is named as the national CA names itself: Kazakh
// letters, SURNAME and GIVENNAME (which RFC 4514 has no name for), a multi-valued RDN.
func kazakhIssued(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer := pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "KZ"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "АО \"НИТ\", Астана"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 4}, Value: "ТЕСТОВ"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 42}, Value: "ТЕСТОВИЧ"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)"},
	}}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: issuer, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := new(big.Int).SetString("618483740148203498912379128731", 10)
	leaf := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "IS"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// escapeUTF8 writes every byte above 127 as \XX, as OpenSSL's RFC 2253 output (and so xmlsec1 and
// python zeep) does.
func escapeUTF8(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c > 127 {
			fmt.Fprintf(&b, `\%02X`, c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func TestIssuerNameMatching(t *testing.T) {
	cert := kazakhIssued(t)
	serial := cert.SerialNumber.String()
	name := IssuerName(cert)
	if !strings.HasPrefix(name, `CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA),2.5.4.42=#0c`) || !strings.Contains(name, `O=АО \"НИТ\"\, Астана`) {
		t.Fatalf("IssuerName: %s", name)
	}
	for _, c := range []struct {
		issuer string
		match  bool
	}{
		{name, true},
		{cert.Issuer.String(), true},
		{escapeUTF8(name), true},
		{`C=KZ; O="АО \"НИТ\", Астана"; SURNAME=Тестов; G=Тестович; CN=ұлттық  куәландырушы орталық (rsa)`, true},
		{`cn=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA), givenName=ТЕСТОВИЧ, SN=ТЕСТОВ, O=АО \"НИТ\"\, Астана, C=KZ`, true},
		{`CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA), GN=ТЕСТОВИЧ, SN=ТЕСТОВ, O=АО \"НИТ\"\, Астана, C=RU`, false},
		{`CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA), GN=ТЕСТОВИЧ, O=АО \"НИТ\"\, Астана, C=KZ`, false},
		{`CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)+GN=ТЕСТОВИЧ, SN=ТЕСТОВ, O=АО \"НИТ\"\, Астана, C=KZ`, false},
	} {
		got, err := issuedAs(cert, c.issuer, serial)
		if err != nil || got != c.match {
			t.Errorf("%s: match %v (%v), want %v", c.issuer, got, err, c.match)
		}
	}
	if ok, _ := issuedAs(cert, name, "1"+serial); ok {
		t.Error("matched another serial number")
	}
	for _, bad := range []string{"", "CN", "CN=a,", `CN="a`, `CN=a"b"`, "CN=#zz", "X-Y=a", `CN=a\`} {
		if _, err := issuedAs(cert, bad, serial); ProblemOf(err) != Malformed {
			t.Errorf("%q: %v, want Malformed", bad, err)
		}
	}
}

// The issuer name as OpenSSL prints it (RFC 2253, UTF-8 escaped: what xmlsec1 and python zeep
// write in X509IssuerName) names the certificate.
func TestIssuerNameOfOpenSSL(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed: the cross-check did NOT run")
	}
	for name, cert := range map[string]*x509.Certificate{"kazakh": kazakhIssued(t), "nca": ncaIssued(t)} {
		file := filepath.Join(t.TempDir(), "cert.pem")
		if err := os.WriteFile(file, pki.PEM(cert), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, opt := range []string{"RFC2253", "RFC2253,-esc_msb", "oneline"} {
			out, err := exec.Command(bin, "x509", "-in", file, "-noout", "-issuer", "-nameopt", opt).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl: %v\n%s", err, out)
			}
			issuer := strings.TrimSpace(strings.TrimPrefix(string(out), "issuer="))
			if opt == "oneline" {
				// OpenSSL's own older form: "/"-free but " = " around '=' and most general first.
				issuer = strings.ReplaceAll(issuer, " = ", "=")
			}
			if ok, err := issuedAs(cert, issuer, cert.SerialNumber.String()); !ok {
				t.Errorf("%s, -nameopt %s: %q does not match (%v)", name, opt, issuer, err)
			}
		}
	}
}

func ncaIssued(t *testing.T) *x509.Certificate {
	ca, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(nca.Subject{CommonName: "IS", BIN: "123456789012"}, pki.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	return id.Certificate
}
