package server

import (
	"net/http"
	"strings"
)

// Bearer is the token of the request's "Authorization: Bearer …" header (the scheme in any case,
// RFC 6750, RFC 7235); false without one.
func Bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
