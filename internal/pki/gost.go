package pki

// GOST 34.310-2004 keys and certificates as the national CA (NCA) issues them. crypto/x509 knows no
// GOST algorithm: it parses such a certificate (PublicKey nil, SignatureAlgorithm unknown) but can
// neither read its key, check its signature nor write one. This file does those three things over
// the DER, and leaves everything else (names, extensions, serials) to crypto/x509.
//
// The encodings are RFC 4491's (GOST R 34.10-2001 in PKIX), with the OIDs the NCA writes, as its GOST
// test certificate shows (the KeyIdentifier of the upstream SHEP sample request.xml):
//
//	SubjectPublicKeyInfo  { { 1.2.398.3.10.1.1.1.1, { 1.2.398.3.10.1.1.1.1.1, 1.2.398.3.10.1.3.1.1.0 } },
//	                        BIT STRING { OCTET STRING (64: X||Y, each little-endian) } }
//	signatureAlgorithm    { 1.2.398.3.10.1.1.1.2, NULL }   (GOST 34.310-2004 with GOST 34.311-95)
//	signatureValue        BIT STRING (64 bytes, as internal/gost signs)
//
// The Russian OIDs of RFC 4491 (same encodings) are read too; the Kazakh ones are written.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/shepconf/shepconf/internal/gost"
)

var (
	// The NCA's (Kazakh) OIDs.
	oidGOSTKeyKZ       = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 1}
	oidGOSTSignatureKZ = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 2}
	oidGOSTDigestKZ    = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 1, 1, 0}
	// RFC 4491 §2.3.2 id-GostR3410-2001, §2.2.2 id-GostR3411-94-with-GostR3410-2001, and RFC 4357
	// §10.2 id-GostR3411-94-CryptoProParamSet.
	oidGOSTKeyRU       = asn1.ObjectIdentifier{1, 2, 643, 2, 2, 19}
	oidGOSTSignatureRU = asn1.ObjectIdentifier{1, 2, 643, 2, 2, 3}
	oidGOSTDigestRU    = asn1.ObjectIdentifier{1, 2, 643, 2, 2, 30, 1}
)

// TLSKeyType is the key type of a TLS server or client certificate when the certificates of a run
// are of type k: k itself, except GOST2004, which crypto/tls cannot present (the NCA's GOST TLS is
// served by the national crypto provider's own TLS stack, which this tool does not have), so its
// TLS certificates are ECDSA P-256. The same holds for JOSE (internal/jose, go-jose: no GOST
// algorithm), so a certificate that seals or is sealed to (A6-S3) is of this type too.
func TLSKeyType(k KeyType) KeyType {
	if k == GOST2004 {
		return ECDSAP256
	}
	return k
}

// HasGOSTKey reports whether the identity's key is GOST 34.310-2004: one that signs transport
// signatures but that neither crypto/tls nor JOSE can use (see TLSKeyType).
func (id *Identity) HasGOSTKey() bool {
	_, ok := id.Key.(*gost.PrivateKey)
	return ok
}

// gostKey is a GOST public key with the hash its parameters name (RFC 4491 §2.3.1: the
// digestParamSet of the key is the one its signatures are computed with).
type gostKey struct {
	pub     *gost.PublicKey
	newHash func() hash.Hash
}

// errNotGOST says an algorithm identifier is not a GOST key's: the caller hands it to crypto/x509.
var errNotGOST = errors.New("not a GOST 34.310 key")

