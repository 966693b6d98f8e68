package esia

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/shepconf/shepconf/internal/msg"
)

// The JWT assertion grant (RuleJWT). The walkthrough (seed 003, GP-W-AUTH) has the system get its
// OAuth 2.0 token by a JWT signed with its EDS key; RFC 7523 §2.1 is that grant, so the simulator
// takes it at ESIA's token endpoint: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer,
// assertion (the JWS), client_id (the mnemonic), and, of this simulator's own, role (one of
// System.Roles, default the first) and scope (optional, checked as on the code flow). The answer
// adds a refresh token (GrantRefreshToken, GP-W-REFRESH).

// assertionAlgs are the JWS algorithms an assertion may be signed with: those of the RSA and ECDSA
// P-256 keys the simulated CA issues. GOST (what real ESIA would want) has no JWS name go-jose knows.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.PS256}

// maxJTI bounds an assertion's id: a UUID is 36 bytes; the ids are kept until the assertion expires.
const maxJTI = 256

// jtiKey names an assertion: RFC 7523 §3 (item 7) lets the server refuse a jti it has seen, which
// the simulator does per client until the assertion could no longer be taken anyway.
type jtiKey struct{ mnemonic, jti string }

// jwtTokenResponse is the answer to the assertion and refresh grants (RFC 6749 §5.1).
type jwtTokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
}

// serveJWTBearer answers grant_type=GrantJWTBearer at /aas/oauth2/v3/te (RuleJWT). The assertion
// is verified before its id is remembered, so that only the holder of a registered key can fill
// the store of ids.
func (e *ESIA) serveJWTBearer(w http.ResponseWriter, p params, fail func(*refusal)) {
	if r := p.missing("client_id", "assertion"); r != nil {
		fail(r)
		return
	}
	mnemonic := p.v.Get("client_id")
	sys, ok := e.system(mnemonic)
	if !ok {
		fail(unknownClient(mnemonic, RuleJWT))
		return
	}
	c, r := e.checkAssertion(sys, p.v.Get("assertion"))
	if r != nil {
		fail(r)
		return
	}
	roles, r := pickRole(sys, p.v.Get("role"))
	if r != nil {
		fail(r)
		return
	}
	scopes := strings.Fields(p.v.Get("scope"))
	if r := checkScopes(sys, scopes, RuleJWT); r != nil {
		fail(r)
		return
	}
	if r := e.spendJTI(mnemonic, c.ID, c.Expiry.Time().Add(e.skew)); r != nil {
		fail(r)
		return
	}
	e.grantTokens(w, sys, scopes, roles, GrantJWTBearer)
}

