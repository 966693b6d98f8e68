package esia

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// codeGrant is an authorisation code waiting for its exchange.
type codeGrant struct {
	mnemonic string
	redirect string
	scope    string
	expires  time.Time
}

// serveAuthorize is /aas/oauth2/v2/ac: the system sends the user here with a signed request; the
// simulated user signs in and consents (unless SetConsent(false)), and ESIA sends them back to
// redirect_uri with a code and the state (ESIA-OAUTH). Until client_id and redirect_uri are known
// good a refusal is answered here (RFC 6749 §4.1.2.1: never redirect to an unchecked URI); after,
// with a redirect carrying error, error_description and state.
func (e *ESIA) serveAuthorize(w http.ResponseWriter, req *http.Request) {
	p := params{v: req.URL.Query(), ruleID: RuleOAuth}
	mnemonic, state := p.v.Get("client_id"), p.v.Get("state")
	here := func(r *refusal) {
		e.recordRefusal(mnemonic, PathAuthorize, GrantCode, r)
		writeRefusal(w, r, state)
	}
	if r := p.duplicated(); r != nil {
		here(r)
		return
	}
	if r := p.missing("client_id", "redirect_uri"); r != nil {
		here(r)
		return
	}
	sys, ok := e.system(mnemonic)
	if !ok {
		here(unknownClient(mnemonic, RuleOAuth))
		return
	}
	redirect := p.v.Get("redirect_uri")
	if r := redirectAllowed(sys, redirect, RuleOAuth); r != nil {
		here(r)
		return
	}
	back := func(r *refusal) {
		e.recordRefusal(mnemonic, PathAuthorize, GrantCode, r)
		redirectRefusal(w, req, redirect, r, state)
	}
	if r := e.checkAuthorize(sys, p); r != nil {
		back(r)
		return
	}
	e.mu.Lock()
	denied := e.consentDenied
	e.mu.Unlock()
	if denied {
		r := refuse(ESIA007004, RuleOAuth, "scope", msg.F("the user's consent to %s", p.v.Get("scope")),
			msg.F("the simulated user refused"), msg.F("nothing to fix in the request: handle the refusal and let the user try again"))
		r.breach.Note = msg.F("the refusal was scripted (SetConsent(false)); the system is judged on handling it")
		back(r)
		return
	}
	code := e.storeCode(codeGrant{mnemonic: mnemonic, redirect: redirect, scope: p.v.Get("scope")})
	e.record(Event{Mnemonic: mnemonic, Endpoint: PathAuthorize, Grant: GrantCode, Outcome: Issued})
	http.Redirect(w, req, withQuery(redirect, url.Values{"code": {code}, "state": {state}}), http.StatusFound)
}

// checkAuthorize checks what /ac needs once the system and redirect_uri are known: the mandatory
// parameters, response_type, access_type, state, timestamp, the signature and the scopes.
func (e *ESIA) checkAuthorize(sys *System, p params) *refusal {
	if r := p.missing("client_secret", "scope", "timestamp", "state", "response_type"); r != nil {
		return r
	}
	if rt := p.v.Get("response_type"); rt != "code" {
		return refuse(ESIA007009, RuleOAuth, "response_type", msg.Raw("code"), msg.Raw(rt), msg.F("ask for response_type=code"))
	}
	if at := p.v.Get("access_type"); at != "" && at != "online" && at != "offline" {
		return refuse(ESIA007003, RuleOAuth, "access_type", msg.F("online or offline"), msg.Raw(at), msg.F("send access_type=online (or offline)"))
	}
	if r := p.state(); r != nil {
		return r
	}
	if r := p.timestamp(e.clock.Now(), e.skew); r != nil {
		return r
	}
	v := p.v
	text := v.Get("client_id") + v.Get("scope") + v.Get("timestamp") + v.Get("state") + v.Get("redirect_uri")
	if r := e.checkSecret(sys, signed{rule: RuleOAuth, field: "client_secret", secret: v.Get("client_secret"), data: []byte(text),
		what: "client_id+scope+timestamp+state+redirect_uri", certHash: v.Get("client_certificate_hash")}); r != nil {
		return r
	}
	return checkScopes(sys, strings.Fields(v.Get("scope")), RuleOAuth)
}

// unknownClient refuses a client_id no system is registered under (ESIA-008010).
func unknownClient(mnemonic, ruleID string) *refusal {
	return refuse(ESIA008010, ruleID, "client_id", msg.F("the mnemonic of a registered system"),
		msg.F("%q, not registered", mnemonic), msg.F("send the system's mnemonic as registered on the technological portal"))
}

// storeCode keeps g under a new code for codeLifetime and returns the code. A code that is never
// exchanged would otherwise stay for ever, so each insert first sweeps the expired ones (only once
// the earliest of them has expired, so that a sweep is not a scan per code).
func (e *ESIA) storeCode(g codeGrant) string {
	code := randomHex(24)
	now := e.clock.Now()
	g.expires = now.Add(codeLifetime)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.codesNext.IsZero() && !now.Before(e.codesNext) {
		e.codesNext = time.Time{}
		for c, old := range e.codes {
			switch {
			case !now.Before(old.expires):
				delete(e.codes, c)
			case e.codesNext.IsZero() || old.expires.Before(e.codesNext):
				e.codesNext = old.expires
			}
		}
	}
	e.codes[code] = g
	if e.codesNext.IsZero() || g.expires.Before(e.codesNext) {
		e.codesNext = g.expires
	}
	return code
}
