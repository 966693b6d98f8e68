package esia

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// assertionLifetime is how long the assertions Client signs live: well within the server's
// maxAssertionLifetime, long enough for a slow round trip.
const assertionLifetime = 5 * time.Minute

// AssertionToken gets a token by a JWT assertion (GrantJWTBearer, RuleJWT): it signs
// {iss, sub: Mnemonic; aud: BaseURL+PathToken; iat: now; exp: now+5 min; jti: a UUID} with
// Identity (RS256 for an RSA key, ES256 for ECDSA P-256; header x5c: the certificate and its chain)
// and posts it with client_id and role (omitted when empty: the system's first role). The token's
// RefreshToken renews it (Refresh); its Extra("scope") is the scope granted. A refusal is a
// *ResponseError.
//
// x/oauth2's own jwt package signs RS256 only, and its Exchange would send a code, so the form is
// posted here; the answer is the *oauth2.Token a caller's oauth2 code takes.
func (c *Client) AssertionToken(ctx context.Context, role string) (*oauth2.Token, error) {
	a, err := c.assertion()
	if err != nil {
		return nil, err
	}
	v := url.Values{"grant_type": {GrantJWTBearer}, "assertion": {a}, "client_id": {c.Mnemonic}}
	if role != "" {
		v.Set("role", role)
	}
	return c.tokenRequest(ctx, v)
}

// Refresh renews a token of AssertionToken by its refresh token (GrantRefreshToken,
// GP-W-REFRESH): the answer has a new access token with the same role and a new refresh token; the
// one sent is spent. A refusal (spent, unknown, expired, another system's) is a *ResponseError
// with Err invalid_grant: get a token by a new assertion then.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	return c.tokenRequest(ctx, url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {refreshToken}, "client_id": {c.Mnemonic}})
}

// assertion signs the client's assertion for the token endpoint.
func (c *Client) assertion() (string, error) {
	if c.Identity == nil || c.Identity.Certificate == nil || c.Identity.Key == nil {
		return "", fmt.Errorf("esia: assertion: Client.Identity needs a certificate and its key")
	}
	var alg jose.SignatureAlgorithm
	switch k := c.Identity.Key.(type) {
	case *rsa.PrivateKey:
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("esia: assertion: ECDSA curve %s: use P-256 (ES256)", k.Curve.Params().Name)
		}
		alg = jose.ES256
	default:
		return "", fmt.Errorf("esia: assertion: key %T: use RSA or ECDSA P-256", k)
	}
	x5c := []string{base64.StdEncoding.EncodeToString(c.Identity.Certificate.Raw)}
	for _, ca := range c.Identity.Chain {
		x5c = append(x5c, base64.StdEncoding.EncodeToString(ca.Raw))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: c.Identity.Key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("x5c", x5c))
	if err != nil {
		return "", fmt.Errorf("esia: assertion: %w", err)
	}
	now := c.now()
	claims := jwt.Claims{
		Issuer: c.Mnemonic, Subject: c.Mnemonic,
		Audience: jwt.Audience{strings.TrimSuffix(c.BaseURL, "/") + PathToken},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(assertionLifetime)),
		ID: uuid.NewString(),
	}
	out, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("esia: assertion: %w", err)
	}
	return out, nil
}

// tokenRequest posts v to the token endpoint and reads a jwtTokenResponse. Expiry is counted on
// the client's clock (Now), which x/oauth2 would not do.
func (c *Client) tokenRequest(ctx context.Context, v url.Values) (*oauth2.Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.BaseURL, "/")+PathToken, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("esia: %s token: %w", v.Get("grant_type"), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("esia: %s token: %w", v.Get("grant_type"), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, responseError(resp.StatusCode, body)
	}
	var out jwtTokenResponse
	if err := json.Unmarshal(body, &out); err != nil || out.AccessToken == "" {
		return nil, fmt.Errorf("esia: %s token: HTTP 200 without access_token: %q", v.Get("grant_type"), excerpt(body, 200))
	}
	tok := &oauth2.Token{AccessToken: out.AccessToken, TokenType: out.TokenType, RefreshToken: out.RefreshToken, ExpiresIn: int64(out.ExpiresIn)}
	if out.ExpiresIn > 0 {
		tok.Expiry = c.now().Add(time.Duration(out.ExpiresIn) * time.Second)
	}
	return tok.WithExtra(map[string]any{"scope": out.Scope}), nil
}
