package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client is one agency system talking to ESIA and the EPGU API. It is safe for concurrent use.
type Client struct {
	cfg     Config
	err     error // a configuration error every method returns
	defects map[string]bool
	limiter *limiter

	mu          sync.Mutex
	token       string
	tokenExpiry time.Time
}

// New makes a client of cfg. A configuration error (an unknown defect) is returned by every method.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, defects: map[string]bool{}}
	c.err = CheckDefects(cfg.Defects)
	for _, d := range cfg.Defects {
		c.defects[d] = true
	}
	c.limiter = newLimiter(cfg.Clock, cfg.Sleep, cfg.Limits)
	return c
}

func (c *Client) has(defect string) bool { return c.defects[defect] }

// call is one API request, replayable for retries.
type call struct {
	method      string
	path        string
	query       url.Values
	contentType string
	body        []byte
	// flood skips the limiter (the poll-flood defect).
	flood bool
	// deadline, when set, is a time no wait may reach: the end of the chunk window (EPGU-2.1.3).
	deadline time.Time
}

// reply is a successful answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// maxReply bounds what the client reads of one answer (a result file included).
const maxReply = 1 << 30

// do sends k with the access token and applies Appendix 4 (EPGU-A4): on 401 a new token and one
// retry; on 429 and 502/503/504 a bounded number of retries after Retry-After or an exponential
// back-off with a cap; every other failure (400, 403, 404, 405, 409, 500, 204 "order not found") is
// final. Every attempt passes the limiter of Appendix 3 (EPGU-A3).
func (c *Client) do(ctx context.Context, k call) (*reply, error) {
	if c.err != nil {
		return nil, c.err
	}
	reauthed := false
	for retries := 0; ; {
		if !k.flood {
			if err := c.limiter.wait(ctx); err != nil {
				return nil, err
			}
		}
		token, err := c.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		r, err := c.send(ctx, k, token)
		if err != nil {
			return nil, err
		}
		switch {
		case r.status >= 200 && r.status < 300 && r.status != http.StatusNoContent:
			return r, nil
		case r.status == http.StatusUnauthorized:
			// EPGU-A4: 401 means "get a new access token and repeat the request" — once.
			if reauthed || c.has(DefectNoReauth) {
				return nil, newAPIError(k.method, k.path, r.status, r.body)
			}
			reauthed = true
			c.dropToken(token)
		case retryable(r.status):
			if retries >= c.cfg.Retry.Max {
				return nil, newAPIError(k.method, k.path, r.status, r.body)
			}
			wait := c.backoff(r.header, retries)
			if !k.deadline.IsZero() && !c.cfg.Clock.Now().Add(wait).Before(k.deadline) {
				return nil, fmt.Errorf("%w (a retry after %s would fall outside the chunk window, EPGU-2.1.3)",
					newAPIError(k.method, k.path, r.status, r.body), wait)
			}
			if err := c.cfg.Sleep(ctx, wait); err != nil {
				return nil, err
			}
			retries++
		default:
			return nil, newAPIError(k.method, k.path, r.status, r.body)
		}
	}
}

// retryable are the statuses Appendix 4 says to repeat after a pause (EPGU-A4).
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is the server's Retry-After (seconds or an HTTP date) when it gave one, else
// Base·2^retries up to Cap.
func (c *Client) backoff(h http.Header, retries int) time.Duration {
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(ra); err == nil {
			if d := t.Sub(c.cfg.Clock.Now()); d > 0 {
				return d
			}
			return 0
		}
	}
	d := c.cfg.Retry.Base
	for i := 0; i < retries && d < c.cfg.Retry.Cap; i++ {
		d *= 2
	}
	return min(d, c.cfg.Retry.Cap)
}

// send makes one HTTP exchange with the API.
func (c *Client) send(ctx context.Context, k call, token string) (*reply, error) {
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
		return nil, fmt.Errorf("%s %s: %w", k.method, k.path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if k.contentType != "" {
		req.Header.Set("Content-Type", k.contentType)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", k.method, k.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", k.method, k.path, err)
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}