// parseGOSTAlgorithm reads a public key AlgorithmIdentifier (in a SubjectPublicKeyInfo or a
// PrivateKeyInfo): RFC 4491 §2.3.1 GostR3410-2001-PublicKeyParameters { publicKeyParamSet,
// digestParamSet, encryptionParamSet OPTIONAL }.
func parseGOSTAlgorithm(alg cryptobyte.String) (*gost.Curve, func() hash.Hash, error) {
	var oid, curveOID, digestOID asn1.ObjectIdentifier
	var params cryptobyte.String
	if !alg.ReadASN1ObjectIdentifier(&oid) {
		return nil, nil, errors.New("public key algorithm: no OID")
	}
	if !oid.Equal(oidGOSTKeyKZ) && !oid.Equal(oidGOSTKeyRU) {
		return nil, nil, fmt.Errorf("public key algorithm %s: %w", oid, errNotGOST)
	}
	if !alg.ReadASN1(&params, cbasn1.SEQUENCE) || !params.ReadASN1ObjectIdentifier(&curveOID) || !params.ReadASN1ObjectIdentifier(&digestOID) {
		return nil, nil, fmt.Errorf("GOST public key %s: parameters are not SEQUENCE { curve OID, digest OID } (RFC 4491 §2.3.1)", oid)
	}
	curve, ok := gost.CurveByOID(curveOID)
	if !ok {
		return nil, nil, fmt.Errorf("GOST public key %s: curve %s is not known (the NCA's is %s, CryptoPro-A)", oid, curveOID, gost.OIDKazakhCurveA)
	}
	switch {
	case digestOID.Equal(oidGOSTDigestKZ):
		return curve, gost.New, nil
	case digestOID.Equal(oidGOSTDigestRU):
		return curve, func() hash.Hash { return gost.NewHash(gost.SBoxCryptoPro) }, nil
	}
	return nil, nil, fmt.Errorf("GOST public key %s: digest parameters %s are not known (the NCA's are %s)", oid, digestOID, oidGOSTDigestKZ)
}

// parseGOSTPublicKey reads a DER SubjectPublicKeyInfo holding a GOST key: RFC 4491 §2.3.2, the BIT
// STRING holds an OCTET STRING of 64 bytes, X then Y, each little-endian.
func parseGOSTPublicKey(spki []byte) (*gostKey, error) {
	s := cryptobyte.String(spki)
	var info, alg cryptobyte.String
	var bits []byte
	if !s.ReadASN1(&info, cbasn1.SEQUENCE) || !s.Empty() || !info.ReadASN1(&alg, cbasn1.SEQUENCE) {
		return nil, errors.New("SubjectPublicKeyInfo is not a SEQUENCE { AlgorithmIdentifier, BIT STRING }")
	}
	curve, newHash, err := parseGOSTAlgorithm(alg)
	if err != nil {
		return nil, err
	}
	if !info.ReadASN1BitStringAsBytes(&bits) || !info.Empty() {
		return nil, errors.New("GOST public key: subjectPublicKey is not a BIT STRING of whole bytes")
	}
	inner := cryptobyte.String(bits)
	var raw cryptobyte.String
	if !inner.ReadASN1(&raw, cbasn1.OCTET_STRING) || !inner.Empty() || len(raw) != 64 {
		return nil, errors.New("GOST public key: subjectPublicKey does not hold an OCTET STRING of 64 bytes (RFC 4491 §2.3.2)")
	}
	pub, err := gost.NewPublicKey(curve, raw)
	if err != nil {
		return nil, fmt.Errorf("GOST public key: %w", err)
	}
	return &gostKey{pub: pub, newHash: newHash}, nil
}

// PublicKeyOf is the public key of c: the one crypto/x509 parsed, or else a *gost.PublicKey read
// from the certificate's SubjectPublicKeyInfo.
func PublicKeyOf(c *x509.Certificate) (crypto.PublicKey, error) {
	if c.PublicKey != nil {
		return c.PublicKey, nil
	}
	k, err := parseGOSTPublicKey(c.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certName(c), err)
	}
	return k.pub, nil
}

// isCurveA reports whether c is CryptoPro-A, the NCA's curve, whatever OID it was found under.
func isCurveA(c *gost.Curve) bool {
	a := gost.CurveCryptoProA()
	return c != nil && c.P.Cmp(a.P) == 0 && c.A.Cmp(a.A) == 0 && c.B.Cmp(a.B) == 0 &&
		c.Q.Cmp(a.Q) == 0 && c.X.Cmp(a.X) == 0 && c.Y.Cmp(a.Y) == 0
}

// gostKeyAlgorithm is the AlgorithmIdentifier of a GOST key as the NCA writes it, in a certificate
// and (the same) in PKCS#8.
func gostKeyAlgorithm(b *cryptobyte.Builder) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidGOSTKeyKZ)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(gost.OIDKazakhCurveA)
			b.AddASN1ObjectIdentifier(oidGOSTDigestKZ)
		})
	})
}

func checkCurveA(c *gost.Curve) error {
	if !isCurveA(c) {
		return fmt.Errorf("GOST key on curve %s: the NCA's certificates carry CryptoPro-A (%s) only; make the key with pki.NewKey(pki.GOST2004)", c.Name, gost.OIDKazakhCurveA)
	}
	return nil
}

