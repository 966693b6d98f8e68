package xsig

import (
	"crypto"
	"hash"

	"github.com/shepconf/shepconf/internal/gost"
)

// digest is a hash of a DigestMethod, or the one a SignatureMethod signs: a crypto.Hash where the
// standard library has it, GOST 34.311-95 (which it has not) otherwise.
type digest struct {
	std crypto.Hash // 0 for GOST 34.311-95
}

var gost34311 = digest{}

func (d digest) new() hash.Hash {
	if d.std == 0 {
		return gost.New()
	}
	return d.std.New()
}

func (d digest) sha1() bool { return d.std == crypto.SHA1 }

// The accepted signature methods and digest methods, by URI. SHA-1 is accepted with a remark. The
// GOST pair is the real gateway's (its signed samples, NOTES.md 4.1): GOST 34.310-2004 signatures
// over GOST 34.311-95 digests, with the national CA's parameters (internal/gost).
var (
	signatureDigests = map[string]digest{RSASHA256: {crypto.SHA256}, ECDSASHA256: {crypto.SHA256},
		RSASHA1: {crypto.SHA1}, RSASHA1More: {crypto.SHA1}, GOST3410GOST34: gost34311}
	digestMethods = map[string]digest{SHA256: {crypto.SHA256}, SHA1: {crypto.SHA1}, SHA1More: {crypto.SHA1},
		GOST34311: gost34311}
)

// NewDigest is the digest the convention pairs with k's signatures: GOST 34.311-95 for a GOST
// 34.310-2004 key, SHA-256 for RSA and ECDSA.
func NewDigest(k crypto.Signer) hash.Hash {
	if _, ok := k.(*gost.PrivateKey); ok {
		return gost.New()
	}
	return crypto.SHA256.New()
}
