package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// tokenMargin: a token this close to its expiry is renewed before use rather than sent to die.
const tokenMargin = 30 * time.Second

// Token exchanges the API key for a new access token at ESIA and keeps it for the API calls: Б.12,
// GET /esia-rs/api/public/v1/orgs/ext-app/{apiKey}/tkn?signature= with the base64url detached
// signature of the key by the system's certificate, answered {"accessTkn": …} (ESIA-B12). The key
// is read from the API key file (Config.APIKey).
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
	sig, err := esia.ClientSecret(c.cfg.Identity, key.Key)
	if err != nil {
		return "", fmt.Errorf("token: sign the API key: %w", err)
	}
	path := strings.Replace(esia.PathAPIKeyToken, "{apiKey}", url.PathEscape(key.Key), 1)
	u := c.cfg.ESIAURL + path + "?" + url.Values{"signature": {sig}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("token: GET %s: %w", esia.PathAPIKeyToken, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("token: read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token: %w", newAPIError(http.MethodGet, esia.PathAPIKeyToken, resp.StatusCode, body))
	}
	var t struct {
		AccessTkn string `json:"accessTkn"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessTkn == "" {
		return "", fmt.Errorf("token: the answer has no accessTkn: %q", truncate(body, 200))
	}
	expiry := expiryOf(t.AccessTkn, c.cfg.Clock.Now())
	c.mu.Lock()
	c.token, c.tokenExpiry = t.AccessTkn, expiry
	c.mu.Unlock()
	return t.AccessTkn, nil
}

// expiryOf reads the exp of a JWT access token without verifying it (the API verifies); a token
// without one is taken to live an hour, ESIA's usual lifetime.
func expiryOf(token string, now time.Time) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) == 3 {
		if payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "=")); err == nil {
			var c struct {
				Exp int64 `json:"exp"`
			}
			if json.Unmarshal(payload, &c) == nil && c.Exp > 0 {
				return time.Unix(c.Exp, 0)
			}
		}
	}
	return now.Add(time.Hour)
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
