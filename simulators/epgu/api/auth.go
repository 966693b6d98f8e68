package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
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
			Rule: "EPGU-1.1", Field: msg.Raw("Authorization"),
			Expected: msg.F("Authorization: Bearer <маркер доступа ЕСИА>"), Observed: describeHeader(r.Header.Get("Authorization")),
			Fix: msg.F("get an access token from ESIA and send it as a Bearer token"),
		})
		return AccessToken{}, false
	}
	tok, err := a.tokens.VerifyAccessToken(raw)
	now := a.clock.Now()
	if err == nil && !tok.ExpiresAt.IsZero() && !now.Before(tok.ExpiresAt) {
		err = msg.Errorf("%w at %s on the API's clock", esia.ErrTokenExpired, mskTime(tok.ExpiresAt))
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		refuse(w, r, http.StatusUnauthorized, "", &rule.Breach{
			Rule: "EPGU-A4", Field: msg.Raw("Authorization"),
			Expected: msg.F("a valid, unexpired and unrevoked ESIA access token"), Observed: msg.Of(err),
			Fix: msg.F("get a new access token and repeat the request (Appendix 4, 401)"),
		})
		return AccessToken{}, false
	}
	exchangeOf(r).ClientID = tok.ClientID
	if retry, crossed := a.rate.admit(tok.ClientID, now, a.limits); !crossed.IsZero() {
		w.Header().Set("Retry-After", retryAfter(retry))
		refuse(w, r, http.StatusTooManyRequests, CodeLimitationException, &rule.Breach{
			Rule: "EPGU-A3", Expected: msg.F("at most %s per system", crossed), Observed: msg.F("system %s crossed it", tok.ClientID),
			Fix: msg.F("slow down and retry after the Retry-After delay"),
		})
		return AccessToken{}, false
	}
	if !slices.Contains(tok.Scopes, ScopeAPIOrder) {
		refuse(w, r, http.StatusForbidden, CodeAccessDeniedPersonPermissions, &rule.Breach{
			Rule: "EPGU-1.1", Field: msg.Raw("scope"), Expected: msg.F("the token's scopes include %s", ScopeAPIOrder),
			Observed: msg.F("scopes %s", strings.Join(tok.Scopes, " ")), Fix: msg.F("ask ESIA for the scope %s", ScopeAPIOrder),
		})
		return AccessToken{}, false
	}
	// EPGU-A4 access_denied_person_permissions: "permissions" must hold the substring APIPGU.
	if !slices.ContainsFunc(tok.Permissions, func(p string) bool { return strings.Contains(p, PermissionAPIPGU) }) {
		refuse(w, r, http.StatusForbidden, CodeAccessDeniedPersonPermissions, &rule.Breach{
			Rule: "EPGU-A4", Field: msg.Raw("permissions"), Expected: msg.F("a permission containing %s", PermissionAPIPGU),
			Observed: msg.F("permissions [%s]", strings.Join(tok.Permissions, ", ")),
			Fix:      msg.F("request the user's consent to the APIPGU permission when getting the token"),
		})
		return AccessToken{}, false
	}
	if !a.grantsAny(tok.ClientID) {
		refuse(w, r, http.StatusForbidden, CodeAccessDeniedSystem, &rule.Breach{
			Rule: "EPGU-A4", Field: msg.Raw("client_id"), Expected: msg.F("a system granted at least one service"),
			Observed: msg.F("system %s is granted none", tok.ClientID), Fix: msg.F("apply for access to the service"),
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

func describeHeader(h string) msg.Text {
	if h == "" {
		return msg.F("no Authorization header")
	}
	scheme, _, _ := strings.Cut(h, " ")
	return msg.F("Authorization with scheme %s", scheme)
}
