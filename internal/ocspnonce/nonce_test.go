package ocspnonce_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/shepconf/shepconf/internal/ocspnonce"
)

// A nonce put in a request reads back on the responder's side and the request still parses for
// golang.org/x/crypto/ocsp; a nonce added to an answer reads back from its signed part, whose
// signature still verifies, for both key types a CA may hold.
func TestNonceRoundTrip(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.Signer{"ECDSA P-256": ec, "RSA-2048": rk} {
		t.Run(name, func(t *testing.T) {
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA"}, IsCA: true,
				BasicConstraintsValid: true, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
				KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
			if err != nil {
				t.Fatal(err)
			}
			ca, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			leaf := &x509.Certificate{SerialNumber: big.NewInt(42)}
			req, err := ocsp.CreateRequest(leaf, ca, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ocspnonce.OfRequest(req) != nil {
				t.Fatal("a request without a nonce reads as having one")
			}
			nonce, err := ocspnonce.New()
			if err != nil {
				t.Fatal(err)
			}
			withNonce, err := ocspnonce.AddToRequest(req, nonce)
			if err != nil {
				t.Fatal(err)
			}
			if got := ocspnonce.OfRequest(withNonce); !bytes.Equal(got, nonce) {
				t.Fatalf("request nonce %x, want %x", got, nonce)
			}
			if parsed, err := ocsp.ParseRequest(withNonce); err != nil || parsed.SerialNumber.Int64() != 42 {
				t.Fatalf("the request with a nonce does not parse: %v", err)
			}

			resp, err := ocsp.CreateResponse(ca, ca, ocsp.Response{SerialNumber: leaf.SerialNumber, Status: ocsp.Good,
				ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour)}, key)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := ocsp.ParseResponseForCert(resp, leaf, ca)
			if err != nil {
				t.Fatal(err)
			}
			if ocspnonce.OfResponse(plain.TBSResponseData) != nil {
				t.Fatal("an answer without a nonce (its ResponderID byName is tagged [1] too) reads as having one")
			}
			if resp, err = ocspnonce.AddToResponse(resp, nonce, key); err != nil {
				t.Fatal(err)
			}
			r, err := ocsp.ParseResponseForCert(resp, leaf, ca)
			if err != nil {
				t.Fatalf("the answer with a nonce does not verify: %v", err)
			}
			if got := ocspnonce.OfResponse(r.TBSResponseData); !bytes.Equal(got, nonce) || r.Status != ocsp.Good {
				t.Fatalf("response nonce %x status %d, want %x good", got, r.Status, nonce)
			}
		})
	}
}
