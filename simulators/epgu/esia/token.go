package esia

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/shepconf/shepconf/internal/msg"
)

// AccessToken is what an access token says, as the EPGU simulator needs it.
type AccessToken struct {
	ClientID    string // the system's mnemonic
	Subject     string // the person's oid (the employee for an API-key token)
	OrgOID      string // the organisation's oid, when the token is for an organisation
	Scopes      []string
	Permissions []string
	Roles       []string // the system's roles (System.Roles), or the one an assertion asked for
	IssuedAt    time.Time
	ExpiresAt   time.Time
}

// VerifyAccessToken's errors wrap one of these: EPGU answers both with 401 (EPGU-A4), the
// client's cue to get a new token.
var (
	ErrTokenExpired = msg.Errorf("esia: access token expired")
	ErrTokenInvalid = msg.Errorf("esia: access token invalid")
)

// claims are the token's payload, named as ESIA's tokens name them (methodical recommendations
// В.5 as quoted by clients: nbf, scope, iss, urn:esia:sid, urn:esia:sbj_id, exp, iat, client_id).
// org_oid is how spec §5 (incident report) names the organisation in a token; permissions is the
// claim EPGU checks for APIPGU (EPGU-A4, access_denied_person_permissions); roles is the
// walkthrough's (seed 003, GP-W-ROLE: operator, client, administrator), a name of this simulator's
// since the walkthrough shows no token.
type claims struct {
	Issuer      string           `json:"iss"`
	ClientID    string           `json:"client_id"`
	Scope       string           `json:"scope"`
	SID         string           `json:"urn:esia:sid"`
	Subject     json.RawMessage  `json:"urn:esia:sbj_id"` // a number in ESIA's tokens
	OrgOID      string           `json:"org_oid,omitempty"`
	Permissions []string         `json:"permissions"`
	Roles       []string         `json:"roles,omitempty"`
	IssuedAt    *jwt.NumericDate `json:"iat"`
	NotBefore   *jwt.NumericDate `json:"nbf"`
	Expiry      *jwt.NumericDate `json:"exp"`
}

// idClaims is the OpenID Connect id_token ESIA adds when scope holds openid.
type idClaims struct {
	Issuer   string           `json:"iss"`
	Subject  string           `json:"sub"`
	Audience string           `json:"aud"`
	AuthTime *jwt.NumericDate `json:"auth_time"`
	IssuedAt *jwt.NumericDate `json:"iat"`
	Expiry   *jwt.NumericDate `json:"exp"`
	AMR      string           `json:"amr"`
}

func (e *ESIA) initSigner() error {
	switch k := e.identity.Key.Public().(type) {
	case *rsa.PublicKey:
		e.jwtAlg, e.jwtKey = jose.RS256, k
	case *ecdsa.PublicKey:
		e.jwtAlg, e.jwtKey = jose.ES256, k
	default:
		return fmt.Errorf("esia: token key %T: use RSA or ECDSA P-256", k)
	}
	return nil
}

// signer returns a JWS signer whose header carries ESIA's sbt (subject type: access or id) and
// ver, as ESIA's token headers do.
func (e *ESIA) signer(sbt string) (jose.Signer, error) {
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("sbt", sbt).WithHeader("ver", 1)
	return jose.NewSigner(jose.SigningKey{Algorithm: e.jwtAlg, Key: e.identity.Key}, opts)
}

// grant is what a token is issued for.
type grant struct {
	sys    *System
	scopes []string
	openID bool     // add an id_token
	roles  []string // the token's roles; nil: all of sys.Roles
}

// tokens are the issued token texts.
type tokens struct {
	access, id string
}

