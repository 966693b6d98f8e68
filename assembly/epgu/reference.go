package epgu

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/epgu/archive"
	"github.com/shepconf/shepconf/simulators/epgu/client"
)

// Reference is the built-in reference client as the system under test of a demonstration: it takes
// the harness's trigger request as an agency's system would and acts through simulators/epgu/client.
// A demonstration certifies nothing; with Defects it shows that the scenarios catch each fault.
type Reference struct {
	Identity *pki.Identity
	Mnemonic string
	// Services are the rules of the services it knows, as an agency's developer reads them in the
	// service's specification: the business file's name and schema.
	Services    func(code string) (archive.Service, bool)
	ChunkWindow time.Duration // the 5 minutes of EPGU-2.1.3, shrunk with the run's time scale
	Poll        time.Duration // pause between two reads of an order's status
	Defects     []string

	// A citizen's sign-in (trigger.Login) waits for its callback here, by state.
	mu       sync.Mutex
	logins   map[string]pendingLogin
	loopback *server.Server // the in-process callback server (RedirectURI), until Close
}

// Describe names the system for the report.
func (r *Reference) Describe() string { return "the built-in reference EPGU client (in-process)" }

// Fire does what the trigger request asks.
func (r *Reference) Fire(ctx context.Context, req trigger.Request) (trigger.Result, error) {
	if err := req.Check(); err != nil {
		return trigger.Result{}, err
	}
	if req.Action == trigger.Login {
		return r.login(ctx, req)
	}
	svc, ok := r.Services(req.ServiceID)
	if !ok {
		return trigger.Result{Outcome: trigger.Failed, Error: "no specification of service " + req.ServiceID}, nil
	}
	files, err := requestFiles(req, svc)
	if err != nil {
		return trigger.Result{}, err
	}
	c, closeClient, err := r.client(req)
	if err != nil {
		return trigger.Result{}, err
	}
	defer closeClient()
	orderID, err := c.Submit(ctx, client.Submission{Region: req.Region, ServiceCode: req.ServiceID, TargetCode: req.TargetCode,
		Files: files, Schema: svc.Schema, BusinessFile: svc.BusinessFile, Sign: svc.Signatures, Chunked: req.Chunked})
	var invalid *client.InvalidXMLError
	switch {
	case errors.As(err, &invalid):
		return trigger.Result{Outcome: trigger.Refused, Error: err.Error()}, nil
	case err != nil:
		return failed(err), nil
	}
	res := trigger.Result{Outcome: trigger.Accepted, MessageID: strconv.FormatInt(orderID, 10)}
	switch req.Then {
	case trigger.ThenResult:
		err = followToResult(ctx, c, orderID, &res)
	case trigger.ThenCancel:
		err = cancelWhenAllowed(ctx, c, orderID, &res)
	}
	if err != nil {
		return failed(err), nil
	}
	return res, nil
}

// client is the reference client for one request: it trusts the contour's servers by the CA chain
// the request brings, as an agency's system is configured with the test contour's CA. Without
// one it trusts the system's roots (RootCAs nil), for servers whose certificates a public CA
// issued: an empty pool would trust no server at all.
func (r *Reference) client(req trigger.Request) (*client.Client, func(), error) {
	var roots *x509.CertPool
	if req.CA != "" {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM([]byte(req.CA)) {
			return nil, nil, errors.New("trigger request: ca holds no PEM certificate")
		}
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	c := client.New(client.Config{ESIAURL: req.Auth, APIURL: req.Gateway, Identity: r.Identity, Mnemonic: r.Mnemonic,
		APIKey: []byte(req.APIKey), TSAURL: req.TSA, ChunkWindow: r.ChunkWindow, PollInterval: r.Poll, Defects: r.Defects,
		HTTPClient: &http.Client{Transport: tr, Timeout: 2 * time.Minute}})
	return c, tr.CloseIdleConnections, nil
}

// requestFiles are the archive's files: the business XML under the service's name for it, and the
// further files the request brings.
func requestFiles(req trigger.Request, svc archive.Service) (map[string][]byte, error) {
	files := map[string][]byte{svc.BusinessFile: []byte(req.Data)}
	for name, b64 := range req.Files {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("trigger request: file %s is not base64: %w", name, err)
		}
		files[name] = b
	}
	return files, nil
}

// followToResult follows the order to a final status and downloads its result files.
func followToResult(ctx context.Context, c *client.Client, orderID int64, res *trigger.Result) error {
	st, err := c.Follow(ctx, orderID, nil)
	if err != nil {
		return err
	}
	res.State = st.Code
	files, err := c.DownloadResult(ctx, orderID)
	if err != nil {
		return err
	}
	for _, f := range files {
		res.Answer += fmt.Sprintf("%s sha256:%x ", f.File.FileName, sha256.Sum256(f.Data))
	}
	res.Outcome = trigger.Answered
	return nil
}

