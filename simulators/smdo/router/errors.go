package router

import (
	"encoding/json"
	"net/http"

	"github.com/shepconf/shepconf/internal/rule"
)

// errorBody is the router's error answer. The exact body of the real router is not public
// (reconstructed): this one carries the status and reason phrase as Spring-style services do, the
// breach as the message, and the rule and field apart so a client's log can be searched by them.
// The token's refusals carry the OAuth 2.0 error code in "error" and the breach in
// "error_description" too (RFC 6749 5.2, RFC 6750 3.1).
type errorBody struct {
	Status           int    `json:"status"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
	Message          string `json:"message"`
	Rule             string `json:"rule,omitempty"`
	Field            string `json:"field,omitempty"`
}

// writeJSON answers v as JSON without HTML escaping, so Cyrillic and "<" read as sent.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// refuse answers a breach of a rule and records it in the call's log entry: the message is the
// breach itself, so the client's log says which field, which rule and how to fix it.
func refuse(w http.ResponseWriter, req *http.Request, status int, b *rule.Breach) {
	refuseAs(w, req, status, http.StatusText(status), b)
}

// refuseAs is refuse with another "error" than the reason phrase (an OAuth error code).
func refuseAs(w http.ResponseWriter, req *http.Request, status int, code string, b *rule.Breach) {
	rec := recordOf(req)
	if rec != nil {
		rec.Error, rec.Rule = b.Error(), b.Rule
		rec.Breach = b
	}
	body := errorBody{Status: status, Error: code, Message: b.Error(), Rule: b.Rule, Field: b.Field}
	if code != http.StatusText(status) {
		body.ErrorDescription = body.Message
	}
	writeJSON(w, status, body)
}

// injected marks the call's answer as an injected fault (RefuseNext, ExpireTokenAfter).
func injected(req *http.Request) {
	if rec := recordOf(req); rec != nil {
		rec.Injected = true
	}
}
