package esia_test

import (
	"context"
	"crypto/x509"
	"errors"
	"regexp"
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
		{"empty role", esia.System{Mnemonic: "S", Certificates: certs, Roles: []string{"operator", ""}}, "role"},
		{"role twice", esia.System{Mnemonic: "S", Certificates: certs, Roles: []string{"operator", "operator"}}, "role"},
		{"role with a space", esia.System{Mnemonic: "S", Certificates: certs, Roles: []string{"head of"}}, "role"},
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
	var re *esia.ResponseError
	if _, err := c.APIKeyToken(context.Background(), key.Key); !errors.As(err, &re) || re.Code() != "ESIA-007002" {
		t.Fatalf("a certificate neither registered nor chaining to a trusted root: %v, want ESIA-007002", err)
	}
}

// Without an OGRN the system gets a generated one, as its OIDs are: 13 digits whose last is the
// check digit of ОГРН, (the first 12 mod 11) mod 10; the API key file carries it.
func TestGeneratedOGRN(t *testing.T) {
	authority(t)
	e, err := esia.New(esia.WithSigningIdentity(shared.token))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range []string{"S1", "S2", "S3"} {
		if err := e.Register(esia.System{Mnemonic: m, Certificates: []*x509.Certificate{shared.idA.Certificate}}); err != nil {
			t.Fatal(err)
		}
		sys, _ := e.System(m)
		if !validOGRN(sys.OGRN) {
			t.Fatalf("OGRN %q, want 13 digits with their check digit", sys.OGRN)
		}
		seen[sys.OGRN] = true
		file, _ := e.IssueAPIKey(m)
		if key, err := esia.ParseAPIKey(file); err != nil || key.OGRN != sys.OGRN {
			t.Fatalf("API key file %q: ogrn %q (%v), want %s", file, key.OGRN, err, sys.OGRN)
		}
	}
	if len(seen) < 2 {
		t.Errorf("every system got the OGRN %v", seen)
	}
	if err := e.Register(esia.System{Mnemonic: "GIVEN", OGRN: "1027700132195", Certificates: []*x509.Certificate{shared.idA.Certificate}}); err != nil {
		t.Fatal(err)
	}
	if sys, _ := e.System("GIVEN"); sys.OGRN != "1027700132195" {
		t.Errorf("a given OGRN was replaced by %s", sys.OGRN)
	}
}

var ogrn13 = regexp.MustCompile(`^[0-9]{13}$`)

func validOGRN(s string) bool {
	if !ogrn13.MatchString(s) || s[0] == '0' {
		return false
	}
	var n uint64
	for _, d := range s[:12] {
		n = n*10 + uint64(d-'0')
	}
	return byte('0'+n%11%10) == s[12]
}

// System gives a copy: changing what it returns changes nothing in ESIA.
func TestSystemIsACopy(t *testing.T) {
	f := newFixture(t)
	s, _ := f.e.System(sysA)
	s.Scopes[0], s.RedirectURIs[0], s.Permissions[0] = "nothing", "https://evil.example/cb", "NONE"
	s.Certificates[0] = shared.idB.Certificate
	code := f.code(t, scopeCode, redirectA) // openid, redirectA and idA still hold
	if _, err := f.client.Exchange(context.Background(), code, scopeCode, redirectA); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.e.System(sysA); again.Permissions[0] != esia.PermissionAPIPGU {
		t.Errorf("permissions %v after the caller's edit", again.Permissions)
	}
}
