package esia_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/nca"
)

// sysG is a system with roles, as the Gospochta contour registers one (GP-W-ROLE); it signs with
// idA's key, sysR with an RSA key.
const (
	sysG = "GP_AGENCY"
	sysR = "GP_RSA"
)

var rsaIdentity struct {
	once sync.Once
	id   *pki.Identity
	err  error
}

// withRoles registers sysG (ECDSA, roles operator and client) and sysR (RSA, role administrator)
// and returns a client of sysG.
func withRoles(t *testing.T, f *fixture) *esia.Client {
	t.Helper()
	rsaIdentity.once.Do(func() {
		rsaIdentity.id, rsaIdentity.err = shared.ca.Issue(nca.Subject{CommonName: "Agency R", Organization: "Agency R"}, pki.RSA2048)
	})
	if rsaIdentity.err != nil {
		t.Fatal(rsaIdentity.err)
	}
	for _, s := range []esia.System{
		{Mnemonic: sysG, Certificates: []*x509.Certificate{shared.idA.Certificate}, Roles: []string{"operator", "client"}},
		{Mnemonic: sysR, Certificates: []*x509.Certificate{rsaIdentity.id.Certificate}, Roles: []string{"administrator"}},
	} {
		if err := f.e.Register(s); err != nil {
			t.Fatal(err)
		}
	}
	return f.clientOf(sysG, shared.idA)
}

func (f *fixture) clientOf(mnemonic string, id *pki.Identity) *esia.Client {
	c := *f.client
	c.Mnemonic, c.Identity = mnemonic, id
	return &c
}

// claimsOf are the claims of a valid assertion of mnemonic at f's clock.
func (f *fixture) claimsOf(mnemonic string) jwt.Claims {
	now := f.clk.Now()
	return jwt.Claims{Issuer: mnemonic, Subject: mnemonic, Audience: jwt.Audience{f.url + esia.PathToken},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)), ID: uuid.NewString()}
}

// sign signs c with key under alg.
func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, c any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertionForm is a valid jwt-bearer request of sysG.
func (f *fixture) assertionForm(t *testing.T) url.Values {
	return url.Values{"grant_type": {esia.GrantJWTBearer}, "client_id": {sysG},
		"assertion": {sign(t, jose.ES256, shared.idA.Key, f.claimsOf(sysG))}}
}

