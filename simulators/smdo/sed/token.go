package sed

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// pathToken is the token endpoint below the router's base URL (SMDO-TOKEN).
const pathToken = "token?scope=application&grant_type=client_credentials"

// maxTokenMargin: a token this close to its expiry is renewed before use rather than sent to die;
// a short-lived token is renewed in its last tenth.
const maxTokenMargin = 30 * time.Second

// Token gets a new access token with the client credentials in HTTP Basic and keeps it for the
// calls (SMDO-TOKEN). A refusal is a *RefusedError at StageToken over the *APIError.
func (c *Client) Token(ctx context.Context) (string, error) {
	if c.err != nil {
		return "", c.err
	}
	basic := base64.StdEncoding.EncodeToString([]byte(c.cfg.Username + ":" + c.cfg.Password))
	r, err := c.exchange(ctx, call{method: http.MethodPost, path: pathToken,
		contentType: "application/x-www-form-urlencoded"}, "Basic "+basic)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	if r.status != http.StatusOK {
		ae := newAPIError(http.MethodPost, pathToken, r.status, r.body)
		return "", &RefusedError{Stage: StageToken, Status: r.status, Message: ae.Message, Rule: ae.Rule, Err: ae}
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(r.body, &t); err != nil || t.AccessToken == "" {
		return "", fmt.Errorf("token: the answer has no access_token: %q", truncate(r.body, 200))
	}
	now := c.cfg.Clock.Now()
	life := time.Duration(t.ExpiresIn) * time.Second
	if t.ExpiresIn <= 0 {
		life = time.Hour // the router's usual lifetime, when it names none
	}
	expiry := now.Add(life - min(maxTokenMargin, life/10))
	c.mu.Lock()
	c.token, c.tokenExpiry = t.AccessToken, expiry
	c.mu.Unlock()
	return t.AccessToken, nil
}

// accessToken is the kept token while it is not about to expire, else a new one.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok, exp := c.token, c.tokenExpiry
	c.mu.Unlock()
	if tok != "" && c.cfg.Clock.Now().Before(exp) {
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

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
