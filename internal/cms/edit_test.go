package cms_test

import (
	"bytes"
	"testing"

	"github.com/digitorus/pkcs7"

	"github.com/shepconf/shepconf/internal/pki"
)

// The DER of two OIDs of equal length: ecdsa-with-SHA256 (1.2.840.10045.4.3.2) and GOST R 34.10-2012
// with GOST R 34.11-2012 256 bit (1.2.643.7.1.1.3.2). Swapping one for the other in a real signature
// gives a signature that claims the GOST algorithm, as a CryptoPro signature does.
var (
	ecdsaWithSHA256 = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}
	gost2012Sig256  = []byte{0x06, 0x08, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x03, 0x02}
)

// gostSignatureAlgorithm rewrites the SignerInfo's signature algorithm (the last ecdsa-with-SHA256
// in the DER: the certificates come before the signer infos) to the GOST one.
func gostSignatureAlgorithm(t *testing.T, sig []byte) []byte {
	t.Helper()
	i := bytes.LastIndex(sig, ecdsaWithSHA256)
	if i < 0 {
		t.Fatal("the signature has no ecdsa-with-SHA256 identifier to rewrite")
	}
	out := bytes.Clone(sig)
	copy(out[i:], gost2012Sig256)
	return out
}

// SHA-256 (2.16.840.1.101.3.4.2.1) and the Belarusian belt-hash of STB 34.101.31
// (1.2.112.0.2.0.34.101.31.81) are OIDs of equal length: swapping the digest algorithm of the
// SignerInfo gives a signature that claims the STB algorithm, as an Avest signature does.
var (
	sha256OID   = []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}
	beltHashOID = []byte{0x06, 0x09, 0x2a, 0x70, 0x00, 0x02, 0x00, 0x22, 0x65, 0x1f, 0x51}
)

// stbDigestAlgorithm rewrites the SignerInfo's digest algorithm (the last SHA-256 identifier) to
// belt-hash.
func stbDigestAlgorithm(t *testing.T, sig []byte) []byte {
	t.Helper()
	i := bytes.LastIndex(sig, sha256OID)
	if i < 0 {
		t.Fatal("the signature has no SHA-256 identifier to rewrite")
	}
	out := bytes.Clone(sig)
	copy(out[i:], beltHashOID)
	return out
}

func flipLastByte(b []byte) []byte {
	out := bytes.Clone(b)
	out[len(out)-1] ^= 0x01
	return out
}

// attachedSignature is a signature that carries its content, made with pkcs7 directly.
func attachedSignature(t *testing.T, id *pki.Identity, data []byte) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(id.Certificate, id.Key, id.Chain, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}
