package xsig_test

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
)

// envelope4K is a synchronous request of about 4 KiB, the size the overhead target is set for.
func envelope4K(b *testing.B) []byte {
	var m envelope.SendMessage
	m.Request.RequestInfo = envelope.SyncMessageInfo{MessageID: "m1", ServiceID: "S1", MessageDate: envelope.Now(),
		Sender: envelope.SenderInfo{SenderID: "IS-A", Password: "p"}}
	m.Request.RequestData = envelope.StringData("<person><iin>880101300123</iin><note>" + strings.Repeat("x", 3400) + "</note></person>")
	doc, err := envelope.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

// The XML work (parse, canonicalise, digest, serialise) should add under half of the bare
// private-key operation: compare BenchmarkSign/* with BenchmarkBareKeyOperation/*.
func BenchmarkSign(b *testing.B) {
	p := newPKI(b)
	for _, k := range []pki.KeyType{pki.RSA2048, pki.ECDSAP256, pki.GOST2004} {
		id := p.system(b, k)
		doc := envelope4K(b)
		b.Run(k.String(), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := xsig.Sign(doc, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	p := newPKI(b)
	for _, k := range []pki.KeyType{pki.RSA2048, pki.ECDSAP256, pki.GOST2004} {
		id := p.system(b, k)
		signed, err := xsig.Sign(envelope4K(b), id)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(k.String(), func(b *testing.B) {
			b.SetBytes(int64(len(signed)))
			for b.Loop() {
				if _, err := xsig.Verify(signed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBareKeyOperation(b *testing.B) {
	p := newPKI(b)
	h := sha256.Sum256([]byte("signed info"))
	for _, k := range []pki.KeyType{pki.RSA2048, pki.ECDSAP256, pki.GOST2004} {
		id := p.system(b, k)
		b.Run("sign/"+k.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := id.Key.Sign(rand.Reader, h[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