// GP-W-AUTH: a token by an assertion carries the role asked for (the first of the system's by
// default), and a refresh token.
func TestAssertionToken(t *testing.T) {
	f := newFixture(t)
	c := withRoles(t, f)
	ctx := context.Background()
	for _, tc := range []struct{ role, want string }{{"", "operator"}, {"client", "client"}, {"operator", "operator"}} {
		tok, err := c.AssertionToken(ctx, tc.role)
		if err != nil {
			t.Fatal(err)
		}
		at, err := f.e.VerifyAccessToken(tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if at.ClientID != sysG || !slices.Equal(at.Roles, []string{tc.want}) {
			t.Errorf("role %q: token %+v, want client %s, roles [%s]", tc.role, at, sysG, tc.want)
		}
		if tok.RefreshToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != int64(esia.DefaultTokenLifetime.Seconds()) ||
			!tok.Expiry.Equal(f.clk.Now().Add(esia.DefaultTokenLifetime)) {
			t.Errorf("token %+v: want a refresh token, Bearer, expiry in %v on the client's clock", tok, esia.DefaultTokenLifetime)
		}
		if ev := f.lastEvent(t); ev.Outcome != esia.Issued || ev.Grant != esia.GrantJWTBearer || ev.Mnemonic != sysG || ev.Endpoint != esia.PathToken {
			t.Errorf("event %+v, want an issue by %s to %s", ev, esia.GrantJWTBearer, sysG)
		}
	}
	// RS256 with an RSA key, and a scope asked for.
	v := url.Values{"grant_type": {esia.GrantJWTBearer}, "client_id": {sysR}, "scope": {esia.ScopeAPIOrder},
		"assertion": {sign(t, jose.RS256, rsaIdentity.id.Key, f.claimsOf(sysR))}}
	if status, body := f.post(t, "application/x-www-form-urlencoded", v.Encode()); status != http.StatusOK ||
		!strings.Contains(string(body), `"scope":"`+esia.ScopeAPIOrder+`"`) {
		t.Fatalf("RS256: %d %s", status, body)
	}
	// PS256, and aud the issuer rather than the endpoint's URL.
	claims := f.claimsOf(sysR)
	claims.Audience = jwt.Audience{esia.DefaultIssuer}
	v.Set("assertion", sign(t, jose.PS256, rsaIdentity.id.Key, claims))
	if status, body := f.post(t, "application/x-www-form-urlencoded", v.Encode()); status != http.StatusOK {
		t.Fatalf("PS256, aud the issuer: %d %s", status, body)
	}
}

// Б.12 tokens carry all the system's roles; the tokens of systems without roles carry none.
func TestAPIKeyTokenCarriesRoles(t *testing.T) {
	f := newFixture(t)
	c := withRoles(t, f)
	file, err := f.e.IssueAPIKey(sysG)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := esia.ParseAPIKey(file)
	raw, err := c.APIKeyToken(context.Background(), key.Key)
	if err != nil {
		t.Fatal(err)
	}
	if at, err := f.e.VerifyAccessToken(raw); err != nil || !slices.Equal(at.Roles, []string{"operator", "client"}) {
		t.Fatalf("token %+v, %v: want roles operator, client", at, err)
	}
	code := f.code(t, scopeCode, redirectA)
	tok, err := f.client.Exchange(context.Background(), code, scopeCode, redirectA)
	if err != nil {
		t.Fatal(err)
	}
	if at, err := f.e.VerifyAccessToken(tok.AccessToken); err != nil || at.Roles != nil {
		t.Fatalf("token of %s without roles: %+v, %v", sysA, at, err)
	}
}

// Each refusal of the assertion grant is provoked by the request that breaks it: a JSON error,
// an Event under ESIA-JWT with the grant_type sent, and no token.
func TestAssertionRefusals(t *testing.T) {
	f := newFixture(t)
	withRoles(t, f)
	now := f.clk.Now()
	claims := func(edit func(*jwt.Claims)) func(url.Values) {
		return func(v url.Values) {
			c := f.claimsOf(sysG)
			edit(&c)
			v.Set("assertion", sign(t, jose.ES256, shared.idA.Key, c))
		}
	}
	cases := []struct {
		name   string
		edit   func(url.Values)
		status int
		code   string // ESIA code, "" for the refusals no ESIA code names
		oauth  string
		field  string
	}{
		{"assertion missing", del("assertion"), 400, "ESIA-007014", "invalid_request", "assertion"},
		{"client_id missing", del("client_id"), 400, "ESIA-007014", "invalid_request", "client_id"},
		{"assertion twice", func(v url.Values) { v.Add("assertion", "x") }, 400, "ESIA-007003", "invalid_request", "assertion"},
		{"client_id unknown", set("client_id", "NOBODY"), 400, "ESIA-008010", "invalid_client", "client_id"},
		{"not a JWS", set("assertion", "not.a.jws"), 400, "", "invalid_grant", "assertion"},
		{"HS256", func(v url.Values) {
			v.Set("assertion", sign(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), f.claimsOf(sysG)))
		},
			400, "", "invalid_grant", "assertion"},
		{"signed by another system's key", func(v url.Values) { v.Set("assertion", sign(t, jose.ES256, shared.idB.Key, f.claimsOf(sysG))) },
			400, "ESIA-007002", "invalid_client", "assertion"},
		{"signed by a key of another CA", func(v url.Values) { v.Set("assertion", sign(t, jose.ES256, shared.idForeign.Key, f.claimsOf(sysG))) },
			400, "ESIA-007002", "invalid_client", "assertion"},
		{"iss another system", claims(func(c *jwt.Claims) { c.Issuer = sysA }), 400, "", "invalid_grant", "assertion.iss"},
		{"sub missing", claims(func(c *jwt.Claims) { c.Subject = "" }), 400, "", "invalid_grant", "assertion.sub"},
		{"aud another server", claims(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://evil.example/token"} }), 400, "", "invalid_grant", "assertion.aud"},
		{"aud missing", claims(func(c *jwt.Claims) { c.Audience = nil }), 400, "", "invalid_grant", "assertion.aud"},
		{"jti missing", claims(func(c *jwt.Claims) { c.ID = "" }), 400, "", "invalid_grant", "assertion.jti"},
		{"jti of 1 KiB", claims(func(c *jwt.Claims) { c.ID = strings.Repeat("j", 1024) }), 400, "", "invalid_grant", "assertion.jti"},
		{"exp missing", claims(func(c *jwt.Claims) { c.Expiry = nil }), 400, "", "invalid_grant", "assertion.exp"},
		{"iat missing", claims(func(c *jwt.Claims) { c.IssuedAt = nil }), 400, "", "invalid_grant", "assertion.iat"},
		{"expired", claims(func(c *jwt.Claims) {
			c.IssuedAt, c.Expiry = jwt.NewNumericDate(now.Add(-20*time.Minute)), jwt.NewNumericDate(now.Add(-15*time.Minute))
		}), 400, "", "invalid_grant", "assertion.exp"},
		{"iat in the future", claims(func(c *jwt.Claims) {
			c.IssuedAt, c.Expiry = jwt.NewNumericDate(now.Add(10*time.Minute)), jwt.NewNumericDate(now.Add(12*time.Minute))
		}), 400, "", "invalid_grant", "assertion.iat"},
		{"lives an hour", claims(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(now.Add(time.Hour)) }), 400, "", "invalid_grant", "assertion.exp"},
		{"exp before iat", claims(func(c *jwt.Claims) {
			c.IssuedAt, c.Expiry = jwt.NewNumericDate(now.Add(2*time.Minute)), jwt.NewNumericDate(now.Add(time.Minute))
		}), 400, "", "invalid_grant", "assertion.exp"},
		{"nbf in the future", claims(func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(9 * time.Minute)) }), 400, "", "invalid_grant", "assertion.nbf"},
		{"role not held", set("role", "administrator"), 400, "ESIA-007006", "invalid_scope", "role"},
		{"scope not granted", set("scope", "http://esia.gosuslugi.ru/secrets"), 400, "ESIA-007006", "invalid_scope", "scope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := f.assertionForm(t)
			c.edit(v)
			status, body := f.post(t, "application/x-www-form-urlencoded", v.Encode())
			got := decodeError(t, body)
			if status != c.status || got.Error != c.oauth || (c.code != "" && !strings.HasPrefix(got.ErrorDescription, c.code+":")) ||
				(c.code == "" && !strings.Contains(got.ErrorDescription, c.field)) {
				t.Fatalf("%d %q %q, want %d %s %s naming %s", status, got.Error, got.ErrorDescription, c.status, c.oauth, c.code, c.field)
			}
			ev := f.lastEvent(t)
			if ev.Grant != esia.GrantJWTBearer || ev.Outcome != esia.Refused || ev.Code != c.code || ev.Breach == nil || ev.Breach.Rule != esia.RuleJWT ||
				ev.Breach.Field.String() != c.field || ev.Breach.Expected.String() == "" || ev.Breach.Observed.String() == "" || ev.Breach.Fix.String() == "" {
				t.Fatalf("event %+v (breach %+v), want a refusal under %s at %s", ev, ev.Breach, esia.RuleJWT, c.field)
			}
		})
	}
	t.Run("role not held names the roles held", func(t *testing.T) {
		_, err := f.clientOf(sysG, shared.idA).AssertionToken(context.Background(), "administrator")
		var re *esia.ResponseError
		if !errors.As(err, &re) || re.StatusCode != 400 || re.Code() != "ESIA-007006" {
			t.Fatalf("%v, want a *ResponseError ESIA-007006", err)
		}
		if b := f.lastEvent(t).Breach; !strings.Contains(b.Expected.String(), "a role the system holds") || !strings.Contains(b.Expected.String(), "operator, client") {
			t.Fatalf("breach expected %q", b.Expected)
		}
	})
}

