package gost_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/shepconf/shepconf/internal/gost"
)

// BenchmarkSign compares GOST R 34.10-2001 on CryptoPro-A with ECDSA P-256
// from the standard library, on the same machine in the same run.
func BenchmarkSign(b *testing.B) {
	digest := make([]byte, 32)
	rand.Read(digest)
	b.Run("GOST-CryptoPro-A", func(b *testing.B) {
		priv, err := gost.GenerateKey(gost.CurveCryptoProA(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := priv.Sign(rand.Reader, digest, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ECDSA-P256", func(b *testing.B) {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := priv.Sign(rand.Reader, digest, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	digest := make([]byte, 32)
	rand.Read(digest)
	b.Run("GOST-CryptoPro-A", func(b *testing.B) {
		priv, err := gost.GenerateKey(gost.CurveCryptoProA(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		sig, err := priv.Sign(rand.Reader, digest, nil)
		if err != nil {
			b.Fatal(err)
		}
		pub := &priv.PublicKey
		b.ReportAllocs()
		for b.Loop() {
			if !gost.Verify(pub, digest, sig) {
				b.Fatal("does not verify")
			}
		}
	})
	b.Run("ECDSA-P256", func(b *testing.B) {
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		sig, err := ecdsa.SignASN1(rand.Reader, priv, digest)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if !ecdsa.VerifyASN1(&priv.PublicKey, digest, sig) {
				b.Fatal("does not verify")
			}
		}
	})
}