func (e *ESIA) issue(g grant) (tokens, error) {
	now := e.clock.Now().Truncate(time.Second)
	sid := randomHex(16)
	if g.roles == nil {
		g.roles = g.sys.Roles
	}
	c := claims{
		Issuer:      e.issuer,
		ClientID:    g.sys.Mnemonic,
		Scope:       strings.Join(g.scopes, " "),
		SID:         sid,
		Subject:     oidJSON(g.sys.UserOID),
		OrgOID:      g.sys.OrgOID,
		Permissions: g.sys.Permissions,
		Roles:       g.roles,
		IssuedAt:    jwt.NewNumericDate(now),
		NotBefore:   jwt.NewNumericDate(now),
		Expiry:      jwt.NewNumericDate(now.Add(e.lifetime)),
	}
	s, err := e.signer("access")
	if err != nil {
		return tokens{}, fmt.Errorf("esia: sign access token: %w", err)
	}
	var t tokens
	if t.access, err = jwt.Signed(s).Claims(c).Serialize(); err != nil {
		return tokens{}, fmt.Errorf("esia: sign access token: %w", err)
	}
	if g.openID {
		s, err := e.signer("id")
		if err != nil {
			return tokens{}, fmt.Errorf("esia: sign id token: %w", err)
		}
		id := idClaims{Issuer: e.issuer, Subject: g.sys.UserOID, Audience: g.sys.Mnemonic, AMR: "PWD",
			AuthTime: c.IssuedAt, IssuedAt: c.IssuedAt, Expiry: c.Expiry}
		if t.id, err = jwt.Signed(s).Claims(id).Serialize(); err != nil {
			return tokens{}, fmt.Errorf("esia: sign id token: %w", err)
		}
	}
	e.mu.Lock()
	e.pruneLocked(now)
	e.issued[g.sys.Mnemonic] = append(e.issued[g.sys.Mnemonic], issuedSID{sid: sid, expires: c.Expiry.Time()})
	e.mu.Unlock()
	return t, nil
}

// issuedSID is a token in force that RevokeTokens may revoke or ExpireTokens expire.
type issuedSID struct {
	sid     string
	expires time.Time
}

// pruneLocked forgets the tokens expired at now, issued, revoked or expired early: VerifyAccessToken
// refuses an expired token before it looks for a revocation, so their records serve nothing and
// would grow with every token issued. Called with e.mu held on each issue, revocation and
// ExpireTokens. A system's tokens are appended about in expiry order (one lifetime for all), so its
// expired ones are a prefix; the revoked and early-expired ones are swept only once the earliest of
// them has expired.
func (e *ESIA) pruneLocked(now time.Time) {
	for m, list := range e.issued {
		i := 0
		for i < len(list) && !now.Before(list[i].expires) {
			i++
		}
		switch {
		case i == len(list):
			delete(e.issued, m)
		case i > 0:
			e.issued[m] = list[i:] // the head is freed when append next grows the array
		}
	}
	sweep(e.revoked, &e.revokedNext, now)
	sweep(e.expired, &e.expiredNext, now)
}

// sweep deletes the entries of m whose time is not after now, once the earliest of them (*next)
// is due, and sets *next to the earliest left.
func sweep[K comparable](m map[K]time.Time, next *time.Time, now time.Time) {
	if len(m) == 0 || now.Before(*next) {
		return
	}
	*next = time.Time{}
	for k, t := range m {
		switch {
		case !now.Before(t):
			delete(m, k)
		case next.IsZero() || t.Before(*next):
			*next = t
		}
	}
}

