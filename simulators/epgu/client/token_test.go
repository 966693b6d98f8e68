package client

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/nca"
)

// The client gets its token by API key (ESIA-B12): the key from the file in the path, its
// signature in the query (the fake verifies it), and keeps the token until it is about to expire.
func TestToken(t *testing.T) {
	f := newFake(t)
	c := New(f.config())
	for range 3 {
		if _, err := c.Details(context.Background(), 77); err != nil {
			t.Fatal(err)
		}
	}
	ts := f.seen(tokenPrefix)
	if len(ts) != 1 || ts[0].Status != 200 || ts[0].Path != tokenPrefix+testAPIKey+"/tkn" {
		t.Fatalf("token requests %v, want one GET %s%s/tkn answered 200", paths(ts), tokenPrefix, testAPIKey)
	}
	f.clock.Advance(time.Hour - tokenMargin)
	if _, err := c.Details(context.Background(), 77); err != nil {
		t.Fatal(err)
	}
	if n := len(f.seen(tokenPrefix)); n != 2 {
		t.Errorf("%d token requests after the token's expiry drew near, want 2", n)
	}
	var tokens []string
	for _, h := range f.seen("/api/") {
		tokens = append(tokens, h.Header.Get("Authorization"))
	}
	if tokens[0] != tokens[2] || tokens[2] == tokens[3] {
		t.Errorf("bearer tokens %v: want the first reused, then a new one", tokens)
	}
}

// ESIA's refusal reaches the caller as an *APIError with its error code.
func TestTokenError(t *testing.T) {
	f := newFake(t)
	cfg := f.config()
	cfg.APIKey = []byte("00000000-0000-4000-8000-000000000000")
	_, err := New(cfg).Token(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "not_found" {
		t.Fatalf("error %v, want ESIA's 404 not_found", err)
	}
}

// Against the ESIA simulator itself: an API key it issued gives a token it verifies.
func TestTokenFromESIASimulator(t *testing.T) {
	a, err := nca.New("EPGU client ESIA test")
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.Issue(nca.Subject{CommonName: "ВИС тест", Organization: "Тест"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	vc := clock.NewVirtual(time.Now())
	e, err := esia.New(esia.WithClock(vc), esia.WithSigningIdentity(id))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(esia.System{Mnemonic: "TESTSYS", Certificates: []*x509.Certificate{id.Certificate}}); err != nil {
		t.Fatal(err)
	}
	file, err := e.IssueAPIKey("TESTSYS")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(e.Handler())
	defer srv.Close()
	c := New(Config{ESIAURL: srv.URL, APIURL: srv.URL, HTTPClient: srv.Client(), Identity: id, Mnemonic: "TESTSYS", APIKey: file, Clock: vc})
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	at, err := e.VerifyAccessToken(tok)
	if err != nil {
		t.Fatalf("the simulator does not verify its own token: %v", err)
	}
	if at.ClientID != "TESTSYS" || !slices.Contains(at.Scopes, esia.ScopeAPIOrder) {
		t.Errorf("token %+v, want TESTSYS's with the API scope", at)
	}
	if exp := expiryOf(tok, vc.Now()); !exp.Equal(at.ExpiresAt.Truncate(time.Second)) {
		t.Errorf("expiry read %v, the token says %v", exp, at.ExpiresAt)
	}
}
