package esia

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/cms"
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

// checkSecret verifies that secret is a detached signature over data by one of sys's registered
// certificates, and that certHash (when sent) names that certificate. ruleID is the clause the
// request falls under.
func (e *ESIA) checkSecret(sys *System, secret, certHash string, data []byte, ruleID, field string) *refusal {
	sig, err := cms.Decode(secret)
	if err != nil {
		return refuse(ESIA007053, ruleID, field, "the base64url of a detached CMS signature", "text that is not base64: "+err.Error(),
			"send base64url(DER of the detached signature)")
	}
	roots, intermediates := e.trust()
	v := cms.Verifier{Roots: roots, Intermediates: intermediates, Now: e.clock.Now}
	got, err := v.VerifyDetached(sig, data)
	if err != nil {
		var ce *cms.Error
		if errors.As(err, &ce) && ce.Problem == cms.NotSupported {
			return notSupported(ruleID, field, ce.Detail)
		}
		return refuse(ESIA007053, ruleID, field,
			fmt.Sprintf("a valid detached signature over %q by a certificate registered for %s", data, sys.Mnemonic),
			err.Error(), "sign exactly the concatenated parameters, detached, with the system's registered certificate")
	}
	if !registered(sys, got.Signer) {
		return refuse(ESIA007002, ruleID, field,
			"a signature by a certificate registered for "+sys.Mnemonic,
			fmt.Sprintf("signed by %q (serial %s), not registered for %s", got.Signer.Subject.CommonName, got.Signer.SerialNumber.Text(16), sys.Mnemonic),
			"sign with the certificate uploaded for this mnemonic on the technological portal, or upload this one")
	}
	if certHash != "" && !strings.EqualFold(certHash, CertificateHash(got.Signer)) {
		return refuse(ESIA007002, ruleID, "client_certificate_hash",
			"the hash of the signing certificate "+CertificateHash(got.Signer),
			certHash, "send the hash of the certificate that signed client_secret")
	}
	return nil
}

func registered(sys *System, c *x509.Certificate) bool {
	for _, r := range sys.Certificates {
		if bytes.Equal(r.Raw, c.Raw) {
			return true
		}
	}
	return false
}