// cancelWhenAllowed waits for a status that allows a cancel and cancels (EPGU-2.2).
func cancelWhenAllowed(ctx context.Context, c *client.Client, orderID int64, res *trigger.Result) error {
	allowed := func(st client.Status) bool {
		return st.Final() || st.Order != nil && st.Order.CurrentStatusHistory.CancelAllowed
	}
	if _, err := c.Follow(ctx, orderID, allowed); err != nil {
		return err
	}
	if err := c.Cancel(ctx, orderID); err != nil {
		return err
	}
	res.State = "cancelled"
	return nil
}

func failed(err error) trigger.Result {
	return trigger.Result{Outcome: trigger.Failed, Error: err.Error()}
}

// ServeHTTP takes a trigger request as JSON and answers the result as JSON: the reference client
// behind the HTTP trigger an agency's system offers (internal/trigger.HTTP).
// On the same handler it serves the callback of a citizen's sign-in at CallbackPath, so that its
// redirect_uri is the trigger's host: http(s)://<host>/esia/callback.
func (r *Reference) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if hr.URL.Path == CallbackPath {
		r.serveCallback(w, hr)
		return
	}
	scheme := "http"
	if hr.TLS != nil {
		scheme = "https"
	}
	ctx := context.WithValue(hr.Context(), redirectKey{}, scheme+"://"+hr.Host+CallbackPath)
	trigger.Handler(r).ServeHTTP(w, hr.WithContext(ctx))
}

// CallbackPath is where the reference client takes ESIA's redirect after a citizen's sign-in.
const CallbackPath = "/esia/callback"

// loginLifetime bounds how long a sign-in waits for its callback: ESIA's code lives less
// (esia codeLifetime), and a login never finished must not be kept for ever.
const loginLifetime = 10 * time.Minute

// pendingLogin is a sign-in sent to ESIA whose callback has not come yet.
type pendingLogin struct {
	client  *client.Client
	login   client.Login
	release func()
	expires time.Time
}

// redirectKey carries the callback URL of the host a trigger request came to.
type redirectKey struct{}

// RedirectURI is the callback of the reference client called in-process (not through ServeHTTP):
// a loopback server of its own, started on first use and stopped by Close. The harness registers
// it in ESIA as the system's redirect_uri.
func (r *Reference) RedirectURI() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.loopback == nil {
		srv, err := server.Start("127.0.0.1:0", http.HandlerFunc(r.serveCallback))
		if err != nil {
			return "", fmt.Errorf("reference client: callback server: %w", err)
		}
		r.loopback = srv
	}
	return r.loopback.URL() + CallbackPath, nil
}

// Close stops the in-process callback server, if RedirectURI started it.
func (r *Reference) Close(ctx context.Context) {
	r.mu.Lock()
	srv := r.loopback
	r.loopback = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close(ctx)
	}
}

// login starts a citizen's sign-in (ESIA-OAUTH): the signed authorisation URL, answered as the
// redirect the user's browser follows; the login waits for its callback under its state.
func (r *Reference) login(ctx context.Context, req trigger.Request) (trigger.Result, error) {
	redirect, _ := ctx.Value(redirectKey{}).(string)
	if redirect == "" {
		var err error
		if redirect, err = r.RedirectURI(); err != nil {
			return failed(err), nil
		}
	}
	c, release, err := r.client(req)
	if err != nil {
		return trigger.Result{}, err
	}
	l, err := c.StartLogin(redirect)
	if err != nil {
		release()
		return failed(err), nil
	}
	now := time.Now()
	r.mu.Lock()
	if r.logins == nil {
		r.logins = map[string]pendingLogin{}
	}
	for state, p := range r.logins {
		if now.After(p.expires) {
			p.release()
			delete(r.logins, state)
		}
	}
	r.logins[l.State] = pendingLogin{client: c, login: l, release: release, expires: now.Add(loginLifetime)}
	r.mu.Unlock()
	return trigger.Result{Outcome: trigger.Redirect, Answer: l.URL}, nil
}

// serveCallback is where ESIA sends the browser back: a state this client sent finishes its
// login (the code exchanged for the citizen's token, answered 200); any other state is refused
// without exchanging anything, as a forged callback would be (ESIA-OAUTH).
func (r *Reference) serveCallback(w http.ResponseWriter, hr *http.Request) {
	if hr.Method != http.MethodGet {
		http.Error(w, "the callback takes GET", http.StatusMethodNotAllowed)
		return
	}
	q := hr.URL.Query()
	r.mu.Lock()
	p, ok := r.logins[q.Get("state")]
	delete(r.logins, q.Get("state"))
	r.mu.Unlock()
	if !ok {
		http.Error(w, "sign-in refused: "+client.ErrForeignState.Error(), http.StatusBadRequest)
		return
	}
	defer p.release()
	if _, err := p.client.FinishLogin(hr.Context(), p.login, q); err != nil {
		http.Error(w, "sign-in failed: "+err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "signed in through ESIA\n")
}
