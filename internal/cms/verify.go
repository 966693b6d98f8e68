package cms

import (
	"crypto/x509"
	"errors"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"

	"github.com/shepconf/shepconf/internal/msg"
)

// Verifier checks detached signatures against a trust configuration.
type Verifier struct {
	Roots, Intermediates *x509.CertPool // the signer's chain must verify to Roots (ExtKeyUsageAny)
	TSARoots             *x509.CertPool // nil: Roots
	RequireTimestamp     bool
	Now                  func() time.Time // nil: time.Now
}

// Verified is what a valid signature tells.
type Verified struct {
	Signer    *x509.Certificate
	Timestamp time.Time // zero when none
	TSA       *x509.Certificate
}

// VerifyDetached checks that sig (a detached CMS SignedData, DER or BER) is one signer's valid
// signature over data by a certificate that chains to v.Roots now, and, when it carries a
// signature time-stamp token (or v.RequireTimestamp), that the token is valid, over this
// signature's value and from a TSA trusted by v.TSARoots. Every refusal is an *Error.
func (v Verifier) VerifyDetached(sig, data []byte) (Verified, error) {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	// GOST first: a GOST signature is a legitimate one this simulator cannot judge, which must not
	// be reported as malformed or bad.
	if algo := gostIn(sig); algo != "" {
		return Verified{}, fail(NotSupported, msg.F("the signature uses %s: %s", algo, gostNote))
	}
	if algo := stbIn(sig); algo != "" {
		return Verified{}, fail(NotSupported, msg.F("the signature uses %s: %s", algo, stbNote))
	}
	p7, err := pkcs7.Parse(sig)
	if err != nil {
		return Verified{}, fail(Malformed, msg.F("not a CMS SignedData (DER): %v", err))
	}
	switch n := len(p7.Signers); {
	case n == 0:
		return Verified{}, fail(Malformed, msg.F("the SignedData has no signer"))
	case n > 1:
		return Verified{}, fail(NotSupported, msg.F("the SignedData has %d signers: one signature file holds one signer here", n))
	}
	if len(p7.Content) > 0 {
		return Verified{}, fail(Malformed, msg.F("the signature carries its content (attached, %d bytes): a detached signature (no eContent) is expected", len(p7.Content)))
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return Verified{}, fail(Malformed, msg.F("the signer's certificate is not in the SignedData: include it (and its chain)"))
	}
	p7.Content = data
	at := now()
	// Roots nil: pkcs7 checks the digest and the signature value only; the chain is checked below
	// so that a broken signature and an untrusted signer are told apart.
	if err := p7.VerifyWithOpts(x509.VerifyOptions{CurrentTime: at}); err != nil {
		return Verified{}, classify(err)
	}
	if _, err := signer.Verify(x509.VerifyOptions{
		Roots:         v.Roots,
		Intermediates: chainOf(v.Intermediates, p7.Certificates),
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return Verified{}, fail(Untrusted, msg.F("the signer %q does not chain to a trusted root at %s: %v",
			signer.Subject.CommonName, at.UTC().Format(time.RFC3339), err))
	}
	out := Verified{Signer: signer}
	si := p7.Signers[0]
	var token []byte
	for _, a := range si.UnauthenticatedAttributes {
		if a.Type.Equal(oidSignatureTimeStampToken) {
			token = a.Value.Bytes // the SET's content: the token's ContentInfo
			break
		}
	}
	if token == nil {
		if v.RequireTimestamp {
			return Verified{}, fail(NoTimestamp, msg.F("the signature carries no signature time-stamp token (unsigned attribute id-aa-signatureTimeStampToken %s): request one from the TSA over the signature value (CAdES-T)", oidSignatureTimeStampToken))
		}
		return out, nil
	}
	roots := v.TSARoots
	if roots == nil {
		roots = v.Roots
	}
	ts, tsa, err := verifyToken(token, si.EncryptedDigest, roots, v.Intermediates)
	if err != nil {
		return Verified{}, err
	}
	out.Timestamp, out.TSA = ts.Time, tsa
	return out, nil
}

// classify sorts pkcs7's verification errors into Problems.
func classify(err error) *Error {
	var mismatch *pkcs7.MessageDigestMismatchError
	text := err.Error()
	switch {
	case errors.As(err, &mismatch):
		return fail(BadSignature, msg.F("the data's digest is not the one signed: the signature is over other bytes"))
	case errors.Is(err, x509.ErrUnsupportedAlgorithm), strings.Contains(text, "unsupported"), strings.Contains(text, "not supported"):
		return fail(NotSupported, msg.F("%v (RSA or ECDSA with SHA-256 are verified)", err))
	case strings.Contains(text, "signing time"):
		return fail(Untrusted, msg.Of(err))
	case strings.Contains(text, "attribute"):
		return fail(Malformed, msg.Of(err))
	}
	return fail(BadSignature, msg.F("the signature value does not verify with the signer's key: %v", err))
}