// checkAssertion verifies raw is a JWS signed by the key of one of sys's registered certificates,
// that certificate valid and chaining to ESIA's trust, and its claims those RFC 7523 §3 requires:
// iss and sub the client, aud the token endpoint (or ESIA), exp in the future, iat not in it, jti.
func (e *ESIA) checkAssertion(sys *System, raw string) (jwt.Claims, *refusal) {
	var c jwt.Claims
	bad := func(field string, expected, observed, fix msg.Text) *refusal {
		r := refuse(assertionInvalid, RuleJWT, field, expected, observed, fix)
		r.detail = field + ": " + observed.String()
		return r
	}
	tok, err := jwt.ParseSigned(strings.TrimSpace(raw), assertionAlgs)
	if err != nil {
		return c, bad("assertion", msg.F("a JWT in JWS compact serialisation (header.payload.signature) signed RS256, ES256 or PS256"),
			msg.Of(err), msg.F("sign the claims with the system's key and send the compact form; HS256 and alg none are not taken"))
	}
	var signer *x509.Certificate
	for _, cert := range sys.Certificates {
		if tok.Claims(cert.PublicKey, &c) == nil {
			signer = cert
			break
		}
	}
	if signer == nil {
		r := refuse(ESIA007002, RuleJWT, "assertion", msg.F("a signature by the key of a certificate registered for %s", sys.Mnemonic),
			msg.F("%s signature no registered certificate's key verifies", tok.Headers[0].Algorithm),
			msg.F("sign with the key of the certificate uploaded for this mnemonic on the technological portal, or upload its certificate"))
		r.detail = "assertion is not signed by the key of a certificate registered for " + sys.Mnemonic
		return c, r
	}
	now := e.clock.Now()
	roots, intermediates := e.trust()
	if _, err := signer.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		r := refuse(malformedSignature("assertion"), RuleJWT, "assertion", msg.F("a signature by a certificate in force that chains to a trusted CA"),
			msg.F("signed by %q: %v", signer.Subject.CommonName, err), msg.F("sign with a certificate in force, issued by an accredited CA"))
		r.detail = "assertion's certificate: " + err.Error()
		return c, r
	}
	switch {
	case c.Issuer != sys.Mnemonic:
		return c, bad("assertion.iss", msg.F("the client_id %s", sys.Mnemonic), msg.Raw(fmt.Sprintf("%q", c.Issuer)), msg.F("set iss to the system's mnemonic"))
	case c.Subject != sys.Mnemonic:
		return c, bad("assertion.sub", msg.F("the client_id %s", sys.Mnemonic), msg.Raw(fmt.Sprintf("%q", c.Subject)), msg.F("set sub to the system's mnemonic"))
	case !slices.ContainsFunc(c.Audience, e.audience):
		return c, bad("assertion.aud", msg.F("the token endpoint's URL (ending in %s) or ESIA's issuer %s", PathToken, e.issuer),
			msg.Raw(fmt.Sprintf("%q", []string(c.Audience))), msg.F("set aud to the URL the assertion is posted to"))
	case c.ID == "":
		return c, bad("assertion.jti", msg.F("a unique id (a UUID)"), msg.F("absent or empty"), msg.F("give every assertion a fresh jti, e.g. a UUID"))
	case len(c.ID) > maxJTI:
		return c, bad("assertion.jti", msg.F("an id of at most %d bytes (a UUID)", maxJTI), msg.F("%d bytes", len(c.ID)), msg.F("use a UUID as jti"))
	case c.Expiry == nil:
		return c, bad("assertion.exp", msg.F("an expiry time"), msg.F("absent"), msg.F("set exp a few minutes after iat"))
	case c.IssuedAt == nil:
		return c, bad("assertion.iat", msg.F("the time of signing"), msg.F("absent"), msg.F("set iat to the time the assertion is signed"))
	}
	exp, iat := c.Expiry.Time(), c.IssuedAt.Time()
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch {
	case !now.Before(exp.Add(e.skew)):
		return c, bad("assertion.exp", msg.F("a time after ESIA's %s (within %v)", stamp(now), e.skew), msg.F("%s, expired", stamp(exp)),
			msg.F("sign a fresh assertion for each token request and keep the system clock synchronised (NTP)"))
	case iat.After(now.Add(e.skew)):
		return c, bad("assertion.iat", msg.F("not after ESIA's %s (within %v)", stamp(now), e.skew), msg.F("%s, in the future", stamp(iat)),
			msg.F("set iat to the signing time and keep the system clock synchronised (NTP)"))
	case !exp.After(iat) || exp.Sub(iat) > maxAssertionLifetime:
		return c, bad("assertion.exp", msg.F("after iat and at most %v after it", maxAssertionLifetime),
			msg.F("exp − iat = %v", exp.Sub(iat)), msg.F("let the assertion live a few minutes (e.g. exp = iat + 5 min)"))
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(e.skew)):
		return c, bad("assertion.nbf", msg.F("not after ESIA's %s (within %v)", stamp(now), e.skew), msg.Raw(stamp(c.NotBefore.Time())),
			msg.F("leave nbf out or set it to the signing time"))
	}
	return c, nil
}

