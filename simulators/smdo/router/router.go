package router

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	smdofixtures "github.com/shepconf/shepconf/fixtures/smdo"
	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/ring"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/server"
)

// Router is the simulated SMDO router. It is an http.Handler serving the whole API below a base
// without prefix (the caller mounts it and adds TLS), safe for concurrent use.
type Router struct {
	clock    clock.Clock
	verifier cms.Verifier
	dirs     Directories
	known    directoryIndex
	limits   Limits
	lifetime time.Duration
	logger   *slog.Logger
	packet   *schema.JSON
	mux      *mux
	log      ring.Log[Request]

	mu          sync.Mutex
	subscribers map[string]*Subscriber // by ID (idAbonent)
	byCode      map[string]string      // smdoCode → ID
	byUser      map[string]string      // username → ID
	tokens      tokenStore
	packages    map[string]*pkg
	order       []string             // package ids, oldest first: the order the cap drops them in
	confirms    map[string]*delivery // confirmId → the delivery it confirms
	msgIDs      seenSet              // every msg_id the router took (SMDO-FORMAT)
	stored      int64                // bytes of packages' JSON and files held
	reserved    int64                // bytes held for uploads in progress (attach)
	routed      int64                // packages routed so far
	refusals    map[faultKey]int     // RefuseNext
	expiries    map[string]int       // ExpireTokenAfter: subscriber → authorised calls left
	timers      map[*time.Timer]struct{}
	closed      bool
}

// Option configures the Router.
type Option func(*Router)

// WithClock sets the clock of token expiry and of every time the router records (default: the
// wall clock).
func WithClock(c clock.Clock) Option { return func(r *Router) { r.clock = c } }

// DefaultTokenLifetime is the lifetime of a token when WithTokenLifetime does not say otherwise.
const DefaultTokenLifetime = time.Hour

// WithTokenLifetime sets how long a token is valid (expires_in; default one hour). Tests shorten it
// to make a client meet an expired token (SMDO-TOKEN).
func WithTokenLifetime(d time.Duration) Option { return func(r *Router) { r.lifetime = d } }

// WithVerifier sets how files' signatures are checked (SMDO-SIGN): the roots the senders'
// certificates chain to (the simulated CA's). Without Now it verifies at the router's clock.
// Without this option no root is trusted but the system's, so no test signature verifies.
func WithVerifier(v cms.Verifier) Option { return func(r *Router) { r.verifier = v } }

// WithDirectories replaces the directories (default: fixtures/smdo directories.json).
func WithDirectories(d Directories) Option { return func(r *Router) { r.dirs = d } }

// WithLimits replaces the bounds on memory (default: DefaultLimits).
func WithLimits(l Limits) Option { return func(r *Router) { r.limits = l } }

// WithLogger sets where the router's own failures (a handler's panic) are logged (default: slog's
// default logger). The calls themselves go to Requests.
func WithLogger(l *slog.Logger) Option { return func(r *Router) { r.logger = l } }

// New returns a router with no subscriber. It compiles the packet schema of fixtures/smdo.
func New(opts ...Option) (*Router, error) {
	r := &Router{
		clock:       clock.Real{},
		limits:      DefaultLimits(),
		lifetime:    DefaultTokenLifetime,
		logger:      slog.Default(),
		subscribers: map[string]*Subscriber{},
		byCode:      map[string]string{},
		byUser:      map[string]string{},
		packages:    map[string]*pkg{},
		confirms:    map[string]*delivery{},
		refusals:    map[faultKey]int{},
		expiries:    map[string]int{},
		timers:      map[*time.Timer]struct{}{},
	}
	for _, o := range opts {
		o(r)
	}
	if r.dirs.empty() {
		d, err := DefaultDirectories()
		if err != nil {
			return nil, err
		}
		r.dirs = d
	}
	known, err := r.dirs.index()
	if err != nil {
		return nil, err
	}
	r.known = known
	if r.verifier.Now == nil {
		r.verifier.Now = r.clock.Now
	}
	if r.lifetime <= 0 {
		return nil, errors.New("router: the token lifetime must be positive")
	}
	r.limits = r.limits.withDefaults()
	r.log.Cap = r.limits.MaxRequests
	r.msgIDs.cap = r.limits.MaxMsgIDs
	r.tokens.init()
	if r.packet, err = schema.CompileJSON(smdofixtures.Files, smdofixtures.PacketSchema); err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	r.routes()
	return r, nil
}

