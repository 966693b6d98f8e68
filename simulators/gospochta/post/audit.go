package post

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
)

// AuditEntry is one transfer (GP-W-AUDIT): a request the service answered (Direction "in") or an
// attempt of a push to a sender (Direction "out"), with its request id, time and status, and, for
// a refusal, the code, the rule and the breach.
type AuditEntry struct {
	RequestID string    // X-Request-Id as sent (cut to 128 bytes); for a push, the one the service sent
	Time      time.Time // the service's clock when the request arrived or the push was made
	System    string    // the system of the client certificate; "" when none matched (GP-W-MTLS refused)
	Direction string    // DirectionIn or DirectionOut
	Method    string
	Path      string // path and query as sent, cut to 2 KiB; for a push, the notifyUrl
	// Endpoint names the call: "recipient", "send", "message", "receipt", "registry"; "notify" for
	// a push; "" for a path the API does not have.
	Endpoint  string
	Status    int    // the status answered; for a push, the sender's answer (0: none)
	Code      string // the wire.Error code of a refusal; for a failed push, why
	Rule      string // the rule a refusal names
	Breach    *rule.Breach
	Error     string // the service's own failure (a handler's panic), or why a push failed
	MessageID string
	TokenRole string // the roles of the token used, comma-separated
	// TokenID is a short fingerprint of the Bearer token used, never the token: two entries with the
	// same TokenID used the same token (after token.expired a client must use another, GP-W-REFRESH).
	TokenID string
}

// Directions of an audit entry.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// Audit returns the transfers, oldest first (the newest Limits.MaxAudit, 10 000 by default).
func (s *Service) Audit() []AuditEntry {
	return s.audit.All(func(e AuditEntry) AuditEntry {
		e.Breach = e.Breach.Clone()
		return e
	})
}

// logFieldLimit bounds each client-controlled text of an entry: a client can send a megabyte of
// path, and the log keeps up to MaxAudit entries.
const logFieldLimit = 2 << 10

// bounded is an entry holding at most logFieldLimit bytes of each client-controlled text.
func bounded(e AuditEntry) AuditEntry {
	e.Path = rule.Cut(e.Path, logFieldLimit)
	e.RequestID, e.MessageID = rule.Cut(e.RequestID, 128), rule.Cut(e.MessageID, 128)
	e.TokenRole, e.Error = rule.Cut(e.TokenRole, 256), rule.Cut(e.Error, logFieldLimit)
	e.Breach = e.Breach.Bounded(logFieldLimit)
	return e
}

// fingerprint names a token in the log without giving it away.
func fingerprint(tok string) string {
	if tok == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:8])
}

// call is what the checks learnt of a request, for its handler and its audit entry.
type call struct {
	entry  *AuditEntry
	system *system // the system of the client certificate
	body   []byte  // the body, read by the HMAC check
}

type callKey struct{}

// callOf is the request's call; a handler run outside ServeHTTP gets a throwaway one.
func callOf(req *http.Request) *call {
	c, _ := req.Context().Value(callKey{}).(*call)
	if c == nil {
		return &call{entry: &AuditEntry{}}
	}
	return c
}

func withCall(req *http.Request, c *call) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), callKey{}, c))
}
