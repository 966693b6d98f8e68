package router

import (
	"context"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
)

// Request is one call as the harness judges a СЭД by it: who called, what, and what was answered.
type Request struct {
	At         time.Time // the router's clock, when the call arrived
	Subscriber string    // the caller's ID: from the credentials or the token, even an expired one; "" when unknown
	Method     string
	Path       string // path and query as sent, cut to 2 KiB
	// Op names the call: "token", "create", "update", "get", "delete", "attach", "detach", "signs",
	// "unsign", "send", "list", "download", "confirm", "confirm-batch", "doc_type", "file_type",
	// "sed_type", "subscribers"; "" for a path the API does not have.
	Op         string
	PackageID  string
	AttachID   string
	ConfirmIDs []string
	Status     int
	Error      string       // the breach text of a refusal (or the note of a panic)
	Rule       string       // the rule the refusal names
	Breach     *rule.Breach // the refusal itself
	// Token is a short fingerprint of the Bearer token used (of the token issued, for "token"), never
	// the token; "" for none. Two calls with the same fingerprint used the same token.
	Token    string
	Injected bool     // the answer was an injected fault (RefuseNext, ExpireTokenAfter)
	Listed   []string // "list": the package ids it returned, in order
	Page     int      // "list": the page asked for (a receiving pass reads pages 0, 1, … back to back)
}

// logFieldLimit bounds each client-controlled text of a log entry: a client can send a megabyte
// of path, and the log keeps up to MaxRequests entries.
const logFieldLimit = 2 << 10

// Requests returns every call, oldest first (the newest Limits.MaxRequests, 10 000 by default),
// each with its own copies.
func (r *Router) Requests() []Request {
	return r.log.All(func(e Request) Request {
		e.Breach = e.Breach.Clone()
		e.ConfirmIDs = append([]string(nil), e.ConfirmIDs...)
		e.Listed = append([]string(nil), e.Listed...)
		return e
	})
}

// bounded is a log entry holding at most logFieldLimit bytes of each client-controlled text and at
// most maxLoggedIDs confirmation ids.
func bounded(r Request) Request {
	r.Path, r.Error = rule.Cut(r.Path, logFieldLimit), rule.Cut(r.Error, logFieldLimit)
	r.PackageID, r.AttachID = rule.Cut(r.PackageID, 128), rule.Cut(r.AttachID, 128)
	if len(r.ConfirmIDs) > maxLoggedIDs {
		r.ConfirmIDs = r.ConfirmIDs[:maxLoggedIDs]
	}
	r.Breach = r.Breach.Bounded(logFieldLimit)
	return r
}

const maxLoggedIDs = 100

type recordKey struct{}

// recordOf is the log entry of the call being served, for handlers to fill in.
func recordOf(req *http.Request) *Request {
	rec, _ := req.Context().Value(recordKey{}).(*Request)
	if rec == nil {
		return &Request{} // a handler called outside ServeHTTP writes to a throwaway entry
	}
	return rec
}

func withRecord(req *http.Request, rec *Request) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), recordKey{}, rec))
}