// marshalGOSTPublicKey is the SubjectPublicKeyInfo of pub with the NCA's OIDs.
func marshalGOSTPublicKey(pub *gost.PublicKey) ([]byte, error) {
	if err := checkCurveA(pub.Curve); err != nil {
		return nil, err
	}
	var key cryptobyte.Builder
	key.AddASN1OctetString(pub.Raw())
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		gostKeyAlgorithm(b)
		b.AddASN1BitString(key.BytesOrPanic())
	})
	return b.Bytes()
}

// gostSignatureAlgorithm is the certificate signature AlgorithmIdentifier the NCA writes, with the
// NULL parameters its test certificate carries (RFC 4491 §2.2.2 has them absent for the Russian OID;
// both are read).
func gostSignatureAlgorithm() []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidGOSTSignatureKZ)
		b.AddASN1NULL()
	})
	return b.BytesOrPanic()
}

// subjectKeyID is the key identifier of a GOST key: SHA-1 over the whole DER SubjectPublicKeyInfo,
// which is how the NCA computes it (its test certificate's SubjectKeyIdentifier is exactly that,
// not RFC 5280 §4.2.1.2 method 1 over the key bits).
func subjectKeyID(spki []byte) []byte {
	h := sha1.Sum(spki)
	return h[:]
}

// signatureAlgorithmOf reads the outer signatureAlgorithm OID of a DER certificate (crypto/x509
// reports an unknown one as UnknownSignatureAlgorithm; its parser has already checked that the
// TBSCertificate's copy is the same).
func signatureAlgorithmOf(der []byte) (asn1.ObjectIdentifier, error) {
	s := cryptobyte.String(der)
	var cert, alg cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.SkipASN1(cbasn1.SEQUENCE) ||
		!cert.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) {
		return nil, errors.New("certificate: no signatureAlgorithm")
	}
	return oid, nil
}

func isGOSTSignature(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(oidGOSTSignatureKZ) || oid.Equal(oidGOSTSignatureRU)
}

// CheckSignatureFrom checks that issuer signed c, as c.CheckSignatureFrom does, and also when the
// signature is GOST 34.310-2004 (the NCA's GOST CAs): then issuer must be a CA allowed to sign
// certificates (RFC 5280 §4.2.1.9, §4.2.1.3) and its GOST key must verify the signature over the
// GOST 34.311 hash of the TBSCertificate, with the hash parameters of that key. Errors name both
// certificates; crypto/x509's are wrapped.
func CheckSignatureFrom(c, issuer *x509.Certificate) error {
	oid, err := signatureAlgorithmOf(c.Raw)
	if err != nil {
		return err
	}
	if !isGOSTSignature(oid) {
		if err := c.CheckSignatureFrom(issuer); err != nil {
			return fmt.Errorf("%s, issued by %s: %w", certName(c), certName(issuer), err)
		}
		return nil
	}
	if issuer.Version == 3 && !issuer.BasicConstraintsValid || issuer.BasicConstraintsValid && !issuer.IsCA {
		return fmt.Errorf("%s is not a CA (basic constraints, RFC 5280 §4.2.1.9), so it cannot have issued %s", certName(issuer), certName(c))
	}
	if issuer.KeyUsage != 0 && issuer.KeyUsage&x509.KeyUsageCertSign == 0 {
		return fmt.Errorf("%s may not sign certificates (key usage lacks keyCertSign, RFC 5280 §4.2.1.3), so it cannot have issued %s", certName(issuer), certName(c))
	}
	k, err := parseGOSTPublicKey(issuer.RawSubjectPublicKeyInfo)
	if err != nil {
		return fmt.Errorf("%s is GOST-signed (%s) but the key of %s is not a GOST key: %w", certName(c), oid, certName(issuer), err)
	}
	if len(c.Signature) != 64 {
		return fmt.Errorf("%s: a GOST 34.310 signature is 64 bytes, this one %d", certName(c), len(c.Signature))
	}
	h := k.newHash()
	h.Write(c.RawTBSCertificate)
	if !gost.Verify(k.pub, h.Sum(nil), c.Signature) {
		return fmt.Errorf("%s: the GOST 34.310 signature does not verify with the key of %s", certName(c), certName(issuer))
	}
	return nil
}

