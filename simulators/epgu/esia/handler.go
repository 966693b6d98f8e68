package esia

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// The paths ESIA serves to an agency system.
const (
	PathAuthorize = "/aas/oauth2/v2/ac" // the user's consent page: an authorisation code (ESIA-OAUTH)
	PathToken     = "/aas/oauth2/v3/te" // the code exchanged for a token (ESIA-OAUTH)
	// PathAPIKeyToken is Б.12, the token for an API key, as the clients seen call it (yellow444/epgu
	// python-epgu auth/org.py, api-gosuslugi-backend/app.py): GET with the key in the path and its
	// signature in the query.
	PathAPIKeyToken = "/esia-rs/api/public/v1/orgs/ext-app/{apiKey}/tkn"
)

// maxForm bounds a token request's body: its parameters are a few kilobytes at most.
const maxForm = 64 << 10

// Handler serves the authorisation page, the token endpoint and the API-key token service.
func (e *ESIA) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathAuthorize, e.serveAuthorize)
	mux.HandleFunc("POST "+PathToken, e.serveToken)
	mux.HandleFunc("GET "+PathAPIKeyToken, e.serveAPIKeyToken)
	return mux
}

// errorBody is ESIA's error answer (go-api-epgu esia/aas ErrorResponse).
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	State            string `json:"state,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeRefusal(w http.ResponseWriter, r *refusal, state string) {
	writeJSON(w, r.status, errorBody{Error: r.oauthError(), ErrorDescription: r.description(), State: state})
}

// redirectRefusal sends the user back to redirect with the error in the query (RFC 6749
// §4.1.2.1), as ESIA does once client_id and redirect_uri are known good.
func redirectRefusal(w http.ResponseWriter, req *http.Request, redirect string, r *refusal, state string) {
	v := url.Values{"error": {r.oauthError()}, "error_description": {r.description()}}
	if state != "" {
		v.Set("state", state)
	}
	http.Redirect(w, req, withQuery(redirect, v), http.StatusFound)
}

// withQuery adds v to the query of u (a registered, hence parseable, redirect_uri).
func withQuery(u string, v url.Values) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	for k, vs := range v {
		q[k] = vs
	}
	p.RawQuery = q.Encode()
	return p.String()
}
