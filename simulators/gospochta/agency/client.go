package agency

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// Client is one agency system connected to the Gospochta contour, sender and reader. It is safe
// for concurrent use.
type Client struct {
	cfg      Config
	defects  map[string]bool
	verifier cms.Verifier

	// renewing serialises token renewals, so that concurrent calls that meet the same 401 spend
	// the refresh token once (it rotates) instead of racing to spend it twice.
	renewing sync.Mutex
	mu       sync.Mutex // guards the tokens and the quota count
	sending  sendToken
	reading  readToken
	quota    quotaDay

	notes notes // the state notifications pushed to the system
}

// New makes a client of cfg, or says which field is missing.
func New(cfg Config) (*Client, error) {
	if err := CheckDefects(cfg.Defects); err != nil {
		return nil, fmt.Errorf("agency: %w", err)
	}
	switch {
	case cfg.ESIAURL == "":
		return nil, errors.New("agency: Config.ESIAURL is empty; give ESIA's base URL")
	case cfg.APIURL == "":
		return nil, errors.New("agency: Config.APIURL is empty; give the contour's base URL")
	case cfg.Mnemonic == "":
		return nil, errors.New("agency: Config.Mnemonic is empty; give the system's client_id at ESIA")
	case cfg.Identity == nil || cfg.Identity.Certificate == nil || cfg.Identity.Key == nil:
		return nil, errors.New("agency: Config.Identity needs a certificate and its key (assertions, signatures, mTLS)")
	case cfg.HMACKey != nil && len(cfg.HMACKey) != wire.KeySize:
		return nil, fmt.Errorf("agency: Config.HMACKey has %d bytes; the packet key is %d bytes", len(cfg.HMACKey), wire.KeySize)
	}
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, defects: map[string]bool{}}
	for _, d := range cfg.Defects {
		c.defects[d] = true
	}
	c.verifier = cms.Verifier{Roots: cfg.Roots, Now: cfg.Clock.Now}
	c.notes.init()
	return c, nil
}

func (c *Client) has(defect string) bool { return c.defects[defect] }

// Mnemonic is the system's client_id.
func (c *Client) Mnemonic() string { return c.cfg.Mnemonic }

// CloseIdleConnections closes the idle connections of the client's HTTP client, when it is done
// with it.
func (c *Client) CloseIdleConnections() { c.cfg.HTTPClient.CloseIdleConnections() }

// api says which of the two APIs a call goes to: their authentication differs.
type api int

const (
	sendingAPI api = iota // walkthrough: assertion token, X-Packet-HMAC
	readingAPI            // published: API-key token
)

// call is one API request, replayable after a new token.
type call struct {
	api     api
	method  string
	pattern string // the wire path pattern, for errors
	path    string // the path sent, below APIURL
	query   url.Values
	body    []byte
}

// reply is an answer of the API, any status.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// action collects the X-Request-Id of every request made for one Send or Read (the trigger's
// RequestIDs, GP-W-AUDIT).
type action struct {
	mu  sync.Mutex
	ids []string
}

// maxRequestIDs bounds what one action records: a reading opens every card it finds, so a large
// mailbox could otherwise grow the list without end.
const maxRequestIDs = 100_000

func (a *action) add(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.ids) < maxRequestIDs {
		a.ids = append(a.ids, id)
	}
}

func (a *action) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.ids...)
}

// maxReply is the most the client reads of one answer, an attachment included.
const maxReply = 64 << 20

// do sends k with the API's token. GP-W-AUTH, GP-W-REFRESH, GP-R-AUTH: on 401 (no longer
// valid, or expired) it renews the token and repeats the call once, with a new request id; every
// other failure is final and returned as an *APIError.
func (c *Client) do(ctx context.Context, act *action, k call) (*reply, error) {
	for renewed := false; ; renewed = true {
		token, err := c.token(ctx, k.api)
		if err != nil {
			return nil, err
		}
		r, err := c.exchange(ctx, act, k, token)
		if err != nil {
			return nil, err
		}
		if r.status >= 200 && r.status < 300 {
			return r, nil
		}
		ae := newAPIError(k.method, k.pattern, r.status, r.body)
		if r.status != http.StatusUnauthorized || renewed || (ae.Code != wire.CodeTokenExpired && ae.Code != wire.CodeUnauthorized) {
			return nil, ae
		}
		if err := c.renew(ctx, k.api, token, ae.Code == wire.CodeTokenExpired); err != nil {
			return nil, err
		}
	}
}

// exchange makes one HTTP exchange with the API: a fresh X-Request-Id every time (GP-W-AUDIT),
// and on the sending API the packet's HMAC (GP-W-HMAC).
func (c *Client) exchange(ctx context.Context, act *action, k call, token string) (*reply, error) {
	u := c.cfg.APIURL + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	var body io.Reader
	if k.body != nil {
		body = bytes.NewReader(k.body)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", k.method, k.pattern, err)
	}
	id := uuid.NewString()
	act.add(id)
	req.Header.Set(wire.HeaderRequestID, id)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if k.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if k.api == sendingAPI {
		signed := k.body
		if c.has(DefectBadHMAC) {
			signed = append(append([]byte(nil), k.body...), ' ') // DefectBadHMAC: not the body sent
		}
		wire.SignPacket(c.cfg.HMACKey, req, signed)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", k.method, k.pattern, err)
	}
	defer resp.Body.Close()
	// One byte over the limit tells an answer that is too long from one that just fits: a cut
	// file would be taken as whole and its signature reported as failing.
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", k.method, k.pattern, err)
	}
	if len(b) > maxReply {
		return nil, fmt.Errorf("%s %s: the answer is longer than the %d bytes this client reads", k.method, k.pattern, maxReply)
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// sleep waits d on the client's clock, or until ctx ends.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	return c.cfg.Sleep(ctx, d)
}