// CreateCertificate is x509.CreateCertificate(rand.Reader, template, parent, pub, signer) that also
// takes a GOST 34.310 key as pub (a GOST-keyed certificate) or as signer (a GOST-signed one).
// crypto/x509 encodes the certificate with a throwaway ECDSA key standing in for the GOST one(s);
// the SubjectPublicKeyInfo and the signature AlgorithmIdentifier are then replaced with the NCA's
// GOST ones and the TBSCertificate is signed again with signer. A GOST-keyed certificate gets the
// NCA's SubjectKeyId (see subjectKeyID) unless template has one, so that the AuthorityKeyId of what
// it issues names it.
func CreateCertificate(template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) ([]byte, error) {
	gostPub, keyGOST := pub.(*gost.PublicKey)
	_, signGOST := signer.Public().(*gost.PublicKey)
	if !keyGOST && !signGOST {
		return x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	}
	stand, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := *template
	if parent == template {
		parent = &tmpl
	}
	var spki, sigAlg []byte
	x509Pub, x509Signer := pub, signer
	if keyGOST {
		if spki, err = marshalGOSTPublicKey(gostPub); err != nil {
			return nil, err
		}
		if len(tmpl.SubjectKeyId) == 0 {
			tmpl.SubjectKeyId = subjectKeyID(spki)
		}
		x509Pub = stand.Public()
	}
	if signGOST {
		signerPub := signer.Public().(*gost.PublicKey)
		if err := checkCurveA(signerPub.Curve); err != nil {
			return nil, err
		}
		// crypto/x509 checks that the signer's key is the parent's; it cannot read a GOST parent's.
		if parent != &tmpl && len(parent.RawSubjectPublicKeyInfo) > 0 {
			if k, err := PublicKeyOf(parent); err != nil || !signerPub.Equal(k) {
				return nil, fmt.Errorf("the GOST signer's key is not the key of the issuer, %s", certName(parent))
			}
		}
		sigAlg, x509Signer = gostSignatureAlgorithm(), stand
		tmpl.SignatureAlgorithm = x509.UnknownSignatureAlgorithm
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, parent, x509Pub, x509Signer)
	if err != nil {
		return nil, err
	}
	drafted, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	var opts crypto.SignerOpts = crypto.Hash(0)
	if !signGOST {
		// The real signer is RSA or ECDSA: x509 chose its algorithm and identifier already.
		if sigAlg, err = outerAlgorithm(der); err != nil {
			return nil, err
		}
		if opts, err = signerOpts(drafted.SignatureAlgorithm); err != nil {
			return nil, err
		}
	}
	tbs, err := rebuildTBS(drafted.RawTBSCertificate, sigAlg, spki)
	if err != nil {
		return nil, err
	}
	digest := tbs
	if signGOST {
		sum := gost.Sum(tbs)
		digest = sum[:]
	} else if h := opts.HashFunc(); h != 0 {
		hh := h.New()
		hh.Write(tbs)
		digest = hh.Sum(nil)
	}
	sig, err := signer.Sign(rand.Reader, digest, opts)
	if err != nil {
		return nil, fmt.Errorf("sign the certificate of %s: %w", tmpl.Subject.CommonName, err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddBytes(sigAlg)
		b.AddASN1BitString(sig)
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	if _, err := x509.ParseCertificate(out); err != nil {
		return nil, fmt.Errorf("the GOST certificate of %s does not parse: %w", tmpl.Subject.CommonName, err)
	}
	return out, nil
}

// outerAlgorithm is the DER signatureAlgorithm of a DER certificate.
func outerAlgorithm(der []byte) ([]byte, error) {
	s := cryptobyte.String(der)
	var cert, alg cryptobyte.String
	if !s.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.SkipASN1(cbasn1.SEQUENCE) || !cert.ReadASN1Element(&alg, cbasn1.SEQUENCE) {
		return nil, errors.New("certificate: no signatureAlgorithm")
	}
	return alg, nil
}

// signerOpts is how an RSA, ECDSA or Ed25519 signer signs for the algorithm crypto/x509 chose.
func signerOpts(alg x509.SignatureAlgorithm) (crypto.SignerOpts, error) {
	switch alg {
	case x509.SHA256WithRSA, x509.ECDSAWithSHA256:
		return crypto.SHA256, nil
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384:
		return crypto.SHA384, nil
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512:
		return crypto.SHA512, nil
	case x509.SHA256WithRSAPSS:
		return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}, nil
	case x509.SHA384WithRSAPSS:
		return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA384}, nil
	case x509.SHA512WithRSAPSS:
		return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA512}, nil
	case x509.PureEd25519:
		return crypto.Hash(0), nil
	}
	return nil, fmt.Errorf("signature algorithm %s: not supported for a GOST-keyed certificate; use SHA-256 or stronger", alg)
}

