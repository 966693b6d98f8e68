package xsig_test

import (
	"testing"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
)

// FuzzVerify: the verifier never panics, never accepts without a signer certificate, and every
// refusal is a classified problem.
func FuzzVerify(f *testing.F) {
	p := newPKI(f)
	id := p.system(f, pki.ECDSAP256)
	f.Add(sign(f, message(f), id))
	f.Add(sign(f, message(f), id, xsig.WithBinarySecurityToken(), xsig.WithTimestamp(60e9)))
	f.Add(sign(f, message(f), id, xsig.WithKeyReference(xsig.X509DataRef), xsig.WithPlainID()))
	f.Add(sign(f, message(f), id, xsig.WithKeyReference(xsig.IssuerSerialRef)))
	f.Add(sign(f, message(f), p.system(f, pki.RSA2048), xsig.WithSHA1()))
	f.Add(message(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := xsig.Verify(b, id.Certificate)
		if err == nil && (s == nil || s.Certificate == nil || s.BodyID == "") {
			t.Fatalf("accepted without a signer or a Body: %+v", s)
		}
		if err != nil && xsig.ProblemOf(err) == "" {
			t.Fatalf("unclassified refusal: %v", err)
		}
	})
}
