package esia_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// ESIA-B12: the API key from the portal's file, signed, gives a token EPGU accepts.
func TestAPIKeyTokenVerifies(t *testing.T) {
	f := newFixture(t)
	file, err := f.e.IssueAPIKey(sysA)
	if err != nil {
		t.Fatal(err)
	}
	key, err := esia.ParseAPIKey(file)
	if err != nil {
		t.Fatal(err)
	}
	if key.Mnemonic != sysA || key.OrgOID != f.a.OrgOID || key.UserOID != f.a.UserOID || key.OGRN != f.a.OGRN {
		t.Fatalf("key file = %+v, want system %s's data", key, sysA)
	}
	raw, err := f.client.APIKeyToken(context.Background(), key.Key)
	if err != nil {
		t.Fatal(err)
	}
	at, err := f.e.VerifyAccessToken(raw)
	if err != nil {
		t.Fatal(err)
	}
	if at.ClientID != sysA || at.Subject != f.a.UserOID || at.OrgOID != f.a.OrgOID {
		t.Errorf("token = %+v, want client %s, subject %s, org %s", at, sysA, f.a.UserOID, f.a.OrgOID)
	}
	if !slices.Contains(at.Scopes, esia.ScopeAPIOrder) || !slices.Contains(at.Permissions, esia.PermissionAPIPGU) {
		t.Errorf("token scopes %v, permissions %v: want %s and %s", at.Scopes, at.Permissions, esia.ScopeAPIOrder, esia.PermissionAPIPGU)
	}
	if got := at.ExpiresAt.Sub(at.IssuedAt); got != esia.DefaultTokenLifetime {
		t.Errorf("lifetime %v, want %v", got, esia.DefaultTokenLifetime)
	}
	if ev := f.lastEvent(t); ev.Outcome != esia.Issued || ev.Grant != esia.GrantAPIKey || ev.Mnemonic != sysA || ev.Breach != nil {
		t.Errorf("event = %+v, want an API-key token issued to %s", ev, sysA)
	}
}

// ESIA-OAUTH: /ac redirects with a code and the state; /te exchanges it once for tokens.
func TestCodeFlow(t *testing.T) {
	f := newFixture(t)
	state := uuid.NewString()
	u, err := f.client.AuthCodeURL(scopeCode, redirectA, state)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("%s: no redirect", resp.Status)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectA || loc.Query().Get("state") != state {
		t.Fatalf("redirect to %s, want %s with state %s", loc, redirectA, state)
	}
	code := loc.Query().Get("code")
	tok, err := f.client.Exchange(context.Background(), code, scopeCode, redirectA)
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.Extra("id_token") == "" || tok.Extra("state") == "" || tok.Expiry.IsZero() {
		t.Errorf("token response: type %q, id_token %v, state %v, expiry %v", tok.TokenType, tok.Extra("id_token"), tok.Extra("state"), tok.Expiry)
	}
	at, err := f.e.VerifyAccessToken(tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if at.ClientID != sysA || at.Subject != f.a.UserOID || !slices.Equal(at.Scopes, []string{"openid", esia.ScopeAPIOrder}) {
		t.Errorf("token = %+v", at)
	}
	if _, err := f.e.VerifyAccessToken(tok.Extra("id_token").(string)); !errors.Is(err, esia.ErrTokenInvalid) {
		t.Errorf("an id_token verified as an access token: %v", err)
	}
	// the code works once
	_, err = f.client.Exchange(context.Background(), code, scopeCode, redirectA)
	var re *esia.ResponseError
	if !errors.As(err, &re) || re.Code() != "ESIA-007011" || re.Err != "invalid_grant" {
		t.Fatalf("second exchange: %v, want ESIA-007011 invalid_grant", err)
	}
	f.checkRefusalEvent(t, "ESIA-007011", esia.RuleOAuth)
}

// Without openid there is no id_token (OpenID Connect).
func TestNoIDTokenWithoutOpenID(t *testing.T) {
	f := newFixture(t)
	code := f.code(t, esia.ScopeAPIOrder, redirectA)
	tok, err := f.client.Exchange(context.Background(), code, esia.ScopeAPIOrder, redirectA)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := tok.Extra("id_token").(string); id != "" {
		t.Errorf("id_token %q without openid in scope", id)
	}
}

// A token stops working when its lifetime ends on ESIA's clock.
func TestTokenExpires(t *testing.T) {
	f := newFixture(t, esia.WithTokenLifetime(10*time.Minute))
	raw := apiKeyToken(t, f, sysA)
	f.clk.Advance(10*time.Minute - time.Second)
	if _, err := f.e.VerifyAccessToken(raw); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	f.clk.Advance(time.Second)
	if _, err := f.e.VerifyAccessToken(raw); !errors.Is(err, esia.ErrTokenExpired) {
		t.Fatalf("at expiry: %v, want ErrTokenExpired", err)
	}
}

// RevokeTokens kills every token the system had, not later ones nor other systems'.
func TestRevokeTokens(t *testing.T) {
	f := newFixture(t)
	old1, old2 := apiKeyToken(t, f, sysA), apiKeyToken(t, f, sysA)
	other := apiKeyToken(t, f, sysB)
	f.e.RevokeTokens(sysA)
	for _, raw := range []string{old1, old2} {
		if _, err := f.e.VerifyAccessToken(raw); !errors.Is(err, esia.ErrTokenInvalid) {
			t.Fatalf("revoked token: %v, want ErrTokenInvalid", err)
		}
	}
	if _, err := f.e.VerifyAccessToken(other); err != nil {
		t.Fatalf("another system's token: %v", err)
	}
	if _, err := f.e.VerifyAccessToken(apiKeyToken(t, f, sysA)); err != nil {
		t.Fatalf("a token issued after the revocation: %v", err)
	}
}

// Only this ESIA's access tokens verify.
func TestVerifyAccessTokenRefusesForeignTokens(t *testing.T) {
	f := newFixture(t)
	other := newFixture(t, esia.WithSigningIdentity(shared.idOther)) // another ESIA, another key
	cases := map[string]string{
		"garbage":                "not-a-jwt",
		"empty":                  "",
		"tampered signature":     tamper(apiKeyToken(t, f, sysA)),
		"signed by another ESIA": apiKeyToken(t, other, sysA),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := f.e.VerifyAccessToken(raw); !errors.Is(err, esia.ErrTokenInvalid) {
				t.Fatalf("%v, want ErrTokenInvalid", err)
			}
		})
	}
}

// Concurrent token requests are all answered and recorded.
func TestConcurrentRequests(t *testing.T) {
	f := newFixture(t)
	file, err := f.e.IssueAPIKey(sysA)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := esia.ParseAPIKey(file)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			raw, err := f.client.APIKeyToken(context.Background(), key.Key)
			if err == nil {
				_, err = f.e.VerifyAccessToken(raw)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.e.Events()); n != 16 {
		t.Fatalf("%d events, want 16", n)
	}
}

// apiKeyToken gets a token for a new API key of the system.
func apiKeyToken(t *testing.T, f *fixture, mnemonic string) string {
	t.Helper()
	file, err := f.e.IssueAPIKey(mnemonic)
	if err != nil {
		t.Fatal(err)
	}
	key, err := esia.ParseAPIKey(file)
	if err != nil {
		t.Fatal(err)
	}
	c := *f.client
	c.Mnemonic = mnemonic
	if mnemonic == sysB {
		c.Identity = shared.idB
	}
	raw, err := c.APIKeyToken(context.Background(), key.Key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func tamper(raw string) string {
	b := []byte(raw)
	i := len(b) - 5
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
