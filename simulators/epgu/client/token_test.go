package client

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
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

// simulated is the ESIA simulator over HTTPS with one system, TESTSYS, registered with id's
// certificate, and the API key file it issued.
func simulated(t *testing.T, vc *clock.Virtual) (e *esia.ESIA, url string, hc *http.Client, id *pki.Identity, file []byte) {
	t.Helper()
	a, err := nca.New("EPGU client ESIA test")
	if err != nil {
		t.Fatal(err)
	}
	if id, err = a.Issue(nca.Subject{CommonName: "ВИС тест", Organization: "Тест"}, pki.ECDSAP256); err != nil {
		t.Fatal(err)
	}
	if e, err = esia.New(esia.WithClock(vc), esia.WithSigningIdentity(id)); err != nil {
		t.Fatal(err)
	}
	if err := e.Register(esia.System{Mnemonic: "TESTSYS", Certificates: []*x509.Certificate{id.Certificate}}); err != nil {
		t.Fatal(err)
	}
	if file, err = e.IssueAPIKey("TESTSYS"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(e.Handler())
	t.Cleanup(srv.Close)
	return e, srv.URL, srv.Client(), id, file
}

// Against the ESIA simulator itself: an API key it issued gives a token it verifies.
func TestTokenFromESIASimulator(t *testing.T) {
	vc := clock.NewVirtual(time.Now())
	e, u, hc, id, file := simulated(t, vc)
	c := New(Config{ESIAURL: u, APIURL: u, HTTPClient: hc, Identity: id, Mnemonic: "TESTSYS", APIKey: file, Clock: vc})
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

// The simulator's refusal (here ESIA-007002: the key signed with a certificate not registered for
// the system) reaches the caller as an *APIError naming the service, with ESIA's body.
func TestTokenRefusedByESIASimulator(t *testing.T) {
	vc := clock.NewVirtual(time.Now())
	_, u, hc, _, file := simulated(t, vc)
	other, err := nca.New("another CA")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := other.Issue(nca.Subject{CommonName: "not registered"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{ESIAURL: u, APIURL: u, HTTPClient: hc, Identity: stranger, APIKey: file, Clock: vc}).Token(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Method != http.MethodGet || ae.Path != esia.PathAPIKeyToken || ae.Status != http.StatusBadRequest ||
		ae.Code != "invalid_client" || !strings.HasPrefix(ae.Message, "ESIA-007002:") || !bytes.Contains(ae.Body, []byte("ESIA-007002")) {
		t.Fatalf("%v (%+v), want GET %s 400 invalid_client ESIA-007002 with the body", err, ae, esia.PathAPIKeyToken)
	}
}

// The expiry is read from the token's exp whatever algorithm signed it (ESIA's GOST included);
// without one the token is taken to live an hour.
func TestExpiryOf(t *testing.T) {
	now := time.Date(2026, 3, 5, 14, 7, 9, 0, time.UTC)
	exp := now.Add(47 * time.Minute)
	enc := base64.RawURLEncoding.EncodeToString
	jwtOf := func(header, payload string) string {
		return enc([]byte(header)) + "." + enc([]byte(payload)) + ".c2lnbmF0dXJl"
	}
	payload := fmt.Sprintf(`{"exp":%d,"client_id":"TESTSYS"}`, exp.Unix())
	cases := []struct {
		name  string
		token string
		want  time.Time
	}{
		{"RS256", jwtOf(`{"alg":"RS256","typ":"JWT"}`, payload), exp},
		{"ESIA's GOST", jwtOf(`{"alg":"GOST3410_2012_256","sbt":"access","ver":1}`, payload), exp},
		{"an algorithm not listed", jwtOf(`{"alg":"PS512"}`, payload), exp},
		{"alg none (the fake's)", jwtOf(`{"alg":"none"}`, payload), exp},
		{"no exp", jwtOf(`{"alg":"RS256"}`, `{"client_id":"TESTSYS"}`), now.Add(time.Hour)},
		{"not a JWT", "opaque-token", now.Add(time.Hour)},
		{"payload not JSON", jwtOf(`{"alg":"RS256"}`, `exp`), now.Add(time.Hour)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := expiryOf(c.token, now); !got.Equal(c.want) {
				t.Fatalf("expiry %v, want %v", got, c.want)
			}
		})
	}
}
