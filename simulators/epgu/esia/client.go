package esia

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
)

// Client is an agency system's side of ESIA, for the reference client and the tests: the signed
// authorisation URL, the code exchange, the API-key token, and the token by a JWT assertion and its
// refresh (client_jwt.go). The code flow goes through
// golang.org/x/oauth2 (AuthCodeURL, Exchange): ESIA's extras (client_secret signed per request,
// timestamp, state, scope, token_type) ride as extra parameters with the client's secret left empty
// so that x/oauth2 sends the per-request signature untouched (AuthStyleInParams).
type Client struct {
	BaseURL    string        // ESIA's base URL, e.g. https://127.0.0.1:41234
	Mnemonic   string        // client_id
	Identity   *pki.Identity // the system's certificate and key: signs client_secret, the API key and assertions
	HTTPClient *http.Client  // nil: http.DefaultClient
	Now        func() time.Time
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) config(scope, redirectURI string) *oauth2.Config {
	base := strings.TrimSuffix(c.BaseURL, "/")
	return &oauth2.Config{
		ClientID: c.Mnemonic,
		Endpoint: oauth2.Endpoint{AuthURL: base + PathAuthorize, TokenURL: base + PathToken, AuthStyle: oauth2.AuthStyleInParams},
		// scope is sent as one already space-separated string
		Scopes:      strings.Fields(scope),
		RedirectURL: redirectURI,
	}
}

// AuthCodeURL is where the system sends the user: /aas/oauth2/v2/ac with a client_secret over
// client_id+scope+timestamp+state+redirect_uri. state must be a UUID (uuid.NewString()).
func (c *Client) AuthCodeURL(scope, redirectURI, state string) (string, error) {
	ts := Timestamp(c.now().UTC())
	secret, err := ClientSecret(c.Identity, c.Mnemonic, scope, ts, state, redirectURI)
	if err != nil {
		return "", err
	}
	return c.config(scope, redirectURI).AuthCodeURL(state,
		oauth2.SetAuthURLParam("client_secret", secret),
		oauth2.SetAuthURLParam("timestamp", ts),
		oauth2.SetAuthURLParam("client_certificate_hash", CertificateHash(c.Identity.Certificate)),
		oauth2.AccessTypeOnline), nil
}

// Exchange trades the code from the redirect for tokens at /aas/oauth2/v3/te, signing
// client_id+scope+timestamp+state+redirect_uri+code with a fresh state. The id_token and state are
// in the token's Extra. A refusal is a *ResponseError.
func (c *Client) Exchange(ctx context.Context, code, scope, redirectURI string) (*oauth2.Token, error) {
	ts, state := Timestamp(c.now().UTC()), uuid.NewString()
	secret, err := ClientSecret(c.Identity, c.Mnemonic, scope, ts, state, redirectURI, code)
	if err != nil {
		return nil, err
	}
	if c.HTTPClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, c.HTTPClient)
	}
	tok, err := c.config(scope, redirectURI).Exchange(ctx, code,
		oauth2.SetAuthURLParam("client_secret", secret),
		oauth2.SetAuthURLParam("scope", scope),
		oauth2.SetAuthURLParam("timestamp", ts),
		oauth2.SetAuthURLParam("state", state),
		oauth2.SetAuthURLParam("token_type", "Bearer"),
		oauth2.SetAuthURLParam("client_certificate_hash", CertificateHash(c.Identity.Certificate)))
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		out := &ResponseError{Err: re.ErrorCode, Description: re.ErrorDescription, Body: re.Body}
		if re.Response != nil {
			out.StatusCode = re.Response.StatusCode
		}
		return nil, out
	}
	return tok, err
}

// APIKeyToken gets a token for an API key (Б.12, ESIA-B12): GET …/ext-app/{key}/tkn?signature=
// with the base64url detached signature of the key by Identity, answered {"accessTkn": …}. A
// refusal is a *ResponseError. It is the one implementation of the call: the reference client
// (simulators/epgu/client) uses it too.
func (c *Client) APIKeyToken(ctx context.Context, apiKey string) (string, error) {
	sig, err := cms.SignDetached(c.Identity, []byte(apiKey))
	if err != nil {
		return "", fmt.Errorf("esia: sign the API key: %w", err)
	}
	u := strings.TrimSuffix(c.BaseURL, "/") + strings.Replace(PathAPIKeyToken, "{apiKey}", url.PathEscape(apiKey), 1) +
		"?" + url.Values{"signature": {encodeSecret(sig)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("esia: API key token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("esia: API key token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", responseError(resp.StatusCode, body)
	}
	var out apiKeyTokenResponse
	if err := json.Unmarshal(body, &out); err != nil || out.AccessTkn == "" {
		return "", fmt.Errorf("esia: API key token: HTTP 200 without accessTkn: %q", excerpt(body, 200))
	}
	return out.AccessTkn, nil
}

// excerpt is the first n bytes of b, marked when cut: an answer quoted in an error message.
func excerpt(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return strings.ToValidUTF8(string(b[:n]), "") + fmt.Sprintf("… (%d bytes)", len(b))
}

// ResponseError is ESIA's refusal as a client sees it.
type ResponseError struct {
	StatusCode  int
	Err         string // error: invalid_request, …
	Description string // error_description: "ESIA-007014: …"
	State       string
	Body        []byte // the answer as received (at most 1 MiB); nil from a redirect
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("esia: HTTP %d: %s: %s", e.StatusCode, e.Err, e.Description)
}

// Code is the ESIA code that opens the description ("ESIA-007014"), or "".
func (e *ResponseError) Code() string {
	id, _, _ := strings.Cut(e.Description, ":")
	if strings.HasPrefix(id, "ESIA-") {
		return id
	}
	return ""
}

func responseError(status int, body []byte) *ResponseError {
	var b errorBody
	_ = json.Unmarshal(body, &b)
	return &ResponseError{StatusCode: status, Err: b.Error, Description: b.ErrorDescription, State: b.State, Body: body}
}

// ErrorFromRedirect reads a refusal ESIA sent back to redirect_uri, or nil when the query has a code.
func ErrorFromRedirect(query url.Values) *ResponseError {
	if query.Get("error") == "" {
		return nil
	}
	return &ResponseError{StatusCode: http.StatusFound, Err: query.Get("error"), Description: query.Get("error_description"), State: query.Get("state")}
}
