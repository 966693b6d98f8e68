package agency

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// sendToken is the sending API's token pair: the access token of a JWT assertion and the refresh
// token that renews it (GP-W-AUTH, GP-W-REFRESH).
type sendToken struct {
	access, refresh string
	renewAt         time.Time
}

// readToken is the reading API's access token for the API key (Б.12, GP-R-AUTH).
type readToken struct {
	access  string
	renewAt time.Time
}

// maxTokenMargin: a token this close to its expiry is renewed before use rather than sent to
// die; a short-lived token (a run's shrunk lifetime) is renewed in its last tenth.
const maxTokenMargin = 30 * time.Second

// renewAt is when a token expiring at exp is renewed.
func renewAt(now, exp time.Time) time.Time {
	life := exp.Sub(now)
	return exp.Add(-min(maxTokenMargin, life/10))
}

// esiaClient is the system's side of ESIA: the one implementation of its grants.
func (c *Client) esiaClient() *esia.Client {
	return &esia.Client{BaseURL: c.cfg.ESIAURL, Mnemonic: c.cfg.Mnemonic, Identity: c.cfg.Identity,
		HTTPClient: c.cfg.HTTPClient, Now: c.cfg.Clock.Now}
}

// role is the role the sending token is asked for: operator sends (GP-W-ROLE).
func (c *Client) role() string {
	if c.has(DefectWrongRole) {
		return wire.RoleClient // DefectWrongRole: a role that may not send
	}
	return wire.RoleOperator
}

// token is the API's kept token while it is not about to expire, else a new one.
func (c *Client) token(ctx context.Context, a api) (string, error) {
	if tok := c.current(a, true); tok != "" {
		return tok, nil
	}
	c.renewing.Lock()
	defer c.renewing.Unlock()
	if tok := c.current(a, true); tok != "" {
		return tok, nil // renewed meanwhile
	}
	if a == readingAPI {
		return c.newReadToken(ctx)
	}
	c.mu.Lock()
	refresh := c.sending.refresh
	c.mu.Unlock()
	if refresh != "" && !c.has(DefectExpiredToken) {
		return c.refreshSendToken(ctx, refresh)
	}
	return c.newSendToken(ctx)
}

// current is the API's kept token, or "" when there is none or (fresh) it is about to expire.
func (c *Client) current(a api, fresh bool) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	tok, at := c.sending.access, c.sending.renewAt
	if a == readingAPI {
		tok, at = c.reading.access, c.reading.renewAt
	}
	if fresh && !c.cfg.Clock.Now().Before(at) {
		return ""
	}
	return tok
}

// renew replaces the API's token after a 401 on failed. GP-W-REFRESH: an expired sending token is
// renewed by its refresh token, with a new assertion only when ESIA refuses the refresh; a token
// no longer valid for another reason by a new assertion. GP-R-AUTH: the reading token by a new
// API-key token.
func (c *Client) renew(ctx context.Context, a api, failed string, expired bool) error {
	c.renewing.Lock()
	defer c.renewing.Unlock()
	if cur := c.current(a, false); cur != "" && cur != failed {
		return nil // another call renewed it already
	}
	if a == readingAPI {
		_, err := c.newReadToken(ctx)
		return err
	}
	if expired && c.has(DefectExpiredToken) {
		return nil // DefectExpiredToken: the same token once more
	}
	c.mu.Lock()
	refresh := c.sending.refresh
	c.mu.Unlock()
	if expired && refresh != "" {
		_, err := c.refreshSendToken(ctx, refresh)
		return err
	}
	_, err := c.newSendToken(ctx)
	return err
}

// newSendToken gets a token by a JWT assertion signed with the system's key (GP-W-AUTH).
func (c *Client) newSendToken(ctx context.Context) (string, error) {
	tok, err := c.esiaClient().AssertionToken(ctx, c.role())
	if err != nil {
		return "", fmt.Errorf("token by assertion: %w", esiaError(http.MethodPost, esia.PathToken, err))
	}
	return c.keepSendToken(tok, "")
}

// refreshSendToken renews the sending token by its refresh token (GP-W-REFRESH); when ESIA refuses
// the refresh token (spent, expired) it falls back to a new assertion.
func (c *Client) refreshSendToken(ctx context.Context, refresh string) (string, error) {
	tok, err := c.esiaClient().Refresh(ctx, refresh)
	var re *esia.ResponseError
	if errors.As(err, &re) {
		c.mu.Lock()
		if c.sending.refresh == refresh {
			c.sending.refresh = ""
		}
		c.mu.Unlock()
		return c.newSendToken(ctx)
	}
	if err != nil {
		return "", fmt.Errorf("token by refresh: %w", err)
	}
	return c.keepSendToken(tok, refresh)
}

// keepSendToken keeps tok for the calls; a refresh token it lacks stays the previous one.
func (c *Client) keepSendToken(tok *oauth2.Token, previous string) (string, error) {
	if tok == nil || tok.AccessToken == "" {
		return "", errors.New("token: ESIA answered without an access_token")
	}
	// The token's own exp is on ESIA's clock; x/oauth2's Expiry is expires_in on the wall clock.
	now := c.cfg.Clock.Now()
	exp, ok := expiryOf(tok.AccessToken)
	switch {
	case ok:
	case !tok.Expiry.IsZero():
		exp = tok.Expiry
	default:
		exp = now.Add(esia.DefaultTokenLifetime)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sending.access, c.sending.renewAt = tok.AccessToken, renewAt(now, exp)
	c.sending.refresh = tok.RefreshToken
	if c.sending.refresh == "" {
		c.sending.refresh = previous
	}
	return tok.AccessToken, nil
}

// newReadToken gets a token for the API key (Б.12, GP-R-AUTH) through esia.Client's APIKeyToken.
func (c *Client) newReadToken(ctx context.Context) (string, error) {
	key, err := esia.ParseAPIKey(c.cfg.APIKey)
	if err != nil {
		return "", fmt.Errorf("token by API key: Config.APIKey: %w", err)
	}
	tok, err := c.esiaClient().APIKeyToken(ctx, key.Key)
	if err != nil {
		return "", fmt.Errorf("token by API key: %w", esiaError(http.MethodGet, esia.PathAPIKeyToken, err))
	}
	now := c.cfg.Clock.Now()
	exp, ok := expiryOf(tok)
	if !ok {
		exp = now.Add(esia.DefaultTokenLifetime)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reading.access, c.reading.renewAt = tok, renewAt(now, exp)
	return tok, nil
}

// tokenAlgorithms are the algorithms ESIA's tokens are seen signed with; any other one named in a
// token is taken too, as the claims are read without verification.
var tokenAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.PS256}

// expiryOf reads the exp of a JWT access token without verifying it (the API verifies, and the
// client holds no key of ESIA's); false when it has no readable one.
func expiryOf(token string) (time.Time, bool) {
	tok, err := jwt.ParseSigned(token, tokenAlgorithms)
	var alg *jose.ErrUnexpectedSignatureAlgorithm
	if errors.As(err, &alg) {
		tok, err = jwt.ParseSigned(token, []jose.SignatureAlgorithm{alg.Got})
	}
	var claims jwt.Claims
	if err != nil || tok.UnsafeClaimsWithoutVerification(&claims) != nil || claims.Expiry == nil {
		return time.Time{}, false
	}
	return claims.Expiry.Time(), true
}
