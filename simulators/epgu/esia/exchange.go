package esia

import (
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
)

// tokenResponse is the token endpoint's answer to a code (go-api-epgu esia/aas
// TokenExchangeResponse). No refresh_token: the simulator renews only the tokens of a JWT assertion
// (GrantRefreshToken), so it gives none for a code even with access_type=offline; a client gets a
// new code instead.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token,omitempty"`
	State       string `json:"state"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// serveToken is /aas/oauth2/v3/te: a form-urlencoded POST exchanging an authorisation code for an
// access token (grant_type=authorization_code), signed like the code request plus the code
// (ESIA-OAUTH); a JWT assertion (GrantJWTBearer) and a refresh token (GrantRefreshToken) under
// RuleJWT (serveJWTBearer, serveRefresh). Other grants (client_credentials…) are not simulated and
// are answered ESIA-007012; API keys have their own service (PathAPIKeyToken).
func (e *ESIA) serveToken(w http.ResponseWriter, req *http.Request) {
	state, mnemonic, grantType := "", "", ""
	fail := func(r *refusal) {
		e.recordRefusal(mnemonic, PathToken, grantType, r)
		writeRefusal(w, r, state)
	}
	if r := readForm(w, req); r != nil {
		fail(r)
		return
	}
	p := params{v: req.PostForm, ruleID: RuleOAuth}
	state, mnemonic, grantType = p.v.Get("state"), p.v.Get("client_id"), p.v.Get("grant_type")
	if grantType == GrantJWTBearer || grantType == GrantRefreshToken {
		p.ruleID = RuleJWT
	}
	if r := p.duplicated(); r != nil {
		fail(r)
		return
	}
	if r := p.missing("grant_type"); r != nil {
		fail(r)
		return
	}
	switch grantType {
	case GrantJWTBearer:
		e.serveJWTBearer(w, p, fail)
		return
	case GrantRefreshToken:
		e.serveRefresh(w, p, fail)
		return
	case GrantAuthorizationCode:
	default:
		fail(refuse(ESIA007012, RuleOAuth, "grant_type", msg.F("%s, %s or %s", GrantAuthorizationCode, GrantJWTBearer, GrantRefreshToken), msg.Raw(grantType),
			msg.F("exchange a code with grant_type=authorization_code, a JWT assertion with %s, a refresh token with refresh_token; an API key is exchanged at %s",
				GrantJWTBearer, PathAPIKeyToken)))
		return
	}
	if r := p.missing("client_id", "code", "client_secret", "scope", "timestamp", "state", "redirect_uri"); r != nil {
		fail(r)
		return
	}
	sys, ok := e.system(mnemonic)
	if !ok {
		fail(unknownClient(mnemonic, RuleOAuth))
		return
	}
	if tt := p.v.Get("token_type"); tt != "" && tt != "Bearer" {
		fail(refuse(ESIA007003, RuleOAuth, "token_type", msg.Raw("Bearer"), msg.Raw(tt), msg.F("send token_type=Bearer")))
		return
	}
	if r := p.state(); r != nil {
		fail(r)
		return
	}
	if r := p.timestamp(e.clock.Now(), e.skew); r != nil {
		fail(r)
		return
	}
	redirect := p.v.Get("redirect_uri")
	if r := redirectAllowed(sys, redirect, RuleOAuth); r != nil {
		fail(r)
		return
	}
	v := p.v
	text := v.Get("client_id") + v.Get("scope") + v.Get("timestamp") + v.Get("state") + redirect + v.Get("code")
	if r := e.checkSecret(sys, signed{rule: RuleOAuth, field: "client_secret", secret: v.Get("client_secret"), data: []byte(text),
		what: "client_id+scope+timestamp+state+redirect_uri+code", certHash: v.Get("client_certificate_hash")}); r != nil {
		fail(r)
		return
	}
	if r := e.redeem(sys, v.Get("code"), redirect, v.Get("scope")); r != nil {
		fail(r)
		return
	}
	scopes := strings.Fields(v.Get("scope"))
	t, err := e.issue(grant{sys: sys, scopes: scopes, openID: slices.Contains(scopes, "openid")})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	e.record(Event{Mnemonic: mnemonic, Endpoint: PathToken, Grant: grantType, Outcome: Issued})
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: t.access, IDToken: t.id, State: state, TokenType: "Bearer",
		ExpiresIn: int(e.lifetime.Seconds())})
}

// readForm reads a form-urlencoded body (ESIA-007038 when there is none to read).
func readForm(w http.ResponseWriter, req *http.Request) *refusal {
	ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return refuse(ESIA007038, RuleOAuth, "Content-Type", msg.Raw("application/x-www-form-urlencoded"), msg.Raw(req.Header.Get("Content-Type")),
			msg.F("send the parameters as a form-urlencoded body"))
	}
	req.Body = http.MaxBytesReader(w, req.Body, maxForm)
	if err := req.ParseForm(); err != nil {
		return refuse(ESIA007038, RuleOAuth, "body", msg.F("a form-urlencoded body"), msg.Of(err), msg.F("encode the parameters with application/x-www-form-urlencoded"))
	}
	return nil
}

// redeem takes the code once: it must be known, in force, the system's, and exchanged for the
// redirect_uri and scope it was issued with (ESIA-007011, ESIA-007006).
func (e *ESIA) redeem(sys *System, code, redirect, scope string) *refusal {
	e.mu.Lock()
	g, ok := e.codes[code]
	if ok {
		delete(e.codes, code) // one exchange per code, whatever its outcome (RFC 6749 §4.1.2)
	}
	e.mu.Unlock()
	switch {
	case !ok:
		return refuse(ESIA007011, RuleOAuth, "code", msg.F("a code ESIA issued and not yet exchanged"), msg.F("unknown or already exchanged"),
			msg.F("exchange each code once, right after the redirect"))
	case !e.clock.Now().Before(g.expires):
		return refuse(ESIA007011, RuleOAuth, "code", msg.F("a code exchanged before %s", Timestamp(g.expires.UTC())), msg.F("expired"),
			msg.F("exchange the code at once (it lives %s)", codeLifetime.String()))
	case g.mnemonic != sys.Mnemonic:
		return refuse(ESIA007011, RuleOAuth, "code", msg.F("a code issued to %s", sys.Mnemonic), msg.F("a code issued to %s", g.mnemonic),
			msg.F("exchange only the codes issued to this system"))
	case g.redirect != redirect:
		return refuse(ESIA007011, RuleOAuth, "redirect_uri", msg.F("the redirect_uri of the authorisation request %s", g.redirect), msg.Raw(redirect),
			msg.F("send the same redirect_uri as in the authorisation request"))
	case g.scope != scope:
		return refuse(ESIA007006, RuleOAuth, "scope", msg.F("the scope of the authorisation request %s", g.scope), msg.Raw(scope),
			msg.F("send the same scope as in the authorisation request"))
	}
	return nil
}