// A registered certificate that has expired cannot sign an assertion (ESIA-007053).
func TestAssertionCertificateExpired(t *testing.T) {
	f := newFixture(t)
	c := withRoles(t, f)
	f.clk.AdvanceTo(shared.idA.Certificate.NotAfter.Add(time.Hour))
	_, err := c.AssertionToken(context.Background(), "")
	var re *esia.ResponseError
	if !errors.As(err, &re) || re.Code() != "ESIA-007053" || re.Err != "invalid_client" {
		t.Fatalf("%v, want ESIA-007053", err)
	}
}

// An assertion is taken once: the same one again is a replay (RFC 7523 §3, jti).
func TestAssertionReplay(t *testing.T) {
	f := newFixture(t)
	withRoles(t, f)
	v := f.assertionForm(t)
	if status, body := f.post(t, "application/x-www-form-urlencoded", v.Encode()); status != http.StatusOK {
		t.Fatalf("first: %d %s", status, body)
	}
	status, body := f.post(t, "application/x-www-form-urlencoded", v.Encode())
	if got := decodeError(t, body); status != 400 || got.Error != "invalid_grant" || !strings.Contains(got.ErrorDescription, "replay") {
		t.Fatalf("replay: %d %+v, want 400 invalid_grant naming the replay", status, got)
	}
	if b := f.lastEvent(t).Breach; b == nil || b.Rule != esia.RuleJWT || b.Field.String() != "assertion.jti" {
		t.Fatalf("breach %+v, want ESIA-JWT at assertion.jti", b)
	}
	// The same jti from another system is its own.
	c := f.claimsOf(sysR)
	c.ID = "shared-id"
	g := f.claimsOf(sysG)
	g.ID = "shared-id"
	for _, r := range []url.Values{
		{"grant_type": {esia.GrantJWTBearer}, "client_id": {sysR}, "assertion": {sign(t, jose.RS256, rsaIdentity.id.Key, c)}},
		{"grant_type": {esia.GrantJWTBearer}, "client_id": {sysG}, "assertion": {sign(t, jose.ES256, shared.idA.Key, g)}},
	} {
		if status, body := f.post(t, "application/x-www-form-urlencoded", r.Encode()); status != http.StatusOK {
			t.Fatalf("%s: %d %s", r.Get("client_id"), status, body)
		}
	}
}

