// Package cms signs and verifies detached CMS (PKCS#7 SignedData) signatures, RSA and ECDSA with
// SHA-256, optionally with an RFC 3161 signature time-stamp (CAdES-T). EPGU wants a detached
// signature "<file>.sig" beside every file of an order's archive (EPGU-2.1.3) and ESIA a detached
// signature as the client_secret of a token request (ESIA-OAUTH). Real parties sign with GOST R
// 34.10-2012 through a certified crypto provider; this simulator does not implement GOST and says so
// (NotSupported) instead of reporting such a signature as broken.
package cms

import (
	"encoding/base64"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
)

// Problem classifies why a signature was refused; a caller maps it to its own rule and status.
type Problem string

const (
	Malformed    Problem = "malformed"     // not a CMS SignedData, or not a detached one
	NotSupported Problem = "not supported" // GOST or another algorithm this simulator does not verify
	BadSignature Problem = "bad signature" // the digest or the signature value does not match the data
	Untrusted    Problem = "untrusted"     // the signer's certificate does not chain to the roots
	NoTimestamp  Problem = "no timestamp"  // a time-stamp token was required and is absent
	BadTimestamp Problem = "bad timestamp" // the token is invalid, not over this signature, or its TSA untrusted
)

// Text is the problem in words, rendered in a report's language; the Problem itself stays the
// stable code that callers map to their rules and statuses.
func (p Problem) Text() msg.Text {
	switch p {
	case Malformed:
		return msg.F("malformed")
	case NotSupported:
		return msg.F("not supported")
	case BadSignature:
		return msg.F("bad signature")
	case Untrusted:
		return msg.F("untrusted")
	case NoTimestamp:
		return msg.F("no timestamp")
	case BadTimestamp:
		return msg.F("bad timestamp")
	}
	return msg.Raw(string(p))
}

// Error is every refusal of this package: errors.As(err, new(*cms.Error)) gives its Problem.
type Error struct {
	Problem Problem
	Detail  string // in English, as logs carry it; DetailText renders it in a report's language

	detail msg.Text
}

func (e *Error) Error() string { return "cms: " + string(e.Problem) + ": " + e.Detail }

// Text is the error as a message, rendered in a report's language.
func (e *Error) Text() msg.Text { return msg.F("cms: %s: %s", e.Problem.Text(), e.DetailText()) }

// DetailText is Detail as a message, rendered in a report's language.
func (e *Error) DetailText() msg.Text {
	if e.detail.IsZero() || e.detail.String() != e.Detail {
		return msg.Raw(e.Detail) // an Error built or changed outside this package
	}
	return e.detail
}

func fail(p Problem, detail msg.Text) *Error {
	return &Error{Problem: p, Detail: detail.String(), detail: detail}
}

// Decode reads a signature sent as text: base64 in the standard or the URL-safe alphabet, padded
// or not, with line breaks or not. ESIA's client_secret is the base64url of the DER signature.
func Decode(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return nil, fail(Malformed, msg.F("the signature text is empty"))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fail(Malformed, msg.F("the signature text is not base64 (standard or URL-safe alphabet)"))
}
