package esia_test

import (
	"context"
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

func TestRegisterRefuses(t *testing.T) {
	authority(t)
	certs := []*x509.Certificate{shared.idA.Certificate}
	cases := []struct {
		name string
		sys  esia.System
		want string
	}{
		{"no mnemonic", esia.System{Certificates: certs}, "mnemonic"},
		{"mnemonic with a space", esia.System{Mnemonic: "A B", Certificates: certs}, "mnemonic"},
		{"no certificate", esia.System{Mnemonic: "S"}, "no certificate"},
		{"OGRN of 12 digits", esia.System{Mnemonic: "S", OGRN: "102770000000", Certificates: certs}, "OGRN"},
		{"relative redirect_uri", esia.System{Mnemonic: "S", Certificates: certs, RedirectURIs: []string{"/cb"}}, "redirect_uri"},
		{"mnemonic taken", esia.System{Mnemonic: sysA, Certificates: certs}, "already registered"},
	}
	f := newFixture(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := f.e.Register(c.sys); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v, want an error about %s", err, c.want)
			}
		})
	}
	if _, err := f.e.IssueAPIKey("NOBODY"); err == nil {
		t.Fatal("an API key for an unregistered system")
	}
}

// Permissions default to APIPGU; an empty list gives tokens without it (for EPGU's
// access_denied_person_permissions).
func TestPermissions(t *testing.T) {
	f := newFixture(t)
	if err := f.e.Register(esia.System{Mnemonic: "NOPERM", Certificates: []*x509.Certificate{shared.idOther.Certificate}, Permissions: []string{}}); err != nil {
		t.Fatal(err)
	}
	c := *f.client
	c.Mnemonic, c.Identity = "NOPERM", shared.idOther
	file, _ := f.e.IssueAPIKey("NOPERM")
	key, _ := esia.ParseAPIKey(file)
	raw, err := c.APIKeyToken(context.Background(), key.Key)
	if err != nil {
		t.Fatal(err)
	}
	at, err := f.e.VerifyAccessToken(raw)
	if err != nil || slices.Contains(at.Permissions, esia.PermissionAPIPGU) {
		t.Fatalf("%+v %v, want a token without APIPGU", at, err)
	}
	if sys, _ := f.e.System(sysA); !slices.Equal(sys.Permissions, []string{esia.PermissionAPIPGU}) {
		t.Fatalf("default permissions %v, want [APIPGU]", sys.Permissions)
	}
}

// WithSkew widens the window: a 6-minute-old timestamp passes with 10 minutes of skew.
func TestWithSkew(t *testing.T) {
	f := newFixture(t, esia.WithSkew(10*time.Minute))
	v := f.signedRequest(t, f.authorizeParams(), authorizeSigned, shared.idA,
		set("timestamp", esia.Timestamp(f.clk.Now().Add(-6*time.Minute))), nil)
	loc, err := f.authorize(t, v).Location()
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %v (%v), want a code", loc, err)
	}
}

// Without WithTrust the registered certificates are ESIA's anchors: a system's own certificate is
// accepted, another one refused.
func TestTrustWithoutCA(t *testing.T) {
	authority(t)
	e, err := esia.New(esia.WithClock(clock.NewVirtual(time.Now())), esia.WithSigningIdentity(shared.token))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(esia.System{Mnemonic: sysA, Certificates: []*x509.Certificate{shared.idA.Certificate}}); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t) // for its HTTPS client
	srvURL := serve(t, e)
	file, _ := e.IssueAPIKey(sysA)
	key, _ := esia.ParseAPIKey(file)
	c := *f.client
	c.BaseURL = srvURL
	if _, err := c.APIKeyToken(context.Background(), key.Key); err != nil {
		t.Fatalf("the registered certificate: %v", err)
	}
	c.Identity = shared.idOther
	if _, err := c.APIKeyToken(context.Background(), key.Key); err == nil {
		t.Fatal("a certificate neither registered nor chaining to a trusted root was accepted")
	}
}
