package esia

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
)

// TimestampLayout is how ESIA writes a request's timestamp ("2024.03.05 14:07:09 +0000", as
// go-api-epgu's esia/aas sends it).
const TimestampLayout = "2006.01.02 15:04:05 -0700"

// Timestamp writes t in ESIA's layout.
func Timestamp(t time.Time) string { return t.Format(TimestampLayout) }

// ClientSecret signs the concatenation of parts (no separator) with id as a detached CMS
// signature and returns it base64url-encoded, as ESIA's client_secret: parts are client_id, scope,
// timestamp, state, redirect_uri, and the code on the code exchange (go-api-epgu esia/aas,
// ESIA-OAUTH). The simulator verifies RSA and ECDSA signatures; real ESIA wants GOST.
func ClientSecret(id *pki.Identity, parts ...string) (string, error) {
	sig, err := cms.SignDetached(id, []byte(strings.Join(parts, "")))
	if err != nil {
		return "", fmt.Errorf("esia: client_secret: %w", err)
	}
	return encodeSecret(sig), nil
}

// encodeSecret writes a signature as client_secret and the API key's signature are sent: base64url
// with padding (go-api-epgu); ESIA's readers and this simulator also take it unpadded (yellow444).
func encodeSecret(sig []byte) string { return base64.URLEncoding.EncodeToString(sig) }

// CertificateHash is what the simulator takes as client_certificate_hash: the hex SHA-256 of the
// certificate's DER. Real ESIA takes the GOST R 34.11-2012 hash (go-api-epgu: cpverify -mk -alg
// GR3411_2012_256), which needs GOST this simulator does not implement.
func CertificateHash(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// signed is a signature a request carries: in parameter field (client_secret, or Б.12's
// signature), over data, which what names for the fix, under clause rule; certHash is
// client_certificate_hash when sent.
type signed struct {
	rule, field string
	secret      string
	data        []byte
	what        string
	certHash    string
}

// checkSecret verifies that s is a detached signature over its data by one of sys's registered
// certificates, and that certHash (when sent) names that certificate. The signer must be registered
// for the system before anything else is judged (ESIA-007002: ESIA holds no such certificate for
// the system): an unregistered certificate is that fault whatever CA issued it, while a registered
// one that does not chain or verify is ESIA-007053.
func (e *ESIA) checkSecret(sys *System, s signed) *refusal {
	bad := malformedSignature(s.field)
	sig, err := cms.Decode(s.secret)
	if err != nil {
		r := refuse(bad, s.rule, s.field, msg.F("the base64url of a detached CMS signature"), msg.F("text that is not base64: %v", err),
			msg.F("send base64url(DER of the detached signature)"))
		r.detail = s.field + " is not base64url"
		return r
	}
	if p7, err := pkcs7.Parse(sig); err == nil { // what does not parse is judged by VerifyDetached
		if signer := p7.GetOnlySigner(); signer != nil && !registered(sys, signer) {
			return unregistered(sys, s, signer)
		}
		if len(p7.Content) > 0 {
			r := refuse(bad, s.rule, s.field, msg.F("a detached signature (the signed text left out, as openssl cms -sign does by default)"),
				msg.F("an attached signature carrying %d bytes of content", len(p7.Content)),
				msg.F("sign without -nodetach (or with the detached flag of the crypto provider) and send only the signature"))
			r.detail = s.field + " carries the signed text: a detached signature is expected"
			return r
		}
	}
	roots, intermediates := e.trust()
	v := cms.Verifier{Roots: roots, Intermediates: intermediates, Now: e.clock.Now}
	got, err := v.VerifyDetached(sig, s.data)
	if err != nil {
		var ce *cms.Error
		if errors.As(err, &ce) && ce.Problem == cms.NotSupported {
			return notSupported(s.rule, s.field, ce.Detail)
		}
		r := refuse(bad, s.rule, s.field,
			msg.F("a valid detached signature over %q by a certificate registered for %s", string(s.data), sys.Mnemonic),
			msg.Of(err), msg.F("sign exactly %s, detached, with the system's registered certificate", s.what))
		if errors.As(err, &ce) {
			r.detail = s.field + ": " + string(ce.Problem)
		}
		return r
	}
	if !registered(sys, got.Signer) { // a signature pkcs7.Parse could not read but VerifyDetached could
		return unregistered(sys, s, got.Signer)
	}
	if s.certHash != "" && !strings.EqualFold(s.certHash, CertificateHash(got.Signer)) {
		return refuse(ESIA007002, s.rule, "client_certificate_hash",
			msg.F("the hash of the signing certificate %s", CertificateHash(got.Signer)),
			msg.Raw(s.certHash), msg.F("send the hash of the certificate that signed %s", s.field))
	}
	return nil
}

// unregistered refuses a signature by a certificate not registered for sys (ESIA-007002).
func unregistered(sys *System, s signed, c *x509.Certificate) *refusal {
	r := refuse(ESIA007002, s.rule, s.field,
		msg.F("a signature by a certificate registered for %s", sys.Mnemonic),
		msg.F("signed by %q (serial %s, issued by %q), not registered for %s", c.Subject.CommonName, c.SerialNumber.Text(16), c.Issuer.CommonName, sys.Mnemonic),
		msg.F("sign with the certificate uploaded for this mnemonic on the technological portal, or upload this one"))
	r.detail = s.field + " is signed by a certificate not registered for " + sys.Mnemonic
	return r
}

func registered(sys *System, c *x509.Certificate) bool {
	return slices.ContainsFunc(sys.Certificates, func(r *x509.Certificate) bool { return bytes.Equal(r.Raw, c.Raw) })
}
