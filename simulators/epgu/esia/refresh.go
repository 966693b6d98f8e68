package esia

import (
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// refreshGrant is what a refresh token renews: a token of the same system, scopes and roles.
type refreshGrant struct {
	mnemonic      string
	scopes, roles []string
	expires       time.Time
}

// serveRefresh answers grant_type=refresh_token at /aas/oauth2/v3/te (RuleJWT, GP-W-REFRESH):
// refresh_token and client_id, no new assertion. The token is rotated (RFC 6749 §6, OAuth 2.0
// Security BCP §4.14): the answer carries a new refresh token and the one used is spent, so a
// replayed refresh token is refused.
func (e *ESIA) serveRefresh(w http.ResponseWriter, p params, fail func(*refusal)) {
	if r := p.missing("client_id", "refresh_token"); r != nil {
		fail(r)
		return
	}
	mnemonic := p.v.Get("client_id")
	sys, ok := e.system(mnemonic)
	if !ok {
		fail(unknownClient(mnemonic, RuleJWT))
		return
	}
	g, r := e.spendRefresh(p.v.Get("refresh_token"), mnemonic)
	if r != nil {
		fail(r)
		return
	}
	e.grantTokens(w, sys, g.scopes, g.roles, GrantRefreshToken)
}

// spendRefresh takes the refresh token tok of mnemonic once. Another system's token is refused
// and left in force: presenting it does not make its holder lose it.
func (e *ESIA) spendRefresh(tok, mnemonic string) (refreshGrant, *refusal) {
	now := e.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	bad := func(observed msg.Text) *refusal {
		r := refuse(refreshInvalid, RuleJWT, "refresh_token", msg.F("a refresh token ESIA gave %s and not yet used", mnemonic), observed,
			msg.F("send the refresh_token of the latest token answer (each is good once); when refused, get a token by a new assertion"))
		r.detail = "refresh_token " + observed.String()
		return r
	}
	g, ok := e.refresh[tok]
	switch {
	case !ok:
		return g, bad(msg.F("unknown or already used"))
	case g.mnemonic != mnemonic:
		return g, bad(msg.F("issued to another system"))
	case !now.Before(g.expires):
		delete(e.refresh, tok)
		return g, bad(msg.F("expired at %s", g.expires.UTC().Format(time.RFC3339)))
	}
	delete(e.refresh, tok)
	return g, nil
}

// storeRefresh keeps g under a new refresh token for the refresh lifetime and returns the token.
// refreshOrder lists the tokens as issued, which with one lifetime for all is their expiry order:
// each insert drops from its front the spent, the expired, and, when refreshLimit are in force,
// the oldest (its holder gets a new token by an assertion). Spent tokens left inside the list are
// compacted away once they outnumber those in force.
func (e *ESIA) storeRefresh(g refreshGrant) string {
	tok := randomHex(32)
	now := e.clock.Now()
	g.expires = now.Add(e.refreshLifetime)
	e.mu.Lock()
	defer e.mu.Unlock()
	i := 0
	for ; i < len(e.refreshOrder); i++ {
		t := e.refreshOrder[i]
		if old, ok := e.refresh[t]; ok && now.Before(old.expires) && len(e.refresh) < e.refreshLimit {
			break
		}
		delete(e.refresh, t)
	}
	e.refreshOrder = e.refreshOrder[i:]
	if len(e.refreshOrder) > 2*len(e.refresh)+64 {
		live := make([]string, 0, len(e.refresh)+1)
		for _, t := range e.refreshOrder {
			if _, ok := e.refresh[t]; ok {
				live = append(live, t)
			}
		}
		e.refreshOrder = live
	}
	e.refresh[tok] = g
	e.refreshOrder = append(e.refreshOrder, tok)
	return tok
}
