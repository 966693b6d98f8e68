package nca_test

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/shepconf/shepconf/internal/ocspnonce"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// The responder echoes the request's nonce in a signed answer valid for OCSPLifetime, and answers
// otherwise for a certificate switched with SetOCSPAnswer.
func TestOCSPResponder(t *testing.T) {
	a, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.Issue(nca.Subject{CommonName: "IS", BIN: "123456789012"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	nonce := []byte("0123456789abcdef")
	answer := func() *ocsp.Response {
		t.Helper()
		der, err := a.OCSPResponse(id.Certificate.SerialNumber, nonce)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ocsp.ParseResponseForCert(der, id.Certificate, a.Intermediate())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	now := time.Now()
	r := answer()
	if r.Status != ocsp.Good || !bytes.Equal(ocspnonce.OfResponse(r.TBSResponseData), nonce) ||
		r.ThisUpdate.After(now) || !r.NextUpdate.Equal(r.ThisUpdate.Add(nca.OCSPLifetime)) {
		t.Fatalf("honest answer: status %d, nonce %q, %s..%s", r.Status, ocspnonce.OfResponse(r.TBSResponseData), r.ThisUpdate, r.NextUpdate)
	}
	cases := []struct {
		answer nca.OCSPAnswer
		ok     func(r *ocsp.Response) bool
	}{
		{nca.OCSPUnknown, func(r *ocsp.Response) bool { return r.Status == ocsp.Unknown }},
		{nca.OCSPStale, func(r *ocsp.Response) bool { return r.Status == ocsp.Good && r.NextUpdate.Before(now) }},
		{nca.OCSPWrongNonce, func(r *ocsp.Response) bool {
			got := ocspnonce.OfResponse(r.TBSResponseData)
			return got != nil && !bytes.Equal(got, nonce)
		}},
		{nca.OCSPNoNonce, func(r *ocsp.Response) bool { return ocspnonce.OfResponse(r.TBSResponseData) == nil }},
	}
	for _, c := range cases {
		a.SetOCSPAnswer(id.Certificate, c.answer)
		if r := answer(); !c.ok(r) {
			t.Errorf("answer %d: status %d, nonce %q, %s..%s", c.answer, r.Status, ocspnonce.OfResponse(r.TBSResponseData), r.ThisUpdate, r.NextUpdate)
		}
	}
	if _, err := a.OCSPResponse(big.NewInt(7), nil); err != nil {
		t.Fatal(err)
	}
}