// rebuildTBS is the DER TBSCertificate (RFC 5280 §4.1) with its signature AlgorithmIdentifier and,
// when spki is not nil, its SubjectPublicKeyInfo replaced.
func rebuildTBS(tbs, sigAlg, spki []byte) ([]byte, error) {
	s := cryptobyte.String(tbs)
	var body, version, serial, alg, issuer, validity, subject, key cryptobyte.String
	versionTag := cbasn1.Tag(0).Constructed().ContextSpecific()
	ok := s.ReadASN1(&body, cbasn1.SEQUENCE) && s.Empty()
	if ok && body.PeekASN1Tag(versionTag) {
		ok = body.ReadASN1Element(&version, versionTag)
	}
	ok = ok && body.ReadASN1Element(&serial, cbasn1.INTEGER) && body.ReadASN1Element(&alg, cbasn1.SEQUENCE) &&
		body.ReadASN1Element(&issuer, cbasn1.SEQUENCE) && body.ReadASN1Element(&validity, cbasn1.SEQUENCE) &&
		body.ReadASN1Element(&subject, cbasn1.SEQUENCE) && body.ReadASN1Element(&key, cbasn1.SEQUENCE)
	if !ok {
		return nil, errors.New("TBSCertificate: not as RFC 5280 §4.1 lays it out")
	}
	if spki != nil {
		key = spki
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, part := range [][]byte{version, serial, sigAlg, issuer, validity, subject, key, body} {
			b.AddBytes(part) // body: what follows, the unique IDs and the extensions
		}
	})
	return b.Bytes()
}

// marshalGOSTPrivateKey is the PKCS#8 PrivateKeyInfo (RFC 5208) of k: version 0, the key's
// AlgorithmIdentifier with its parameters (as in its certificate), and as privateKey an OCTET STRING
// holding the DER OCTET STRING of the 32-byte scalar, little-endian as RFC 4491 §2.3.2 orders the
// public key. RFC 4491 defines no private key encoding; this is the form the OpenSSL GOST engine
// calls its "new format" (gost_ameth.c priv_decode_gost) and reads as such; the wrapping makes the
// content self-describing where the bare 32 bytes are not.
func marshalGOSTPrivateKey(k *gost.PrivateKey) ([]byte, error) {
	if err := checkCurveA(k.Curve); err != nil {
		return nil, err
	}
	var inner cryptobyte.Builder
	inner.AddASN1OctetString(k.Raw())
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(0)
		gostKeyAlgorithm(b)
		b.AddASN1OctetString(inner.BytesOrPanic())
	})
	return b.Bytes()
}

// parseGOSTPrivateKey reads a PKCS#8 PrivateKeyInfo holding a GOST key: privateKey is the wrapped
// OCTET STRING marshalGOSTPrivateKey writes, or the bare 32 little-endian bytes the OpenSSL GOST
// engine writes by default. It returns errNotGOST for another algorithm.
func parseGOSTPrivateKey(der []byte) (*gost.PrivateKey, error) {
	s := cryptobyte.String(der)
	var info, alg, priv cryptobyte.String
	var version int64
	if !s.ReadASN1(&info, cbasn1.SEQUENCE) || !info.ReadASN1Integer(&version) || !info.ReadASN1(&alg, cbasn1.SEQUENCE) {
		return nil, errors.New("PKCS#8: not a PrivateKeyInfo (RFC 5208 §5)")
	}
	curve, _, err := parseGOSTAlgorithm(alg)
	if err != nil {
		return nil, err
	}
	if version != 0 || !info.ReadASN1(&priv, cbasn1.OCTET_STRING) {
		return nil, errors.New("PKCS#8 GOST key: not version 0 with a privateKey OCTET STRING (RFC 5208 §5)")
	}
	raw := []byte(priv)
	if len(raw) != 32 {
		var inner cryptobyte.String
		if !priv.ReadASN1(&inner, cbasn1.OCTET_STRING) || !priv.Empty() || len(inner) != 32 {
			return nil, errors.New("PKCS#8 GOST key: privateKey is neither an OCTET STRING of 32 bytes nor 32 bytes")
		}
		raw = inner
	}
	k, err := gost.NewPrivateKey(curve, raw)
	if err != nil {
		return nil, fmt.Errorf("PKCS#8 GOST key: %w", err)
	}
	return k, nil
}