// Close stops the scripted subscribers' pending answers. The router goes on serving.
func (r *Router) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for t := range r.timers {
		t.Stop()
	}
	clear(r.timers)
	return nil
}

// ServeHTTP serves one call and records it. A panic in a handler is answered 500 with the error
// body and logged with its stack: it must take down neither the server nor the call's log entry.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := &Request{At: r.clock.Now(), Method: req.Method, Path: req.URL.RequestURI()}
	sw := &server.StatusWriter{ResponseWriter: w}
	req = withRecord(req, rec)
	defer func() {
		if v := recover(); v != nil {
			r.recovered(sw, req, v)
		}
		rec.Status = sw.Status
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		r.log.Add(bounded(*rec))
	}()
	r.mux.ServeHTTP(sw, req)
}

// The API's paths below the base (SMDO-SEND, SMDO-CONFIRM, SMDO-DIR) as working clients call them.
const (
	outgoingPath = "/receiver/1.0.0/org/SMDO~1.0.0/package"
	incomingPath = "/sender/1.0.0/org/SMDO~1.0.0/package"
	docTypePath  = "/smdo_nsi_doc_type/1.0.0/smdo_nsi/doc_type/v1"
	fileTypePath = "/smdo_nsi_file_type/1.0.0/smdo_nsi/file_type/v1"
	sedTypePath  = "/smdo_nsi_sed_type/1.0.0/smdo_nsi/sed_type/v1"
	searchPath   = "/smdo_nsi_subscriber/1.0.0/smdo_nsi/subscriber/v1/search"
)

func (r *Router) routes() {
	m := &mux{}
	m.handle("POST", "/token", "token", r.token)
	m.handle("POST", outgoingPath, "create", r.authorized(r.create))
	m.handle("PUT", outgoingPath, "update", r.authorized(r.update))
	m.handle("GET", outgoingPath+"/{packageId}", "get", r.authorized(r.get))
	m.handle("DELETE", outgoingPath+"/{packageId}", "delete", r.authorized(r.remove))
	m.handle("POST", outgoingPath+"/{packageId}/attach", "attach", r.authorized(r.attach))
	m.handle("DELETE", outgoingPath+"/{packageId}/attach/{attachId}", "detach", r.authorized(r.detach))
	m.handle("PUT", outgoingPath+"/{packageId}/attach/{attachId}/signs", "signs", r.authorized(r.signs))
	m.handle("DELETE", outgoingPath+"/{packageId}/attach/{attachId}/signs", "unsign", r.authorized(r.unsign))
	m.handle("GET", outgoingPath+"/{packageId}/send", "send", r.authorized(r.send))
	m.handle("POST", incomingPath, "list", r.authorized(r.list))
	m.handle("GET", incomingPath+"/{packageId}/attach/{attachId}", "download", r.authorized(r.download))
	m.handle("GET", incomingPath+"/confirm/{confirmId}", "confirm", r.authorized(r.confirm))
	m.handle("POST", incomingPath+"/confirm/batch", "confirm-batch", r.authorized(r.confirmBatch))
	m.handle("GET", docTypePath, "doc_type", r.authorized(r.docTypes))
	m.handle("GET", fileTypePath, "file_type", r.authorized(r.fileTypes))
	m.handle("GET", sedTypePath, "sed_type", r.authorized(r.sedTypes))
	m.handle("POST", searchPath, "subscribers", r.authorized(r.searchSubscribers))
	r.mux = m
}

// now is the router's time.
func (r *Router) now() time.Time { return r.clock.Now() }

// breach is a shorthand for the refusals below.
func breach(ruleID, field string, expected, observed, fix msg.Text) *rule.Breach {
	return &rule.Breach{Rule: ruleID, Field: msg.Raw(field), Expected: expected, Observed: observed, Fix: fix}
}