// GP-W-REFRESH: a refresh token gives a new access token with the same role and a new refresh
// token; the one used is spent.
func TestRefreshRotation(t *testing.T) {
	f := newFixture(t, esia.WithRefreshLifetime(2*time.Hour))
	c := withRoles(t, f)
	ctx := context.Background()
	first, err := c.AssertionToken(ctx, "client")
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	at, err := f.e.VerifyAccessToken(second.AccessToken)
	if err != nil || !slices.Equal(at.Roles, []string{"client"}) || at.ClientID != sysG {
		t.Fatalf("refreshed token %+v, %v: want %s with role client", at, err, sysG)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatalf("refresh gave %+v, want new tokens", second)
	}
	if ev := f.lastEvent(t); ev.Grant != esia.GrantRefreshToken || ev.Outcome != esia.Issued {
		t.Fatalf("event %+v, want an issue by refresh_token", ev)
	}
	_, err = c.Refresh(ctx, first.RefreshToken)
	var re *esia.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 400 || re.Err != "invalid_grant" {
		t.Fatalf("spent refresh token: %v, want 400 invalid_grant", err)
	}
	if ev := f.lastEvent(t); ev.Grant != esia.GrantRefreshToken || ev.Outcome != esia.Refused || ev.Breach == nil ||
		ev.Breach.Rule != esia.RuleJWT || ev.Breach.Field.String() != "refresh_token" {
		t.Fatalf("event %+v, want a refusal under %s at refresh_token", ev, esia.RuleJWT)
	}
	// Another system cannot use it, and trying does not spend it.
	if _, err := f.clientOf(sysR, rsaIdentity.id).Refresh(ctx, second.RefreshToken); !errors.As(err, &re) || re.Err != "invalid_grant" {
		t.Fatalf("another system's refresh token: %v, want invalid_grant", err)
	}
	third, err := c.Refresh(ctx, second.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	// A refresh token expires.
	f.clk.Advance(2 * time.Hour)
	if _, err := c.Refresh(ctx, third.RefreshToken); !errors.As(err, &re) || re.Err != "invalid_grant" || !strings.Contains(re.Description, "expired") {
		t.Fatalf("expired refresh token: %v, want invalid_grant naming the expiry", err)
	}
	for _, v := range []url.Values{
		{"grant_type": {esia.GrantRefreshToken}, "client_id": {sysG}},
		{"grant_type": {esia.GrantRefreshToken}, "refresh_token": {"x"}},
	} {
		status, body := f.post(t, "application/x-www-form-urlencoded", v.Encode())
		if got := decodeError(t, body); status != 400 || !strings.HasPrefix(got.ErrorDescription, "ESIA-007014:") {
			t.Fatalf("%v: %d %+v, want ESIA-007014", v, status, got)
		}
		f.checkRefusalEvent(t, "ESIA-007014", esia.RuleJWT)
	}
}

// ExpireTokens makes the tokens issued so far fail as expired (not invalid); the refresh tokens
// still work and the tokens issued later verify. Other systems' tokens are untouched.
func TestExpireTokens(t *testing.T) {
	f := newFixture(t)
	c := withRoles(t, f)
	ctx := context.Background()
	tok, err := c.AssertionToken(ctx, "operator")
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.clientOf(sysR, rsaIdentity.id).AssertionToken(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	f.e.ExpireTokens(sysG)
	_, err = f.e.VerifyAccessToken(tok.AccessToken)
	if !errors.Is(err, esia.ErrTokenExpired) || errors.Is(err, esia.ErrTokenInvalid) {
		t.Fatalf("after ExpireTokens: %v, want ErrTokenExpired", err)
	}
	if _, err := f.e.VerifyAccessToken(other.AccessToken); err != nil {
		t.Fatalf("another system's token: %v", err)
	}
	fresh, err := c.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if at, err := f.e.VerifyAccessToken(fresh.AccessToken); err != nil || !slices.Equal(at.Roles, []string{"operator"}) {
		t.Fatalf("refreshed token %+v, %v", at, err)
	}
	f.e.RevokeTokens(sysG)
	if _, err := f.e.VerifyAccessToken(fresh.AccessToken); !errors.Is(err, esia.ErrTokenInvalid) {
		t.Fatalf("after RevokeTokens: %v, want ErrTokenInvalid", err)
	}
}

// The client refuses to sign with a key no JWS algorithm here names.
func TestAssertionTokenNeedsIdentity(t *testing.T) {
	f := newFixture(t)
	c := withRoles(t, f)
	c.Identity = nil
	if _, err := c.AssertionToken(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "Identity") {
		t.Fatalf("%v, want an error naming Identity", err)
	}
}
