package router

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
)

// token is an access token the router issued.
type token struct {
	subscriber string
	expires    time.Time
	revoked    bool // expired early by ExpireTokenAfter
}

// tokenStore holds the tokens issued: at most maxTokensPerSubscriber per subscriber, the newest,
// so a client fetching a token before every call cannot grow it.
type tokenStore struct {
	byValue map[string]*token
	issued  map[string][]string // subscriber → token values, oldest first
}

const maxTokensPerSubscriber = 16

func (s *tokenStore) init() {
	s.byValue = map[string]*token{}
	s.issued = map[string][]string{}
}

func (s *tokenStore) issue(subscriber string, expires time.Time) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := hex.EncodeToString(b)
	s.byValue[v] = &token{subscriber: subscriber, expires: expires}
	list := append(s.issued[subscriber], v)
	if len(list) > maxTokensPerSubscriber {
		delete(s.byValue, list[0])
		list = list[1:]
	}
	s.issued[subscriber] = list
	return v
}

// revokeAll expires every token of a subscriber at once (ExpireTokenAfter).
func (s *tokenStore) revokeAll(subscriber string) {
	for _, v := range s.issued[subscriber] {
		if t := s.byValue[v]; t != nil {
			t.revoked = true
		}
	}
}

// fingerprint names a token in the log without giving it away.
func fingerprint(tok string) string {
	if tok == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:4])
}

// tokenAnswer is the token endpoint's answer (OAuth 2.0 client credentials, RFC 6749 4.4.3).
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// token issues an access token for the client credentials of HTTP Basic (SMDO-TOKEN):
// POST token?scope=application&grant_type=client_credentials. The grant type and scope may also
// come in a form body.
func (r *Router) token(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	req.Body = http.MaxBytesReader(w, req.Body, 64<<10)
	grant, scope := req.URL.Query().Get("grant_type"), req.URL.Query().Get("scope")
	if grant == "" || scope == "" {
		if err := req.ParseForm(); err == nil {
			grant, scope = firstNonEmpty(grant, req.PostForm.Get("grant_type")), firstNonEmpty(scope, req.PostForm.Get("scope"))
		}
	}
	if grant != "client_credentials" {
		refuseAs(w, req, http.StatusBadRequest, "unsupported_grant_type", breach("SMDO-TOKEN", "grant_type",
			msg.Raw("grant_type=client_credentials"), quoteOrNone(grant), msg.F("ask for the token with token?scope=application&grant_type=client_credentials")))
		return
	}
	if scope != "" && scope != "application" {
		refuseAs(w, req, http.StatusBadRequest, "invalid_scope", breach("SMDO-TOKEN", "scope",
			msg.Raw("scope=application"), quoteOrNone(scope), msg.F("ask for the scope application")))
		return
	}
	user, pass, ok := req.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="SMDO"`)
		refuseAs(w, req, http.StatusUnauthorized, "invalid_client", breach("SMDO-TOKEN", "Authorization",
			msg.F("Authorization: Basic base64(username:password) of the subscriber's client credentials"), describeAuthorization(req),
			msg.F("send the client credentials the router issued with HTTP Basic")))
		return
	}
	r.mu.Lock()
	sub := r.subscribers[r.byUser[user]]
	if sub == nil || subtle.ConstantTimeCompare([]byte(pass), []byte(sub.Password)) != 1 {
		r.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="SMDO"`)
		refuseAs(w, req, http.StatusUnauthorized, "invalid_client", breach("SMDO-TOKEN", "Authorization",
			msg.F("the client credentials of a subscriber"), msg.F("an unknown username or a wrong password"),
			msg.F("use the username and password the router issued to the subscriber")))
		return
	}
	now := r.now()
	value := r.tokens.issue(sub.ID, now.Add(r.lifetime))
	r.mu.Unlock()
	rec := recordOf(req)
	rec.Subscriber, rec.Token = sub.ID, fingerprint(value)
	server.WriteJSON(w, http.StatusOK, tokenAnswer{AccessToken: value, TokenType: "bearer",
		ExpiresIn: int64(math.Ceil(r.lifetime.Seconds())), Scope: "application"})
}

// handler is a call made with a valid token, by the subscriber it was issued to.
type handler func(w http.ResponseWriter, req *http.Request, caller *Subscriber)

// authorized admits a call with a valid unexpired Bearer token (SMDO-TOKEN), else answers 401
// invalid_token with WWW-Authenticate, which tells the client to fetch a new token.
func (r *Router) authorized(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		rec := recordOf(req)
		rec.PackageID, rec.AttachID = req.PathValue("packageId"), req.PathValue("attachId")
		raw, ok := server.Bearer(req)
		if !ok {
			unauthorized(w, req, describeAuthorization(req))
			return
		}
		rec.Token = fingerprint(raw)
		caller, problem, fault := r.admit(raw)
		if caller != nil {
			rec.Subscriber = caller.ID
		}
		if !problem.IsZero() {
			if fault {
				injected(req)
			}
			unauthorized(w, req, problem)
			return
		}
		h(w, req, caller)
	}
}

// admit checks a token and counts the call against ExpireTokenAfter. It returns the caller (also
// for an expired token, for the log), or why the token is refused and whether that is injected.
func (r *Router) admit(raw string) (caller *Subscriber, problem msg.Text, fault bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tokens.byValue[raw]
	if t == nil {
		return nil, msg.F("a token the router did not issue (or no longer keeps)"), false
	}
	caller = r.subscribers[t.subscriber]
	now := r.now()
	switch {
	case t.revoked:
		return caller, msg.F("the token expired"), true
	case !now.Before(t.expires):
		return caller, msg.F("the token expired at %s on the router's clock", t.expires.UTC().Format(time.RFC3339)), false
	}
	if left, ok := r.expiries[t.subscriber]; ok {
		if left <= 0 {
			delete(r.expiries, t.subscriber)
			r.tokens.revokeAll(t.subscriber)
			return caller, msg.F("the token expired"), true
		}
		r.expiries[t.subscriber] = left - 1
	}
	return caller, msg.Text{}, false
}

func unauthorized(w http.ResponseWriter, req *http.Request, observed msg.Text) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	refuseAs(w, req, http.StatusUnauthorized, "invalid_token", breach("SMDO-TOKEN", "Authorization",
		msg.F("Authorization: Bearer <a valid access token of the token endpoint>"), observed,
		msg.F("get a new token (POST token with HTTP Basic) and repeat the call")))
}

// ExpireTokenAfter makes the tokens subscriberID holds expire after that many more authorised
// calls: the next call after them is answered 401 invalid_token (an injected fault), as when a
// token runs out mid-send. A token fetched afterwards is valid.
func (r *Router) ExpireTokenAfter(subscriberID string, calls int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expiries[subscriberID] = max(calls, 0)
}

func describeAuthorization(req *http.Request) msg.Text {
	h := req.Header.Get("Authorization")
	if h == "" {
		return msg.F("no Authorization header")
	}
	scheme, _, _ := strings.Cut(h, " ")
	return msg.F("Authorization with scheme %s", rule.Cut(scheme, 32))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func quoteOrNone(s string) msg.Text {
	if s == "" {
		return msg.F("none")
	}
	return msg.Raw(fmt.Sprintf("%q", rule.Cut(s, 64)))
}
