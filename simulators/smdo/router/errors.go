package router

import (
	"net/http"

	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
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
	body := errorBody{Status: status, Error: code, Message: b.Error(), Rule: b.Rule, Field: b.Field.String()}
	if code != http.StatusText(status) {
		body.ErrorDescription = body.Message
	}
	server.WriteJSON(w, status, body)
}

// injected marks the call's answer as an injected fault (RefuseNext, ExpireTokenAfter).
func injected(req *http.Request) {
	if rec := recordOf(req); rec != nil {
		rec.Injected = true
	}
}
