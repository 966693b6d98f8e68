package router

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
)

// SMDO-TOKEN: the token endpoint takes client credentials with HTTP Basic only.
func TestToken(t *testing.T) {
	e := newEnv(t)
	r := e.tokenReply(e.agency.User, e.agency.Pass)
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	if tok, _ := m["access_token"].(string); len(tok) < 32 || m["token_type"] != "bearer" || m["expires_in"] != float64(3600) || m["scope"] != "application" {
		t.Errorf("token answer %s", r.body)
	}
	if rec := e.lastRequest(); rec.Op != "token" || rec.Subscriber != e.agency.ID || rec.Token == "" || strings.Contains(string(r.body), rec.Token+`"`) {
		t.Errorf("log entry %+v", rec)
	}

	for _, c := range []struct {
		name, user, pass string
	}{{"wrong password", e.agency.User, "nope"}, {"unknown user", "nobody", "x"}, {"no Basic", "", ""}} {
		t.Run(c.name, func(t *testing.T) {
			r := e.tokenReply(c.user, c.pass)
			m := r.refusal(t, http.StatusUnauthorized, "SMDO-TOKEN", "Authorization")
			if m["error"] != "invalid_client" || m["error_description"] == nil {
				t.Errorf("%s", r.body)
			}
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	req, _ := http.NewRequest("POST", e.url+"/token?scope=application&grant_type=password", nil)
	req.SetBasicAuth(e.agency.User, e.agency.Pass)
	if m := e.roundTrip(req).refusal(t, http.StatusBadRequest, "SMDO-TOKEN", "grant_type"); m["error"] != "unsupported_grant_type" {
		t.Errorf("%v", m)
	}
	// the grant in a form body, as some clients send it
	req, _ = http.NewRequest("POST", e.url+"/token", strings.NewReader("grant_type=client_credentials&scope=application"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.agency.User, e.agency.Pass)
	if r := e.roundTrip(req); r.status != http.StatusOK {
		t.Errorf("form body: %d %s", r.status, r.body)
	}
}

// SMDO-TOKEN: every other call needs a Bearer token the router issued.
func TestBearerOnEveryCall(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	calls := []struct{ method, path string }{
		{"POST", outgoingPath}, {"GET", outgoingPath + "/x"}, {"POST", incomingPath}, {"GET", incomingPath + "/confirm/x"},
		{"GET", docTypePath}, {"POST", searchPath},
	}
	for _, c := range calls {
		for _, bad := range []string{"", "not-a-token"} {
			r := e.do(c.method, c.path, bad, "application/json", []byte(`{}`))
			if m := r.refusal(t, http.StatusUnauthorized, "SMDO-TOKEN", "Authorization"); m["error"] != "invalid_token" {
				t.Errorf("%s %s: %s", c.method, c.path, r.body)
			}
			if r.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		}
	}
	if r := e.do("GET", docTypePath, tok, "", nil); r.status != http.StatusOK {
		t.Errorf("with the token: %d %s", r.status, r.body)
	}
	if rec := e.lastRequest(); rec.Subscriber != e.agency.ID || rec.Op != "doc_type" {
		t.Errorf("log entry %+v", rec)
	}
}

// SMDO-TOKEN: a token expires after its lifetime on the router's clock; a new one works.
func TestTokenLifetime(t *testing.T) {
	clk := clock.NewVirtual(time.Now())
	e := newEnv(t, WithClock(clk), WithTokenLifetime(2*time.Minute))
	r := e.tokenReply(e.agency.User, e.agency.Pass)
	if m := r.json(t); m["expires_in"] != float64(120) {
		t.Fatalf("expires_in %v", m["expires_in"])
	}
	tok := r.json(t)["access_token"].(string)
	if r := e.do("GET", docTypePath, tok, "", nil); r.status != http.StatusOK {
		t.Fatalf("%d", r.status)
	}
	clk.Advance(2 * time.Minute)
	r = e.do("GET", docTypePath, tok, "", nil)
	if m := r.refusal(t, http.StatusUnauthorized, "SMDO-TOKEN", "Authorization"); !strings.Contains(m["message"].(string), "expired") {
		t.Errorf("%s", r.body)
	}
	if rec := e.lastRequest(); rec.Subscriber != e.agency.ID || rec.Injected {
		t.Errorf("an expiry by the clock: %+v", rec)
	}
	if r := e.do("GET", docTypePath, e.token(e.agency), "", nil); r.status != http.StatusOK {
		t.Errorf("a new token: %d", r.status)
	}
}

// ExpireTokenAfter: the token runs out after the given number of calls, as mid-send; a token
// fetched afterwards lasts.
func TestExpireTokenAfter(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	other := e.token(e.ministry)
	e.r.ExpireTokenAfter(e.agency.ID, 2)
	for i := range 2 {
		if r := e.do("GET", docTypePath, tok, "", nil); r.status != http.StatusOK {
			t.Fatalf("call %d: %d", i+1, r.status)
		}
	}
	e.do("GET", docTypePath, tok, "", nil).refusal(t, http.StatusUnauthorized, "SMDO-TOKEN", "Authorization")
	first := e.lastRequest()
	if !first.Injected || first.Subscriber != e.agency.ID || first.Op != "doc_type" {
		t.Errorf("log entry %+v", first)
	}
	if r := e.do("GET", docTypePath, tok, "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("the expired token again: %d", r.status)
	}
	if r := e.do("GET", docTypePath, other, "", nil); r.status != http.StatusOK {
		t.Errorf("another subscriber's token: %d", r.status)
	}
	fresh := e.token(e.agency)
	for range 3 {
		if r := e.do("GET", docTypePath, fresh, "", nil); r.status != http.StatusOK {
			t.Fatalf("a new token: %d %s", r.status, r.body)
		}
	}
	if rec := e.lastRequest(); rec.Token == first.Token || rec.Token == "" {
		t.Errorf("fingerprints %q and %q", first.Token, rec.Token)
	}
}
