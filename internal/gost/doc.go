// Package gost implements the GOST algorithms of the Kazakh national CA (NCA)
// signatures that SHEP envelopes carry: GOST 28147-89 (the block function
// only, as the hash needs it), GOST R 34.11-94 = GOST 34.311-95 (hash) and
// GOST R 34.10-2001 = GOST 34.310-2004 (signature).
//
// It is written here because no maintained Go module for these algorithms
// is available from the module proxy.
//
// # Hash (GOST R 34.11-94, RFC 5831)
//
// NewHash(s) is the hash with the 28147-89 substitution box s and the zero
// starting value; two parameter sets are provided:
//
//   - SBoxTest: id-GostR3411-94-TestParamSet (RFC 5831 §7.1, RFC 4357 §11.2).
//   - SBoxCryptoPro: id-GostR3411-94-CryptoProParamSet (RFC 4357 §11.2).
//
// New and Sum use SBoxTest: the NCA's hash parameters
// 1.2.398.3.10.1.3.1.1.0 are the test parameter set. That is proved on the
// NCA-signed sample envelopes of SHEP (TestRealSampleDigests): the
// DigestValue of their exclusively canonicalised SOAP Body is the SBoxTest
// digest, not the CryptoPro one. So `openssl dgst -md_gost94`, which uses
// the CryptoPro set, does not reproduce NCA digests.
//
// Byte order: message bytes enter least significant first (RFC 5831
// convention), and the 32-byte digest is H as computed, least significant
// byte first, exactly as XMLDSig DigestValue (xmldsig-more#gost34311)
// carries it in the NCA samples. RFC 5831 §7.3 prints H as an integer,
// most significant byte first, i.e. reversed: the RFC's 32-byte example
// H = FAFF37A6…66C4B1 is the digest b1c466d3…37fffa here.
//
// The empty message is hashed without a padding block, as OpenSSL's gost
// engine and the published vectors do.
//
// # Signature (GOST R 34.10-2001, RFC 5832)
//
// The parameter sets are id-GostR3410-2001-TestParamSet (RFC 5832 §7.1, for
// the standard's worked example only) and CryptoPro-A, -B, -C (RFC 4357
// §11.4). CurveByOID also knows the aliases: XchA = CryptoPro-A, XchB =
// CryptoPro-C, and the NCA's curve 1.2.398.3.10.1.1.1.1.1 = CryptoPro-A (the
// sample certificates' keys lie on it and their signatures verify there).
// Every set has prime order, which curve_test.go proves from the constants.
//
// Encodings, as the NCA uses them: a public key is 64 bytes, X||Y, each
// little-endian (RFC 4491 §2.3.2); a private key is d, 32 bytes
// little-endian; the digest handed to Sign and Verify is the 32-byte hash
// exactly as New() outputs it, read as a little-endian integer (RFC 4491
// §2.2.2). The signature is r||s, each 32 bytes little-endian, which is
// RFC 4491 §2.2.2's s||r big-endian with all 64 bytes reversed. The real
// gateway's NCA-signed envelopes decide this: of every order of r and s, byte
// order of each half and reading of the digest, only this layout verifies
// their SignatureValue over the exclusive C14N of ds:SignedInfo
// (TestRealSampleEncoding, TestRealSampleSignatures).
//
// Signing is constant-time in the private key and the nonce: field and
// scalar arithmetic are Montgomery multiplication (CIOS) over four 64-bit
// limbs with masked reductions (field.go), points are projective with the
// complete addition of Renes, Costello and Batina (2016, Algorithm 1; any a,
// as the test curve has a = 7), k*G sums one entry per 4-bit digit of a
// precomputed table of the base point chosen by a masked scan, and inverses
// are Fermat powers. Verification handles public data only; it refuses r or
// s outside [1, q-1] and keys off the curve.
package gost