// VerifyAccessToken checks raw was issued by this ESIA (signature, issuer), is in force on ESIA's
// clock and was not revoked, and returns what it says.
func (e *ESIA) VerifyAccessToken(raw string) (AccessToken, error) {
	raw = strings.TrimSpace(raw)
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{e.jwtAlg})
	if err != nil {
		return AccessToken{}, msg.Errorf("%w: not a signed JWT: %v", ErrTokenInvalid, err)
	}
	if typ, _ := tok.Headers[0].ExtraHeaders["sbt"].(string); typ != "access" {
		return AccessToken{}, msg.Errorf("%w: header sbt is %q, not access (an id_token is no access token)", ErrTokenInvalid, typ)
	}
	var c claims
	if err := tok.Claims(e.jwtKey, &c); err != nil {
		return AccessToken{}, msg.Errorf("%w: signature does not verify with ESIA's key: %v", ErrTokenInvalid, err)
	}
	if c.Issuer != e.issuer {
		return AccessToken{}, msg.Errorf("%w: issuer %q, expected %q", ErrTokenInvalid, c.Issuer, e.issuer)
	}
	if c.IssuedAt == nil || c.Expiry == nil || c.ClientID == "" || c.SID == "" {
		return AccessToken{}, msg.Errorf("%w: iat, exp, client_id or urn:esia:sid missing", ErrTokenInvalid)
	}
	at := AccessToken{
		ClientID:    c.ClientID,
		Subject:     oidText(c.Subject),
		OrgOID:      c.OrgOID,
		Scopes:      strings.Fields(c.Scope),
		Permissions: c.Permissions,
		Roles:       c.Roles,
		IssuedAt:    c.IssuedAt.Time(),
		ExpiresAt:   c.Expiry.Time(),
	}
	now := e.clock.Now()
	if c.NotBefore != nil && now.Before(c.NotBefore.Time()) {
		return at, msg.Errorf("%w: not valid before %s (now %s)", ErrTokenInvalid, c.NotBefore.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !now.Before(at.ExpiresAt) {
		return at, msg.Errorf("%w: at %s (now %s)", ErrTokenExpired, at.ExpiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	e.mu.Lock()
	_, revoked := e.revoked[c.SID]
	_, expired := e.expired[c.SID]
	e.mu.Unlock()
	if revoked {
		return at, msg.Errorf("%w: revoked (every token of %s was revoked)", ErrTokenInvalid, c.ClientID)
	}
	if expired {
		return at, msg.Errorf("%w: expired before its exp %s (every token of %s was expired early)", ErrTokenExpired,
			at.ExpiresAt.UTC().Format(time.RFC3339), c.ClientID)
	}
	return at, nil
}

// RevokeTokens makes every token issued so far to the system stop working, so a scenario can force
// a 401 from EPGU and watch the client get a new token. Tokens issued later work.
func (e *ESIA) RevokeTokens(mnemonic string) {
	now := e.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pruneLocked(now)
	for _, t := range e.issued[mnemonic] {
		e.revoked[t.sid] = t.expires
		if e.revokedNext.IsZero() || t.expires.Before(e.revokedNext) {
			e.revokedNext = t.expires
		}
	}
	delete(e.issued, mnemonic)
}

// ExpireTokens makes every access token issued so far to the system fail as expired
// (ErrTokenExpired, not ErrTokenInvalid), so a scenario can force the 401 token.expired the
// walkthrough's client answers with its refresh token (GP-W-REFRESH). Its refresh tokens stay good;
// tokens issued later work.
func (e *ESIA) ExpireTokens(mnemonic string) {
	now := e.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pruneLocked(now)
	for _, t := range e.issued[mnemonic] {
		e.expired[t.sid] = t.expires
		if e.expiredNext.IsZero() || t.expires.Before(e.expiredNext) {
			e.expiredNext = t.expires
		}
	}
	delete(e.issued, mnemonic)
}

// oidJSON writes an oid as ESIA does, a JSON number, when it is one.
func oidJSON(oid string) json.RawMessage {
	if _, err := strconv.ParseUint(oid, 10, 64); err == nil {
		return json.RawMessage(oid)
	}
	b, _ := json.Marshal(oid)
	return b
}

// oidText reads an oid written as a number or a string.
func oidText(m json.RawMessage) string {
	var s string
	if json.Unmarshal(m, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(m))
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("esia: no randomness: " + err.Error()))
	}
	return hex.EncodeToString(b)
}
