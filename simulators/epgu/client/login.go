package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// LoginScope is what a citizen's sign-in asks for: openid (the id_token naming the user) and the
// EPGU scope a person's token needs to reach the API (EPGU-1.1: a person's token comes from ESIA's
// OAuth 2.0 flow of В.2). Both are among the scopes ESIA grants a system registered for the API.
const LoginScope = "openid " + esia.ScopeAPIOrder

// staleBy is how old the stale-timestamp defect makes the signed timestamp: far beyond any skew
// ESIA allows (esia.DefaultSkew).
const staleBy = 2 * time.Hour

// ErrForeignState is a callback whose state is not the one the login sent: it may be forged, and
// its code is not exchanged (ESIA-OAUTH: state protects the flow against request forgery).
var ErrForeignState = errors.New("login: the callback's state is not the one this login sent")

// Login is one citizen's sign-in in progress through ESIA's authorisation-code flow (ESIA-OAUTH).
type Login struct {
	URL         string // the authorisation URL the user's browser is sent to
	State       string // a fresh UUID, which ESIA brings back to the callback
	Scope       string
	RedirectURI string
}

// StartLogin makes the signed authorisation URL for a new sign-in that ESIA will send back to
// redirectURI (one registered for the system): client_secret over
// client_id+scope+timestamp+state+redirect_uri with a fresh UUID state.
func (c *Client) StartLogin(redirectURI string) (Login, error) {
	if c.err != nil {
		return Login{}, c.err
	}
	if c.cfg.Identity == nil {
		return Login{}, errors.New("login: no identity to sign client_secret with")
	}
	l := Login{State: uuid.NewString(), Scope: LoginScope, RedirectURI: redirectURI}
	ec := c.esia()
	if c.has(DefectStaleTimestamp) {
		ec.Now = func() time.Time { return c.cfg.Clock.Now().Add(-staleBy) }
	}
	u, err := ec.AuthCodeURL(l.Scope, redirectURI, l.State)
	if err != nil {
		return Login{}, fmt.Errorf("login: %w", err)
	}
	l.URL = u
	return l, nil
}

// FinishLogin takes the query ESIA's redirect brought to the callback: it refuses a state other
// than the login's (ErrForeignState, before anything else), reports ESIA's refusal
// (*esia.ResponseError), and exchanges the code for the citizen's tokens at ESIA.
func (c *Client) FinishLogin(ctx context.Context, l Login, callback url.Values) (*oauth2.Token, error) {
	if c.err != nil {
		return nil, c.err
	}
	if callback.Get("state") != l.State {
		return nil, ErrForeignState
	}
	if re := esia.ErrorFromRedirect(callback); re != nil {
		return nil, fmt.Errorf("login: ESIA refused the authorisation: %w", re)
	}
	code := callback.Get("code")
	if code == "" {
		return nil, errors.New("login: the callback brings neither a code nor an error")
	}
	tok, err := c.esia().Exchange(ctx, code, l.Scope, l.RedirectURI)
	if err != nil {
		return nil, fmt.Errorf("login: exchange the code: %w", err)
	}
	return tok, nil
}

// esia is the system's side of ESIA on the client's configuration.
func (c *Client) esia() *esia.Client {
	return &esia.Client{BaseURL: c.cfg.ESIAURL, Mnemonic: c.cfg.Mnemonic, Identity: c.cfg.Identity,
		HTTPClient: c.cfg.HTTPClient, Now: c.cfg.Clock.Now}
}
