package api

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/ring"
	"github.com/shepconf/shepconf/internal/server"
)

// API is the simulated EPGU API. It is an http.Handler, safe for concurrent use.
type API struct {
	tokens   TokenVerifier
	archives ArchiveChecker
	clock    clock.Clock
	services map[string]Service
	limits   Limits
	script   Script
	fromZero bool // chunk numbering 0..n-1 (EPGU-2.1.3) rather than 1..n (EPGU-5.2 sample)
	logger   *slog.Logger

	mux    *router
	log    ring.Log[Request]
	faults faults
	rate   rateLimiter
	// uploading is the upload budget in use (Limits.UploadBudget).
	uploading budget

	mu          sync.Mutex
	orders      map[int64]*order
	created     []int64          // order ids, oldest first: the order in which the cap drops them
	uploads     map[int64]*order // orders with a chunked push in progress
	results     map[int64]int64  // status history id of a result → order id
	submissions map[string][]time.Time
	nextOrder   int64
	nextStatus  int64
}

// Option configures the API.
type Option func(*API)

// WithClock sets the clock of the chunk window, the scripted delays and the limits (default: the
// wall clock).
func WithClock(c clock.Clock) Option { return func(a *API) { a.clock = c } }

// WithServices replaces the services offered (default: DefaultServices).
func WithServices(s ...Service) Option {
	return func(a *API) {
		a.services = map[string]Service{}
		for _, sv := range s {
			a.services[sv.Code] = sv
		}
	}
}

// WithLimits replaces the limits (default: SpecLimits).
func WithLimits(l Limits) Option { return func(a *API) { a.limits = l } }

// WithScript replaces the agency script of every service without its own (default: DefaultScript).
func WithScript(s Script) Option { return func(a *API) { a.script = s } }

// SetScript replaces the agency script for the orders created from now on, as WithScript does at
// the start: a scenario sets how the agency answers before it makes the client submit.
func (a *API) SetScript(s Script) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.script = s
}

// WithChunkNumbering says how chunks are numbered: from 0 (chunk i in 0..n-1, EPGU-2.1.3; the
// default) or from 1 (the EPGU-5.2 example sends chunk=1 of chunks=2 first).
func WithChunkNumbering(fromZero bool) Option { return func(a *API) { a.fromZero = fromZero } }

// WithLogCap bounds the exchange log (default DefaultLogCap).
func WithLogCap(n int) Option { return func(a *API) { a.log.Cap = n } }

// WithLogger sets where the simulator's own failures (a handler's panic) are logged (default:
// slog's default logger). The exchanges go to the exchange log, Requests.
func WithLogger(l *slog.Logger) Option { return func(a *API) { a.logger = l } }

// New returns the API checking tokens with tokens and archives with archives.
func New(tokens TokenVerifier, archives ArchiveChecker, opts ...Option) *API {
	a := &API{
		tokens:      tokens,
		archives:    archives,
		clock:       clock.Real{},
		limits:      SpecLimits(),
		script:      DefaultScript(),
		fromZero:    true,
		logger:      slog.Default(),
		log:         ring.Log[Request]{Cap: DefaultLogCap},
		orders:      map[int64]*order{},
		uploads:     map[int64]*order{},
		results:     map[int64]int64{},
		submissions: map[string][]time.Time{},
		nextOrder:   2000000000,
		nextStatus:  6000000000,
	}
	WithServices(DefaultServices()...)(a)
	for _, o := range opts {
		o(a)
	}
	a.routes()
	return a
}

// routes are the methods of EPGU-T3, with the 1.13 download path beside the 1.12 one (EPGU-1.13).
func (a *API) routes() {
	m := &router{}
	m.handle("POST", "/api/gusmev/order", a.createOrder)
	m.handle("POST", "/api/gusmev/push", a.push)
	m.handle("POST", "/api/gusmev/push/chunked", a.pushChunked)
	m.handle("POST", "/api/gusmev/order/{orderId}", a.details)
	m.handle("POST", "/api/gusmev/order/{orderId}/cancel", a.cancel)
	m.handle("GET", "/api/gusmev/order/getUpdatedAfter", a.updatedAfter)
	m.handle("GET", "/api/gusmev/order/getOrdersStatus", a.ordersStatus)
	m.handle("POST", "/api/nsi/v1/dictionary/{code}", a.dictionary)
	m.handle("GET", "/api/storage/v2/files/{objectId}/{objectType}/download", a.download)
	m.handle("GET", "/api/gusmev/files/download/{objectId}/{objectType}", a.download)
	a.mux = m
}

// ServeHTTP serves one request, answering an injected fault instead when one matches, and records
// the exchange. A panic in a handler is answered 500 internal_error (EPGU-A4) and logged: it must
// take down neither the server nor the exchange's log entry.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &Request{At: time.Now(), SimAt: a.clock.Now(), Method: r.Method, Path: r.URL.RequestURI()}
	sw := &server.StatusWriter{ResponseWriter: w}
	r = withExchange(r, rec)
	defer func() {
		if v := recover(); v != nil {
			a.recovered(sw, r, v)
		}
		rec.Status = sw.Status
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		a.log.Add(bounded(*rec))
	}()
	if f, ok := a.faults.take(r); ok {
		f.serve(sw, r)
	} else {
		a.mux.ServeHTTP(sw, r)
	}
}
