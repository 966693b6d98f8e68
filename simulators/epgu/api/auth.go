package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// authorize admits a request to an order method: a valid unexpired bearer token (else 401), within
// the system's request limits (else 429), with the api-order scope and the APIPGU permission (else
// 403). It answers the refusal itself.
func (a *API) authorize(w http.ResponseWriter, r *http.Request) (AccessToken, bool) {
	raw, ok := server.Bearer(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		refuse(w, r, http.StatusUnauthorized, "", &rule.Breach{
			Rule: "EPGU-1.1", Field: "Authorization",
			Expected: "Authorization: Bearer <маркер доступа ЕСИА>", Observed: describeHeader(r.Header.Get("Authorization")),
			Fix: "get an access token from ESIA and send it as a Bearer token",
		})
		return AccessToken{}, false
	}
	tok, err := a.tokens.VerifyAccessToken(raw)
	now := a.clock.Now()
	if err == nil && !tok.ExpiresAt.IsZero() && !now.Before(tok.ExpiresAt) {
		err = fmt.Errorf("%w at %s on the API's clock", esia.ErrTokenExpired, mskTime(tok.ExpiresAt))
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		refuse(w, r, http.StatusUnauthorized, "", &rule.Breach{
			Rule: "EPGU-A4", Field: "Authorization",
			Expected: "a valid, unexpired and unrevoked ESIA access token", Observed: err.Error(),
			Fix: "get a new access token and repeat the request (Appendix 4, 401)",
		})
		return AccessToken{}, false
	}
	exchangeOf(r).ClientID = tok.ClientID
	if retry, crossed := a.rate.admit(tok.ClientID, now, a.limits); crossed != "" {
		w.Header().Set("Retry-After", retryAfter(retry))
		refuse(w, r, http.StatusTooManyRequests, CodeLimitationException, &rule.Breach{
			Rule: "EPGU-A3", Expected: "at most " + crossed + " per system", Observed: "system " + tok.ClientID + " crossed it",
			Fix: "slow down and retry after the Retry-After delay",
		})
		return AccessToken{}, false
	}
	if !slices.Contains(tok.Scopes, ScopeAPIOrder) {
		refuse(w, r, http.StatusForbidden, CodeAccessDeniedPersonPermissions, &rule.Breach{
			Rule: "EPGU-1.1", Field: "scope", Expected: "the token's scopes include " + ScopeAPIOrder,
			Observed: "scopes " + strings.Join(tok.Scopes, " "), Fix: "ask ESIA for the scope " + ScopeAPIOrder,
		})
		return AccessToken{}, false
	}
	// EPGU-A4 access_denied_person_permissions: "permissions" must hold the substring APIPGU.
	if !slices.ContainsFunc(tok.Permissions, func(p string) bool { return strings.Contains(p, PermissionAPIPGU) }) {
		refuse(w, r, http.StatusForbidden, CodeAccessDeniedPersonPermissions, &rule.Breach{
			Rule: "EPGU-A4", Field: "permissions", Expected: "a permission containing " + PermissionAPIPGU,
			Observed: "permissions [" + strings.Join(tok.Permissions, ", ") + "]",
			Fix:      "request the user's consent to the APIPGU permission when getting the token",
		})
		return AccessToken{}, false
	}
	if !a.grantsAny(tok.ClientID) {
		refuse(w, r, http.StatusForbidden, CodeAccessDeniedSystem, &rule.Breach{
			Rule: "EPGU-A4", Field: "client_id", Expected: "a system granted at least one service",
			Observed: "system " + tok.ClientID + " is granted none", Fix: "apply for access to the service",
		})
		return AccessToken{}, false
	}
	return tok, true
}

func (a *API) grantsAny(clientID string) bool {
	for _, s := range a.services {
		if s.grants(clientID) {
			return true
		}
	}
	return false
}

func describeHeader(h string) string {
	if h == "" {
		return "no Authorization header"
	}
	scheme, _, _ := strings.Cut(h, " ")
	return "Authorization with scheme " + scheme
}
