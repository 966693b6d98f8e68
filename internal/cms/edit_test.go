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
