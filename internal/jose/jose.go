// Package jose seals a message for the gateway and opens it there (Appendix 6, scenario 3: the
// sender encrypts and signs, the gateway decrypts and checks the signature). The Rules name no
// method; shepconf uses JOSE, the encryption and signature of JSON messages: the message is signed
// as a JWS in compact form with the signer's certificate chain in "x5c", and the JWS is encrypted as
// a JWE in compact form to the gateway's certificate (nested, sign-then-encrypt, as RFC 7519 section
// 5.2 nests a JWT). The gateway therefore decrypts first and then checks the signature, in the
// order of A6-S3 steps 3 and 4. The certificate checks themselves (IIN/BIN, validity, OCSP, CRL)
// are the transport signature's (internal/xsig) and not repeated here.
package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/shepconf/shepconf/internal/msg"
)

// MediaType is the HTTP Content-Type of a sealed message (JOSE compact serialisation, RFC 7516).
const MediaType = "application/jose"

// Algorithms accepted when opening: anything else is refused as not supported, never tried.
var (
	SignatureAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.RS384, jose.ES384, jose.PS384}
	KeyAlgorithms       = []jose.KeyAlgorithm{jose.RSA_OAEP_256, jose.ECDH_ES_A256KW, jose.ECDH_ES_A128KW, jose.ECDH_ES}
	ContentEncryptions  = []jose.ContentEncryption{jose.A256GCM, jose.A128GCM, jose.A256CBC_HS512, jose.A128CBC_HS256}
)

// Problem is what is wrong with a sealed message.
type Problem string

const (
	NotSealed     Problem = "not a JWE"                 // the body is not an encrypted JOSE object
	WrongKey      Problem = "encrypted for another key" // the JWE names another recipient certificate
	Undecryptable Problem = "cannot be decrypted"       // key unwrap or content authentication failed: wrong key or altered
	Unsupported   Problem = "algorithm not supported"   // alg or enc outside the accepted lists
	Unsigned      Problem = "not signed"                // the decrypted content is not a JWS
	Malformed     Problem = "malformed signature"       // no usable x5c certificate
	Invalid       Problem = "signature invalid"         // the JWS does not verify with its certificate: altered after signing
)

// Text is the problem in words, rendered in a report's language; the Problem itself stays the
// stable code that fault mappings use.
func (p Problem) Text() msg.Text {
	switch p {
	case NotSealed:
		return msg.F("not a JWE")
	case WrongKey:
		return msg.F("encrypted for another key")
	case Undecryptable:
		return msg.F("cannot be decrypted")
	case Unsupported:
		return msg.F("algorithm not supported")
	case Unsigned:
		return msg.F("not signed")
	case Malformed:
		return msg.F("malformed signature")
	case Invalid:
		return msg.F("signature invalid")
	}
	return msg.Raw(string(p))
}

// Error is a failed opening.
type Error struct {
	Problem Problem
	Detail  msg.Text
}

func (e *Error) Error() string { return e.Text().String() }

// Text is the error as a message, rendered in a report's language.
func (e *Error) Text() msg.Text { return msg.F("sealed message %s: %s", e.Problem.Text(), e.Detail) }

func fail(p Problem, detail msg.Text) *Error { return &Error{Problem: p, Detail: detail} }

// ProblemOf returns the problem of an opening error, or "" when err is not one.
func ProblemOf(err error) Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Problem
	}
	return ""
}

// Seal signs payload with signer (whose certificate is chain[0]) and encrypts the result to the
// recipient's certificate: RSA-OAEP-256 for an RSA key, ECDH-ES+A256KW for an EC key; A256GCM.
func Seal(payload []byte, signer crypto.Signer, chain []*x509.Certificate, recipient *x509.Certificate) (string, error) {
	jws, err := Sign(payload, signer, chain)
	if err != nil {
		return "", err
	}
	return Encrypt([]byte(jws), recipient)
}

// Sign makes the compact JWS of payload, carrying chain in "x5c".
func Sign(payload []byte, signer crypto.Signer, chain []*x509.Certificate) (string, error) {
	if len(chain) == 0 {
		return "", msg.Errorf("sign: no certificate")
	}
	alg := jose.ES256
	if _, isRSA := signer.Public().(*rsa.PublicKey); isRSA {
		alg = jose.RS256
	}
	x5c := make([]string, len(chain))
	for i, c := range chain {
		x5c[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	opts := (&jose.SignerOptions{}).WithHeader("x5c", x5c).WithContentType("json")
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: signer}, opts)
	if err != nil {
		return "", msg.Errorf("sign: %w", err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		return "", msg.Errorf("sign: %w", err)
	}
	return obj.CompactSerialize()
}

// Encrypt makes the compact JWE of content for the recipient's certificate. The header names the
// certificate by its SHA-256 thumbprint ("x5t#S256"), so a message sealed for another key is
// recognised as such before any decryption is tried.
func Encrypt(content []byte, recipient *x509.Certificate) (string, error) {
	var alg jose.KeyAlgorithm
	switch recipient.PublicKey.(type) {
	case *rsa.PublicKey:
		alg = jose.RSA_OAEP_256
	case *ecdsa.PublicKey:
		alg = jose.ECDH_ES_A256KW
	default:
		return "", msg.Errorf("encrypt: unsupported key %T of %s", recipient.PublicKey, recipient.Subject.CommonName)
	}
	opts := (&jose.EncrypterOptions{}).WithContentType("JWT").WithHeader("x5t#S256", Thumbprint(recipient))
	e, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: alg, Key: recipient.PublicKey}, opts)
	if err != nil {
		return "", msg.Errorf("encrypt: %w", err)
	}
	obj, err := e.Encrypt(content)
	if err != nil {
		return "", msg.Errorf("encrypt: %w", err)
	}
	return obj.CompactSerialize()
}

