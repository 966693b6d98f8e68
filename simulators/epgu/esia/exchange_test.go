package esia_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// Each /te refusal is provoked by the request that breaks it; every one is a JSON error with the
// request's state, and no token.
func TestExchangeRefusals(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name      string
		code      func(t *testing.T) string // the code to exchange; nil: a fresh one of system A
		by        func() *pki.Identity
		pre, post func(url.Values)
		want      string
		oauth     string
	}{
		{name: "grant_type missing", post: del("grant_type"), want: "ESIA-007014", oauth: "invalid_request"},
		{name: "grant_type client_credentials", post: set("grant_type", "client_credentials"), want: "ESIA-007012", oauth: "unsupported_grant_type"},
		{name: "grant_type api_key", post: set("grant_type", "api_key"), want: "ESIA-007012", oauth: "unsupported_grant_type"},
		{name: "client_id unknown", pre: set("client_id", "NOBODY"), want: "ESIA-008010", oauth: "invalid_client"},
		{name: "code missing", post: del("code"), want: "ESIA-007014", oauth: "invalid_request"},
		{name: "client_secret missing", post: del("client_secret"), want: "ESIA-007014", oauth: "invalid_request"},
		{name: "timestamp missing", post: del("timestamp"), want: "ESIA-007014", oauth: "invalid_request"},
		{name: "redirect_uri missing", post: del("redirect_uri"), want: "ESIA-007014", oauth: "invalid_request"},
		{name: "scope missing", post: del("scope"), want: "ESIA-007013", oauth: "invalid_request"},
		{name: "code sent twice", post: func(v url.Values) { v.Add("code", "x") }, want: "ESIA-007003", oauth: "invalid_request"},
		{name: "token_type MAC", post: set("token_type", "MAC"), want: "ESIA-007003", oauth: "invalid_request"},
		{name: "state not a UUID", pre: set("state", "state-1"), want: "ESIA-007003", oauth: "invalid_request"},
		{name: "timestamp 10 minutes old", pre: set("timestamp", esia.Timestamp(f.clk.Now().Add(-10*time.Minute))), want: "ESIA-007015", oauth: "invalid_request"},
		{name: "redirect_uri not registered", pre: set("redirect_uri", "https://evil.example/cb"), want: "ESIA-007023", oauth: "invalid_request"},
		{name: "secret without the code (signed as for /ac)", post: func(v url.Values) {
			s, _ := esia.ClientSecret(shared.idA, v.Get("client_id"), v.Get("scope"), v.Get("timestamp"), v.Get("state"), v.Get("redirect_uri"))
			v.Set("client_secret", s)
		}, want: "ESIA-007053", oauth: "invalid_client"},
		{name: "secret signed by another system's certificate", by: func() *pki.Identity { return shared.idB }, want: "ESIA-007002", oauth: "invalid_client"},
		{name: "secret by a certificate of another CA", by: func() *pki.Identity { return shared.idForeign }, want: "ESIA-007002", oauth: "invalid_client"},
		{name: "code unknown", code: func(*testing.T) string { return "0123456789abcdef" }, want: "ESIA-007011", oauth: "invalid_grant"},
		{name: "code for another redirect_uri", code: func(t *testing.T) string { return f.code(t, scopeCode, redirectB) }, want: "ESIA-007011", oauth: "invalid_grant"},
		{name: "scope other than the code's", pre: set("scope", esia.ScopeAPIOrder), want: "ESIA-007006", oauth: "invalid_scope"},
		{name: "code of another system", code: func(t *testing.T) string {
			return codeOf(t, f, sysB, shared.idB, redirectA)
		}, want: "ESIA-007011", oauth: "invalid_grant"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code := ""
			if c.code != nil {
				code = c.code(t)
			} else {
				code = f.code(t, scopeCode, redirectA)
			}
			by := shared.idA
			if c.by != nil {
				by = c.by()
			}
			v := f.signedRequest(t, f.exchangeParams(code), exchangeSigned, by, c.pre, c.post)
			status, body := f.post(t, "application/x-www-form-urlencoded", v.Encode())
			got := decodeError(t, body)
			if status != http.StatusBadRequest || !strings.HasPrefix(got.ErrorDescription, c.want+":") || got.Error != c.oauth {
				t.Fatalf("%d %q %q, want 400 %s %s", status, got.Error, got.ErrorDescription, c.oauth, c.want)
			}
			if got.State != v.Get("state") {
				t.Errorf("state %q, want %q", got.State, v.Get("state"))
			}
			f.checkRefusalEvent(t, c.want, esia.RuleOAuth)
		})
	}
}

// A body that is not form-urlencoded cannot be read: ESIA-007038.
func TestExchangeNotAForm(t *testing.T) {
	f := newFixture(t)
	status, body := f.post(t, "application/json", `{"grant_type":"authorization_code"}`)
	if got := decodeError(t, body); status != http.StatusBadRequest || !strings.HasPrefix(got.ErrorDescription, "ESIA-007038:") {
		t.Fatalf("%d %+v, want 400 ESIA-007038", status, got)
	}
	f.checkRefusalEvent(t, "ESIA-007038", esia.RuleOAuth)
}

// A code lives a few minutes: exchanged later it is refused, even with a fresh timestamp.
func TestExchangeExpiredCode(t *testing.T) {
	f := newFixture(t)
	code := f.code(t, scopeCode, redirectA)
	f.clk.Advance(6 * time.Minute)
	v := f.signedRequest(t, f.exchangeParams(code), exchangeSigned, shared.idA, nil, nil)
	status, body := f.post(t, "application/x-www-form-urlencoded", v.Encode())
	if got := decodeError(t, body); status != http.StatusBadRequest || !strings.HasPrefix(got.ErrorDescription, "ESIA-007011:") {
		t.Fatalf("%d %+v, want ESIA-007011", status, got)
	}
}

// A GOST client_secret on the exchange is refused as not supported, never as a forgery.
func TestExchangeGOSTSecretNotSupported(t *testing.T) {
	f := newFixture(t)
	v := f.exchangeParams(f.code(t, scopeCode, redirectA))
	v.Set("client_secret", gostSecret(t, v.Get("client_id")+v.Get("scope")+v.Get("timestamp")+v.Get("state")+v.Get("redirect_uri")+v.Get("code")))
	status, body := f.post(t, "application/x-www-form-urlencoded", v.Encode())
	got := decodeError(t, body)
	if status != http.StatusNotImplemented || got.Error != "server_error" || !strings.Contains(got.ErrorDescription, "GOST R 34.10-2012") ||
		!strings.Contains(got.ErrorDescription, "not supported by the simulator") {
		t.Fatalf("%d %+v, want 501 naming the GOST algorithm as not supported", status, got)
	}
	if ev := f.lastEvent(t); ev.Outcome != esia.NotSupported {
		t.Fatalf("event %+v, want NotSupported", ev)
	}
}

// codeOf runs /ac for another system.
func codeOf(t *testing.T, f *fixture, mnemonic string, id *pki.Identity, redirect string) string {
	t.Helper()
	c := *f.client
	c.Mnemonic, c.Identity = mnemonic, id
	g := *f
	g.client = &c
	return g.code(t, scopeCode, redirect)
}
