package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// tokenMargin: a token this close to its expiry is renewed before use rather than sent to die.
const tokenMargin = 30 * time.Second

// Token exchanges the API key for a new access token at ESIA and keeps it for the API calls (Б.12,
// ESIA-B12). The call itself is esia.Client's APIKeyToken, the one implementation of the protocol;
// the key is read from the API key file (Config.APIKey). ESIA's refusal is an *APIError.
func (c *Client) Token(ctx context.Context) (string, error) {
	if c.err != nil {
		return "", c.err
	}
	if c.cfg.Identity == nil {
		return "", fmt.Errorf("token: no identity to sign the API key with")
	}
	key, err := esia.ParseAPIKey(c.cfg.APIKey)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	ec := esia.Client{BaseURL: c.cfg.ESIAURL, Mnemonic: c.cfg.Mnemonic, Identity: c.cfg.Identity,
		HTTPClient: c.cfg.HTTPClient, Now: c.cfg.Clock.Now}
	tok, err := ec.APIKeyToken(ctx, key.Key)
	var re *esia.ResponseError
	if errors.As(err, &re) {
		return "", fmt.Errorf("token: %w", newAPIError(http.MethodGet, esia.PathAPIKeyToken, re.StatusCode, re.Body))
	}
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	expiry := expiryOf(tok, c.cfg.Clock.Now())
	c.mu.Lock()
	c.token, c.tokenExpiry = tok, expiry
	c.mu.Unlock()
	return tok, nil
}

// tokenAlgorithms are the algorithms ESIA's tokens are seen signed with; any other one named in a
// token is taken too, as the claims are read without verification.
var tokenAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, "GOST3410_2012_256"}

// expiryOf reads the exp of a JWT access token without verifying it (the API verifies, and the
// client holds no key of ESIA's); a token without a readable one is taken to live an hour, ESIA's
// usual lifetime.
func expiryOf(token string, now time.Time) time.Time {
	tok, err := jwt.ParseSigned(token, tokenAlgorithms)
	var alg *jose.ErrUnexpectedSignatureAlgorithm
	if errors.As(err, &alg) {
		tok, err = jwt.ParseSigned(token, []jose.SignatureAlgorithm{alg.Got})
	}
	var c jwt.Claims
	if err != nil || tok.UnsafeClaimsWithoutVerification(&c) != nil || c.Expiry == nil {
		return now.Add(time.Hour)
	}
	return c.Expiry.Time()
}

// accessToken is the kept token while it is not about to expire, else a new one.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok, exp := c.token, c.tokenExpiry
	c.mu.Unlock()
	if tok != "" && c.cfg.Clock.Now().Add(tokenMargin).Before(exp) {
		return tok, nil
	}
	return c.Token(ctx)
}

// dropToken forgets tok after a 401, unless another call already replaced it.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.mu.Unlock()
}
