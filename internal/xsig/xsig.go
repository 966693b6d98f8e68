// Package xsig is the transport signature of the gateway (clauses 53-59, Appendix 6): a WS-Security
// XML signature over the SOAP Body, in the convention of the real gateway's signed envelopes:
// wsse:Security (mustUnderstand=1) in the Header, ds:Signature with exclusive C14N for SignedInfo and
// for the one Reference to the Body by wsu:Id, and the signer's certificate in ds:KeyInfo as
// wsse:SecurityTokenReference/wsse:KeyIdentifier (X509v3). No timestamp is needed.
//
// The verifier also accepts what other WS-Security clients write: the certificate as a
// wsse:BinarySecurityToken, inline in ds:X509Data, or named by ds:X509IssuerSerial when it is
// registered for the sender; and, with a Remark each, RSA-SHA1, a signed wsu:Timestamp and a Body
// referenced by a plain Id.
//
// Canonicalisation is goxmldsig's exclusive C14N; this package only chooses what is signed, checks
// that what was signed is what the gateway processes, and does the key operation.
package xsig

import (
	"errors"

	"github.com/shepconf/shepconf/internal/msg"
)

// Namespaces and algorithm URIs.
const (
	SOAPNS = "http://schemas.xmlsoap.org/soap/envelope/"
	WSSENS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	WSUNS  = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	DSNS   = "http://www.w3.org/2000/09/xmldsig#"

	ExcC14N     = "http://www.w3.org/2001/10/xml-exc-c14n#"
	RSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	ECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	SHA256      = "http://www.w3.org/2001/04/xmlenc#sha256"
	RSASHA1     = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	SHA1        = "http://www.w3.org/2000/09/xmldsig#sha1"
	// RSASHA1More and SHA1More are non-standard URIs for the same algorithms, written by sample code
	// that agencies copied; accepted like the W3C ones.
	RSASHA1More = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha1"
	SHA1More    = "http://www.w3.org/2001/04/xmldsig-more#sha1"
	// GOST 34.310-2004 over GOST 34.311-95, and the digest alone: the real gateway's algorithms.
	GOST3410GOST34 = "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311"
	GOST34311      = "http://www.w3.org/2001/04/xmldsig-more#gost34311"
	// gost2015 begins the national CA's URIs of GOST R 34.10-2015 (256- and 512-bit keys, over
	// GOST R 34.11-2015): known, not supported (README, "Signature algorithms").
	gost2015 = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015"

	X509v3       = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
	Base64Binary = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

// Problem is what is wrong with a transport signature; each maps to one fault of the gateway.
type Problem string

const (
	Unsigned      Problem = "unsigned"                   // no wsse:Security or no ds:Signature
	Malformed     Problem = "malformed"                  // the signature's structure is not the convention's
	Unsupported   Problem = "algorithm not supported"    // a well-formed signature in an algorithm we cannot check
	Invalid       Problem = "invalid"                    // digest or signature value does not verify: altered after signing
	Wrapped       Problem = "wrapped"                    // what was signed is not the Body the gateway processes (XSW)
	Untrusted     Problem = "untrusted"                  // the certificate does not chain to the NCA
	Expired       Problem = "expired"                    // outside the certificate's validity period
	Revoked       Problem = "revoked"                    // the NCA says revoked (OCSP or CRL)
	StatusUnknown Problem = "revocation unknown"         // no usable status: OCSP and CRL unreachable, OCSP "unknown", a stale answer or CRL, another request's nonce
	NotTheSender  Problem = "not the sender"             // the certificate's IIN/BIN is not the registered sender's
	Unregistered  Problem = "certificate not registered" // ds:X509IssuerSerial names a certificate not registered for the sender
)

// Text is the problem in words, rendered in a report's language; the Problem itself stays the
// stable code that fault mappings and JSON evidence use.
func (p Problem) Text() msg.Text {
	switch p {
	case Unsigned:
		return msg.F("unsigned")
	case Malformed:
		return msg.F("malformed")
	case Unsupported:
		return msg.F("algorithm not supported")
	case Invalid:
		return msg.F("invalid")
	case Wrapped:
		return msg.F("wrapped")
	case Untrusted:
		return msg.F("untrusted")
	case Expired:
		return msg.F("expired")
	case Revoked:
		return msg.F("revoked")
	case StatusUnknown:
		return msg.F("revocation unknown")
	case NotTheSender:
		return msg.F("not the sender")
	case Unregistered:
		return msg.F("certificate not registered")
	}
	return msg.Raw(string(p))
}

// Error is a failed transport signature check.
type Error struct {
	Problem Problem
	Rule    string   // the clause the check enforces
	Detail  msg.Text // what the check found, in words
}

func (e *Error) Error() string { return e.Text().String() }

// Text is the error as a message, rendered in a report's language.
func (e *Error) Text() msg.Text {
	return msg.F("transport signature %s (%s): %s", e.Problem.Text(), e.Rule, e.Detail)
}

func fail(p Problem, rule string, detail msg.Text) *Error {
	return &Error{Problem: p, Rule: rule, Detail: detail}
}

// ProblemOf returns the problem of a check error, or "" when err is not one.
func ProblemOf(err error) Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Problem
	}
	return ""
}

// Remark is something a signature does that the real gateway is known to tolerate but the Rules do
// not ask for (RSA-SHA1, a signed wsu:Timestamp, a plain Id on the Body): the message is accepted,
// and the report lists the remark apart from failures, with its reason.
type Remark struct {
	Code   string   `json:"code"`   // stable identifier, e.g. "rsa-sha1"
	Rule   string   `json:"rule"`   // the clause the remark is about
	Reason msg.Text `json:"reason"` // why it is a remark and not a failure, and what to prefer
}

// Remark codes.
const (
	RemarkSHA1      = "rsa-sha1"         // RSA-SHA1 signature or SHA-1 digest
	RemarkTimestamp = "signed-timestamp" // a wsu:Timestamp is signed besides the Body
	RemarkPlainID   = "plain-id"         // the Body is referenced by a plain Id, not wsu:Id
)

var (
	remarkSHA1 = Remark{Code: RemarkSHA1, Rule: "A6-S2", Reason: msg.F("signed with RSA-SHA1 or SHA-1 digests: SHA-1 is deprecated " +
		"(collisions are practical) and the transport signature's profile uses SHA-256-class algorithms; accepted as the real " +
		"gateway accepts it; sign with RSA-SHA256 and SHA-256 digests")}
	remarkTimestamp = Remark{Code: RemarkTimestamp, Rule: "R-55", Reason: msg.F("the signature also covers a wsu:Timestamp: the " +
		"transport signature needs no time stamp (R-55), so it is accepted and not checked; it may be left out")}
	remarkPlainID = Remark{Code: RemarkPlainID, Rule: "A6-S2", Reason: msg.F("the Body is referenced by a plain Id attribute: the " +
		"convention is wsu:Id of the WS-Security utility namespace; accepted; prefer wsu:Id")}
)
