package esia

import (
	"net/http"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// Clause IDs of the rules this package enforces.
const (
	RuleOAuth = "ESIA-OAUTH" // the OAuth 2.0 code flow (/aas/oauth2/v2/ac, /aas/oauth2/v3/te) and its ESIA-0070xx codes
	RuleB12   = "ESIA-B12"   // Б.12, the access token for an API key
	// RuleJWT: a token for a JWT assertion signed with the system's key (RFC 7523, grant
	// GrantJWTBearer) and its renewal by a refresh token (GrantRefreshToken), as the walkthrough
	// (seed 003, GP-W-AUTH, GP-W-REFRESH) has a system get one; no ESIA document at hand describes them.
	RuleJWT = "ESIA-JWT"
)

// Code is one of ESIA's error codes: the text ESIA puts first in error_description, and the OAuth
// 2.0 error it goes with. The codes and their meaning are those go-api-epgu's esia/aas/errors.go
// (@f3763d9a) lists; only ESIA-007014 ↔ invalid_request is attested there (its example message),
// the other OAuth error names follow RFC 6749 §4.1.2.1 and §5.2 by meaning. The HTTP status of a
// token-endpoint refusal is 400 as in go-api-epgu's example ("HTTP 400 Bad request: ESIA-007014").
type Code struct {
	ID          string // "ESIA-007014"
	OAuth       string // "invalid_request"
	Description string // after the ID in error_description
}

// The codes this simulator answers with.
var (
	// The certificate does not match the system's mnemonic, or the system has no such certificate.
	ESIA007002 = Code{"ESIA-007002", "invalid_client", "The certificate does not match the mnemonic of the information system, or ESIA holds no such certificate for the system"}
	// A parameter has a wrong value or is sent more than once.
	ESIA007003 = Code{"ESIA-007003", "invalid_request", "The request lacks a mandatory parameter, has a wrong value of a parameter or repeats a parameter"}
	// The resource owner or the authorisation service refused the request.
	ESIA007004 = Code{"ESIA-007004", "access_denied", "The resource owner or the authorization service denied the request"}
	// The scope is wrong, unknown or malformed.
	ESIA007006 = Code{"ESIA-007006", "invalid_scope", "The requested scope is invalid, unknown or malformed"}
	// The service does not give a token by this method (response_type other than code).
	ESIA007009 = Code{"ESIA-007009", "unsupported_response_type", "The authorization service does not support obtaining an access token by this method"}
	// The code is invalid, expired, used, issued to another system or for another redirect_uri.
	ESIA007011 = Code{"ESIA-007011", "invalid_grant", "The authorization code is invalid, expired, revoked, does not match the redirect_uri of the authorization request or was issued to another client"}
	// The grant type is not supported.
	ESIA007012 = Code{"ESIA-007012", "unsupported_grant_type", "The authorization grant type is not supported by the authorization service"}
	// No scope in the request.
	ESIA007013 = Code{"ESIA-007013", "invalid_request", "The request does not contain the scope"}
	// A mandatory parameter is missing.
	ESIA007014 = Code{"ESIA-007014", "invalid_request", "The request does not contain the mandatory parameter"}
	// The request's timestamp is too far from ESIA's clock.
	ESIA007015 = Code{"ESIA-007015", "invalid_request", "Wrong request time"}
	// The redirect_uri is not among those allowed for the system.
	ESIA007023 = Code{"ESIA-007023", "invalid_request", "The redirect_uri of the request is not among those allowed for the information system"}
	// client_secret is malformed, does not verify, or its certificate is not valid.
	ESIA007053 = Code{"ESIA-007053", "invalid_client", "client_secret is malformed: it does not match the signed string or the information system, or the certificate is not active"}
	// An organisation scope names an organisation the user is not an employee of.
	ESIA007194 = Code{"ESIA-007194", "invalid_scope", "The scope is requested for an organization the user is not an employee of"}
	// The parameters could not be read from the request (not a form-urlencoded body).
	ESIA007038 = Code{"ESIA-007038", "invalid_request", "Error reading the parameters of the request"}
	// The client system could not be authenticated (unknown client_id).
	ESIA008010 = Code{"ESIA-008010", "invalid_client", "The client system could not be authenticated"}
)

// malformedSignature is ESIA-007053 about the parameter that carries the signature: client_secret
// on the OAuth endpoints (ESIA's text), signature on Б.12's.
func malformedSignature(param string) Code {
	return Code{"ESIA-007053", "invalid_client", param + " is malformed: it does not match the signed string or the information system, or the certificate is not active"}
}

// apiKeyUnknown answers an API key ESIA does not know. Clients report a 404 for it (yellow444/epgu
// docs/context/12-gospochta.md); the body ESIA sends then is not known, so it has no ESIA code here.
var apiKeyUnknown = Code{"", "not_found", "The API key is not known: it was not created, or was deleted"}

// The refusals of the assertion and refresh grants (RuleJWT) that no ESIA code names: ESIA's own
// answer to them is not attested, so they carry the OAuth 2.0 error RFC 7523 §3.1 and RFC 6749 §5.2
// prescribe and no ESIA code, and their description says what was wrong (refusal.detail).
var (
	assertionInvalid = Code{"", "invalid_grant", "The assertion is invalid"}
	refreshInvalid   = Code{"", "invalid_grant", "The refresh token is invalid, expired, already used or was issued to another client"}
	jtiStoreFull     = Code{"", "temporarily_unavailable", "Too many assertions in force; try again in a few minutes"}
)

// refusal is one refused request: the code ESIA answers with, the breach the harness records, and
// the HTTP status. notSupported marks a request this simulator cannot judge (a GOST signature): it
// is answered 501 without an ESIA code, and its event says so instead of blaming the system.
type refusal struct {
	code         Code
	status       int
	breach       *rule.Breach
	notSupported bool
	// detail says which parameter and what of it, after the code's text; only Б.12 and the
	// assertion and refresh grants answer it (see description).
	detail string
}

// description is error_description. The OAuth endpoints answer ESIA's text of the code alone, as
// it is attested (go-api-epgu: "ESIA-007014: The request does not contain the mandatory
// parameter"); the error bodies of Б.12 and of the assertion and refresh grants are not attested,
// so there the simulator adds the detail (which parameter, what was wrong with it) for the client's
// developer.
func (r *refusal) description() string {
	if r.notSupported {
		return "simulator: " + r.breach.Observed.String() + ": not supported by the simulator"
	}
	d := r.code.Description
	if r.code.ID != "" {
		d = r.code.ID + ": " + d
	}
	if r.detail != "" && (r.breach.Rule == RuleB12 || r.breach.Rule == RuleJWT) {
		d += " (" + r.detail + ")"
	}
	return d
}

func (r *refusal) oauthError() string {
	if r.notSupported {
		return "server_error"
	}
	return r.code.OAuth
}

// refuse builds a refusal of code, breaking clause ruleID at field.
func refuse(code Code, ruleID, field string, expected, observed, fix msg.Text) *refusal {
	return &refusal{code: code, status: http.StatusBadRequest, breach: &rule.Breach{
		Rule: ruleID, Field: msg.Raw(field), Expected: expected, Observed: observed, Fix: fix,
	}}
}

// notSupported builds the answer to a request the simulator cannot judge: a signature in field.
func notSupported(ruleID, field, observed string) *refusal {
	return &refusal{status: http.StatusNotImplemented, notSupported: true, breach: &rule.Breach{
		Rule: ruleID, Field: msg.Raw(field),
		Expected: msg.F("a %s signed with RSA or ECDSA and SHA-256 (what the simulator verifies)", field),
		Observed: msg.Raw(observed),
		Note:     msg.F("not a fault of the system: real ESIA takes GOST R 34.10-2012 signatures, the simulator does not implement GOST"),
		Fix:      msg.F("for the simulated exchange, sign with the RSA or ECDSA key of a certificate from the simulated CA"),
	}}
}
