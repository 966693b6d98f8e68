package sed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Client is one departmental document system connected to the router. It is safe for concurrent
// use: its sending thread (Send) and its receiving thread (Run) may run at once.
type Client struct {
	cfg     Config
	err     error // a configuration error every method returns
	defects map[string]bool

	mu          sync.Mutex // guards the token
	token       string
	tokenExpiry time.Time

	// sending serialises the sending thread: one package at a time, RestartPause apart.
	sending  sync.Mutex
	lastSent time.Time // when the previous send ended; zero before the first

	// polling spaces the list passes of both threads (SMDO-POLL) and guards what a pass keeps.
	polling  sync.Mutex
	lastPoll time.Time
	// acked is how far the answer to each document asking for acknowledgement got, by its msg_id.
	acked map[string]*answer

	serial atomic.Int64 // numbers the documents: idnumber "<Code>_<n>"
	out    *outbox

	// maxReply bounds what the client reads of one answer, a downloaded file included.
	maxReply int64

	// Guarded by mu: what a Send's passes took for the next ReceiveOnce.
	pending    []Incoming
	pendingErr []error
}

// New makes a client of cfg. A configuration error (an unknown defect, a missing field) is
// returned by every method.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, defects: map[string]bool{}, out: newOutbox(maxRecords),
		maxReply: defaultMaxReply, acked: map[string]*answer{}}
	c.err = checkConfig(cfg)
	for _, d := range cfg.Defects {
		c.defects[d] = true
	}
	return c
}

func checkConfig(cfg Config) error {
	if err := CheckDefects(cfg.Defects); err != nil {
		return err
	}
	switch {
	case cfg.RouterURL == "":
		return fmt.Errorf("sed: no RouterURL")
	case cfg.Subscriber.ID == "" || cfg.Subscriber.Code == "":
		return fmt.Errorf("sed: the subscriber needs its ID (idAbonent) and Code (smdoCode)")
	}
	return nil
}

func (c *Client) has(defect string) bool { return c.defects[defect] }

// Subscriber is the system's own subscriber.
func (c *Client) Subscriber() Party { return c.cfg.Subscriber }

// call is one API request, replayable after a new token.
type call struct {
	method      string
	path        string // below RouterURL
	contentType string
	accept      string // "application/json" when empty
	body        []byte
}

// reply is a successful answer.
type reply struct {
	status int
	body   []byte
}

// defaultMaxReply is the most the client reads of one answer: above the router's largest file
// (20 MiB), so that only a faulty answer reaches it.
const defaultMaxReply = 64 << 20

// do sends k with the Bearer token. SMDO-TOKEN: on 401 it gets a new token and repeats the call
// once; every other failure is final and returned as an *APIError.
func (c *Client) do(ctx context.Context, k call) (*reply, error) {
	if c.err != nil {
		return nil, c.err
	}
	for reauthed := false; ; reauthed = true {
		token, err := c.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		r, err := c.exchange(ctx, k, "Bearer "+token)
		if err != nil {
			return nil, err
		}
		switch {
		case r.status >= 200 && r.status < 300:
			return r, nil
		case r.status == http.StatusUnauthorized && !reauthed && !c.has(DefectNoReauth):
			c.dropToken(token)
		default:
			return nil, newAPIError(k.method, k.path, r.status, r.body)
		}
	}
}

// exchange makes one HTTP exchange with the router.
func (c *Client) exchange(ctx context.Context, k call, authorization string) (*reply, error) {
	var body io.Reader
	if k.body != nil {
		body = bytes.NewReader(k.body)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, c.cfg.RouterURL+k.path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", k.method, k.path, err)
	}
	req.Header.Set("Authorization", authorization)
	accept := k.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	if k.contentType != "" {
		req.Header.Set("Content-Type", k.contentType)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", k.method, k.path, err)
	}
	defer resp.Body.Close()
	// One byte over the limit tells an answer that is too long from one that just fits: a longer
	// answer is refused rather than cut, since a cut file would be taken and confirmed as whole.
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxReply+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", k.method, k.path, err)
	}
	if int64(len(b)) > c.maxReply {
		return nil, fmt.Errorf("%s %s: the answer is longer than the %d bytes this client reads", k.method, k.path, c.maxReply)
	}
	return &reply{status: resp.StatusCode, body: b}, nil
}

// sleepUntil waits until t on the client's clock.
func (c *Client) sleepUntil(ctx context.Context, t time.Time) error {
	if d := t.Sub(c.cfg.Clock.Now()); d > 0 {
		return c.cfg.Sleep(ctx, d)
	}
	return ctx.Err()
}
