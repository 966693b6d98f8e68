package nca_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/shepconf/shepconf/internal/gost"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// A GOST 34.310-2004 certificate from the simulated NCA: GOST-keyed, signed by the (ECDSA) issuing
// CA, so that crypto/x509 verifies it, with the NCA's identifiers and an OCSP status.
func TestIssueGOST(t *testing.T) {
	a, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.Issue(nca.Subject{CommonName: "IS", BIN: "123456789012", IIN: "990101300123"}, pki.GOST2004)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := id.Key.(*gost.PrivateKey)
	if !ok {
		t.Fatalf("key %T, want *gost.PrivateKey", id.Key)
	}
	pub, err := pki.PublicKeyOf(id.Certificate)
	if err != nil || !key.PublicKey.Equal(pub) {
		t.Fatalf("the certificate's key is not the identity's: %v", err)
	}
	if _, err := id.Certificate.Verify(x509.VerifyOptions{Roots: a.Roots(), Intermediates: a.Intermediates(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("crypto/x509: %v", err)
	}
	if _, err := pki.VerifyChain(id.Certificate, id.Chain, []*x509.Certificate{a.Root()}, time.Now()); err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	if iin, bin := pki.IdentifiersOf(id.Certificate); iin != "990101300123" || bin != "123456789012" {
		t.Fatalf("identifiers %q %q", iin, bin)
	}
	der, err := a.OCSPResponse(id.Certificate.SerialNumber, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ocsp.ParseResponseForCert(der, id.Certificate, a.Intermediate()); err != nil || r.Status != ocsp.Good {
		t.Fatalf("OCSP for a GOST certificate: %v", err)
	}
	if !a.Knows(id.Certificate) {
		t.Fatal("the NCA does not know the GOST certificate it issued")
	}
}

// TLS cannot carry GOST: a run with GOST keys gets ECDSA server certificates, and serves HTTPS.
func TestGOSTRunServesTLSWithECDSA(t *testing.T) {
	a, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.IssueServer(nca.Subject{CommonName: "api", BIN: "123456789012"}, pki.GOST2004, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := id.Key.(*ecdsa.PrivateKey); !ok {
		t.Fatalf("server key %T, want ECDSA", id.Key)
	}
	srv, err := a.ServeHTTPS("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }),
		nca.Subject{CommonName: "api", BIN: "123456789012"}, pki.GOST2004)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: a.Roots()}}}
	resp, err := client.Get(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 || resp.TLS.PeerCertificates[0].PublicKeyAlgorithm != x509.ECDSA {
		t.Fatalf("TLS peer: %+v", resp.TLS)
	}
}

// The state folder keeps GOST certificates: after a restart the NCA still knows them, and an
// exported GOST identity reads back.
func TestStoreKeepsGOSTCertificates(t *testing.T) {
	dir := t.TempDir()
	a, err := nca.LoadOrCreate("Test NCA", dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.Issue(nca.Subject{CommonName: "IS", BIN: "123456789012"}, pki.GOST2004)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(id.Certificate); err != nil {
		t.Fatal(err)
	}
	if err := a.Save(dir); err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := pki.SaveIdentity(id, certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	b, err := nca.Load("Test NCA", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Knows(id.Certificate) {
		t.Fatal("after Load the NCA does not know the GOST certificate")
	}
	der, err := b.OCSPResponse(id.Certificate.SerialNumber, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ocsp.ParseResponseForCert(der, id.Certificate, b.Intermediate()); err != nil || r.Status != ocsp.Revoked {
		t.Fatalf("OCSP after Load: %v", err)
	}
	back, err := pki.LoadIdentity(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := back.Key.(*gost.PrivateKey); !ok || !k.Equal(id.Key) || !back.Certificate.Equal(id.Certificate) || len(back.Chain) != 1 {
		t.Fatalf("exported GOST identity read back as %T with %d chain certificates", back.Key, len(back.Chain))
	}
}