// Thumbprint is the base64url SHA-256 of a certificate, as the "x5t#S256" header carries it.
func Thumbprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Opened is what the gateway learnt from a sealed message.
type Opened struct {
	Payload            []byte              // the signed message; unverified when err is Invalid
	Signer             *x509.Certificate   // x5c[0]
	Chain              []*x509.Certificate // the rest of x5c
	KeyAlgorithm       string              `json:"keyAlgorithm"`
	ContentEncryption  string              `json:"contentEncryption"`
	SignatureAlgorithm string              `json:"signatureAlgorithm"`
}

// Open decrypts a sealed message with the recipient's key (recipientCert names it) and verifies the
// inner signature with the certificate it carries. When only the signature fails (Invalid), the
// unverified payload is still returned, so a caller can show what was sent.
func Open(sealed string, key crypto.PrivateKey, recipientCert *x509.Certificate) (Opened, error) {
	var o Opened
	sealed = strings.TrimSpace(sealed)
	if strings.Count(sealed, ".") != 4 {
		return o, fail(NotSealed, msg.F("expected the five dot-separated parts of a compact JWE, found %d", strings.Count(sealed, ".")+1))
	}
	jwe, err := jose.ParseEncryptedCompact(sealed, KeyAlgorithms, ContentEncryptions)
	if err != nil {
		if h, ok := header(sealed); ok && (h.Alg != "" || h.Enc != "") {
			return o, fail(Unsupported, msg.F("alg %q, enc %q: %v", h.Alg, h.Enc, msg.Of(err)))
		}
		return o, fail(NotSealed, msg.Of(err))
	}
	o.KeyAlgorithm, o.ContentEncryption = jwe.Header.Algorithm, ""
	if h, ok := header(sealed); ok {
		o.ContentEncryption = h.Enc
		if h.X5tS256 != "" && recipientCert != nil && h.X5tS256 != Thumbprint(recipientCert) {
			return o, fail(WrongKey, msg.F("the message is encrypted for the certificate with SHA-256 thumbprint %s, not the gateway's (%s, thumbprint %s)",
				h.X5tS256, recipientCert.Subject.CommonName, Thumbprint(recipientCert)))
		}
	}
	inner, err := jwe.Decrypt(key)
	if err != nil {
		return o, fail(Undecryptable, msg.F("%v: the content was encrypted with another key or altered after encryption", msg.Of(err)))
	}
	jws, err := jose.ParseSignedCompact(string(inner), SignatureAlgorithms)
	if err != nil {
		if h, ok := header(string(inner)); ok && h.Alg != "" {
			return o, fail(Unsupported, msg.F("signature alg %q: %v", h.Alg, msg.Of(err)))
		}
		return o, fail(Unsigned, msg.F("the decrypted content is not a compact JWS: %v", msg.Of(err)))
	}
	o.SignatureAlgorithm = jws.Signatures[0].Header.Algorithm
	h, _ := header(string(inner))
	if len(h.X5c) == 0 {
		return o, fail(Malformed, msg.F("the JWS header carries no x5c certificate"))
	}
	for i, b64 := range h.X5c {
		der, err := base64.StdEncoding.DecodeString(b64)
		var c *x509.Certificate
		if err == nil {
			c, err = x509.ParseCertificate(der)
		}
		if err != nil {
			return o, fail(Malformed, msg.F("x5c[%d] is not a certificate: %v", i, msg.Of(err)))
		}
		if i == 0 {
			o.Signer = c
		} else {
			o.Chain = append(o.Chain, c)
		}
	}
	payload, err := jws.Verify(o.Signer.PublicKey)
	if err != nil {
		o.Payload = jws.UnsafePayloadWithoutVerification()
		return o, fail(Invalid, msg.F("%v: the content was altered after %s signed it", msg.Of(err), o.Signer.Subject.CommonName))
	}
	o.Payload = payload
	return o, nil
}

type rawHeader struct {
	Alg     string   `json:"alg"`
	Enc     string   `json:"enc"`
	X5c     []string `json:"x5c"`
	X5tS256 string   `json:"x5t#S256"`
}

// header reads the protected header of a compact JOSE object without trusting it.
func header(compact string) (rawHeader, bool) {
	var h rawHeader
	first, _, _ := strings.Cut(compact, ".")
	b, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil || json.Unmarshal(b, &h) != nil {
		return h, false
	}
	return h, true
}