// audience says whether aud names this ESIA: a URL of its token endpoint (the host is the one the
// client reached, which ESIA cannot know behind a proxy) or its issuer.
func (e *ESIA) audience(aud string) bool {
	return strings.HasSuffix(strings.TrimSuffix(aud, "/"), PathToken) ||
		strings.TrimSuffix(aud, "/") == strings.TrimSuffix(e.issuer, "/")
}

// pickRole is the role a token is asked for: one of sys.Roles, the first when none is asked. A
// system without roles gets tokens without them. The result is never nil, so that issue does not
// give all the system's roles.
func pickRole(sys *System, role string) ([]string, *refusal) {
	if role == "" {
		if len(sys.Roles) == 0 {
			return []string{}, nil
		}
		return []string{sys.Roles[0]}, nil
	}
	if !slices.Contains(sys.Roles, role) {
		held := msg.Raw(strings.Join(sys.Roles, ", "))
		if len(sys.Roles) == 0 {
			held = msg.F("none registered")
		}
		r := refuse(ESIA007006, RuleJWT, "role", msg.F("a role the system holds (%s)", held), msg.Raw(role),
			msg.F("ask for a role registered for %s, or have the system registered for this one", sys.Mnemonic))
		r.detail = fmt.Sprintf("role %q is not one of %s's", role, sys.Mnemonic)
		return nil, r
	}
	return []string{role}, nil
}

// spendJTI remembers the assertion id jti of mnemonic until until (its exp plus the skew, after
// which the assertion is refused as expired anyway), refusing one seen before. The ids expired
// are swept once the earliest is due, and all of them when the store is full.
func (e *ESIA) spendJTI(mnemonic, jti string, until time.Time) *refusal {
	now := e.clock.Now()
	k := jtiKey{mnemonic, jti}
	e.mu.Lock()
	defer e.mu.Unlock()
	sweep(e.jtis, &e.jtisNext, now)
	if _, seen := e.jtis[k]; seen {
		r := refuse(assertionInvalid, RuleJWT, "assertion.jti", msg.F("an id %s has not used before", mnemonic),
			msg.F("%q, already used", jti), msg.F("sign a fresh assertion with a new jti (a UUID) for every token request; never replay one"))
		r.detail = "assertion.jti was used before (a replay)"
		return r
	}
	if len(e.jtis) >= e.jtiLimit {
		e.jtisNext = time.Time{}
		sweep(e.jtis, &e.jtisNext, now)
	}
	if len(e.jtis) >= e.jtiLimit {
		r := refuse(jtiStoreFull, RuleJWT, "assertion.jti", msg.F("fewer than %d assertions in force", e.jtiLimit),
			msg.F("%d assertions in force", len(e.jtis)), msg.F("get a token once and renew it with its refresh token rather than by new assertions"))
		r.status = http.StatusServiceUnavailable
		r.breach.Note = msg.F("the simulator's bound on remembered assertion ids; not necessarily a fault of this request")
		return r
	}
	e.jtis[k] = until
	if e.jtisNext.IsZero() || until.Before(e.jtisNext) {
		e.jtisNext = until
	}
	return nil
}

// grantTokens issues an access token with roles and a refresh token renewing it, and answers them.
func (e *ESIA) grantTokens(w http.ResponseWriter, sys *System, scopes, roles []string, grantType string) {
	t, err := e.issue(grant{sys: sys, scopes: scopes, roles: roles})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	rt := e.storeRefresh(refreshGrant{mnemonic: sys.Mnemonic, scopes: scopes, roles: roles})
	e.record(Event{Mnemonic: sys.Mnemonic, Endpoint: PathToken, Grant: grantType, Outcome: Issued})
	writeJSON(w, http.StatusOK, jwtTokenResponse{AccessToken: t.access, RefreshToken: rt, TokenType: "Bearer",
		ExpiresIn: int(e.lifetime.Seconds()), Scope: strings.Join(scopes, " ")})
}