// VerifyChain builds and checks the path leaf → intermediates → one of roots, for chains that
// crypto/x509's Verify cannot check because a link is GOST-signed. Issuers are found by name (and by
// AuthorityKeyId = SubjectKeyId where both are present); each link must verify (CheckSignatureFrom,
// which also requires the issuer to be a CA allowed to sign certificates), every certificate must be
// valid at now, and no CA may have more CAs below it than its path length allows (RFC 5280
// §4.2.1.9). Extended key usages and name constraints are not checked. It returns the chain, leaf
// first, root last; an error names the certificate and what failed.
func VerifyChain(leaf *x509.Certificate, intermediates, roots []*x509.Certificate, now time.Time) ([]*x509.Certificate, error) {
	if err := validAt(leaf, now); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(roots, leaf.Equal) {
		return []*x509.Certificate{leaf}, nil
	}
	return extendChain([]*x509.Certificate{leaf}, intermediates, roots, now)
}

// maxChain bounds the path; the NCA's are three certificates long.
const maxChain = 8

func extendChain(chain, intermediates, roots []*x509.Certificate, now time.Time) ([]*x509.Certificate, error) {
	c := chain[len(chain)-1]
	if len(chain) >= maxChain {
		return nil, fmt.Errorf("%s: no root within %d certificates of the leaf", certName(c), maxChain)
	}
	var firstErr error
	for _, pool := range []struct {
		certs []*x509.Certificate
		root  bool
	}{{roots, true}, {intermediates, false}} {
		for _, p := range pool.certs {
			if !mayHaveIssued(p, c) || slices.ContainsFunc(chain, p.Equal) {
				continue
			}
			err := checkLink(c, p, len(chain)-1, now)
			if err == nil {
				next := append(slices.Clip(chain), p)
				if pool.root {
					return next, nil
				}
				var out []*x509.Certificate
				if out, err = extendChain(next, intermediates, roots, now); err == nil {
					return out, nil
				}
			}
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%s: its issuer %q is none of the %d intermediate and %d root certificates given", certName(c), c.Issuer.String(), len(intermediates), len(roots))
	}
	return nil, firstErr
}

// mayHaveIssued reports whether p's subject is c's issuer and, when both are present, p's
// SubjectKeyId is c's AuthorityKeyId (RFC 5280 §4.2.1.1).
func mayHaveIssued(p, c *x509.Certificate) bool {
	if !bytes.Equal(p.RawSubject, c.RawIssuer) {
		return false
	}
	return len(c.AuthorityKeyId) == 0 || len(p.SubjectKeyId) == 0 || bytes.Equal(c.AuthorityKeyId, p.SubjectKeyId)
}

// checkLink checks that p issued c, with cas CA certificates between c and the leaf's issuer.
func checkLink(c, p *x509.Certificate, cas int, now time.Time) error {
	if err := CheckSignatureFrom(c, p); err != nil {
		return err
	}
	if err := validAt(p, now); err != nil {
		return err
	}
	if (p.MaxPathLen > 0 || p.MaxPathLenZero) && cas > p.MaxPathLen {
		return fmt.Errorf("%s allows %d CA certificates below it (pathLenConstraint, RFC 5280 §4.2.1.9), the chain has %d", certName(p), p.MaxPathLen, cas)
	}
	return nil
}

func validAt(c *x509.Certificate, now time.Time) error {
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return fmt.Errorf("%s is valid from %s to %s, not at %s", certName(c),
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// certName names a certificate in an error: its subject's common name (else its subject) and serial.
func certName(c *x509.Certificate) string {
	name := c.Subject.CommonName
	if name == "" {
		name = c.Subject.String()
	}
	serial := "?"
	if c.SerialNumber != nil {
		serial = c.SerialNumber.Text(16)
	}
	return fmt.Sprintf("certificate %q (serial %s)", name, serial)
}
