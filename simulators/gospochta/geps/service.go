package geps

import (
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/ring"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// The simulator's own bounds (the specification sets none): they keep the memory of a long run
// within reach whatever the clients send or the harness adds.
const (
	DefaultLogLimit   = 10_000  // calls kept in Requests
	MaxMessagesPerOrg = 100_000 // messages of one organisation's Gospochta (AddMessage refuses beyond)
	MaxTasksPerOrg    = 100     // search tasks kept per organisation; beyond, 503 service.busy
	MaxDeliveries     = 100_000 // legal deliveries kept in Deliveries
	maxSearchBody     = 64 << 10
)

// Service is the simulated reading API. Its Handler serves the four calls at their full paths
// (wire.PathSearch …); it is safe for concurrent use.
type Service struct {
	auth     wire.Authenticate
	clock    clock.Clock
	wait     time.Duration
	searches int // per organisation per Moscow day; 0 or less: no limit
	fetches  int
	logger   *slog.Logger
	handler  http.Handler

	log        ring.Log[Request]
	deliveries ring.Log[Delivery]

	mu    sync.Mutex
	orgs  map[string]*mailbox
	tasks map[string]*task // by searchTaskUuid
}

// Option configures the Service.
type Option func(*Service)

// WithClock sets the clock of the tasks' states, the range checks, the quotas' days and every time
// the service records (default: the wall clock).
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithSearchWait sets how long a search task takes to complete (default wire.DefaultSearchWait,
// the hour the specification tells clients to wait): SEARCH for the first half, PROCESSING for the
// second, then COMPLETED (or ERROR). Tests and scaled runs shorten it.
func WithSearchWait(d time.Duration) Option { return func(s *Service) { s.wait = d } }

// WithQuotas sets the searches and result fetches an organisation may make per Moscow day
// (default wire.SearchesPerDay and wire.FetchesPerDay, GP-R-QUOTA); 0 or less: no limit (a load
// run that is not about the quota).
func WithQuotas(searches, fetches int) Option {
	return func(s *Service) { s.searches, s.fetches = searches, fetches }
}

// WithLogLimit bounds Requests (default DefaultLogLimit).
func WithLogLimit(n int) Option { return func(s *Service) { s.log.Cap = n } }

// WithLogger sets where the service's own failures (a handler's panic) are logged (default: slog's
// default logger). The calls themselves go to Requests.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.logger = l } }

// New returns a service with empty Gospochta boxes that admits the callers auth vouches for.
func New(auth wire.Authenticate, opts ...Option) *Service {
	s := &Service{
		auth:       auth,
		clock:      clock.Real{},
		wait:       wire.DefaultSearchWait,
		searches:   wire.SearchesPerDay,
		fetches:    wire.FetchesPerDay,
		logger:     slog.Default(),
		log:        ring.Log[Request]{Cap: DefaultLogLimit},
		deliveries: ring.Log[Delivery]{Cap: MaxDeliveries},
		orgs:       map[string]*mailbox{},
		tasks:      map[string]*task{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.wait < 0 {
		s.wait = 0
	}
	s.handler = s.routes()
	return s
}

// Handler serves the reading API at the paths of wire (wire.ReadBase and below); the caller mounts
// it unchanged and adds TLS.
func (s *Service) Handler() http.Handler { return s.handler }

// routes are the four calls of the specification. Every other path or method is answered with the
// API's JSON error body rather than the mux's text/plain.
func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	shapes := http.NewServeMux() // the same paths without their methods: which method a path takes
	allow := map[string]string{}
	add := func(method, path, endpoint string, h func(http.ResponseWriter, *http.Request, wire.Caller)) {
		mux.Handle(method+" "+path, s.authorized(endpoint, h))
		shapes.Handle(path, http.NotFoundHandler())
		allow[path] = method
	}
	add(http.MethodPost, wire.PathSearch, EndpointSearch, s.search)
	add(http.MethodGet, wire.PathSearchTask, EndpointSearchTask, s.searchTask)
	add(http.MethodGet, wire.PathCard, EndpointCard, s.card)
	add(http.MethodGet, wire.PathAttachment, EndpointAttachment, s.attachment)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := shapes.Handler(r); pattern != "" {
			w.Header().Set("Allow", allow[pattern])
			refuse(w, r, http.StatusMethodNotAllowed, wire.CodeInvalid, breach("GP-R-TASK", "method",
				msg.F("%s for this path", allow[pattern]), msg.Raw(r.Method+" "+r.URL.Path), msg.F("send the request with %s", allow[pattern])))
			return
		}
		refuse(w, r, http.StatusNotFound, wire.CodeInvalid, breach("GP-R-TASK", "path",
			msg.F("a call of the reading API under %s (search, search/{searchTaskUuid}, message/{threadUuid}/{messageUuid}, attachment/{messageUuid}/{attachmentUuid}/{file|sig})", wire.ReadBase),
			msg.Raw(r.Method+" "+r.URL.Path), msg.F("check the path against the specification of the API ГЭПС v1.0")))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux would redirect a path with empty or dot segments (text/html); the API answers
		// its JSON refusal instead.
		if p := r.URL.Path; p == "" || path.Clean(p) != p {
			s.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				refuse(w, r, http.StatusNotFound, wire.CodeInvalid, breach("GP-R-TASK", "path",
					msg.F("a path without empty, . or .. segments"), msg.Raw(strconv.Quote(rule.Cut(p, 200))), msg.F("send the path as the specification writes it")))
			}), w, r)
			return
		}
		s.serve(mux, w, r)
	})
}

// serve serves one call and records it. A panic in a handler is answered 500 with the error body
// and logged with its stack: it must take down neither the server nor the call's log entry.
func (s *Service) serve(h http.Handler, w http.ResponseWriter, r *http.Request) {
	rec := &Request{Time: s.clock.Now(), Method: r.Method, Path: r.URL.RequestURI(), RequestID: r.Header.Get(wire.HeaderRequestID)}
	sw := &server.StatusWriter{ResponseWriter: w}
	r = withRecord(r, rec)
	defer func() {
		if v := recover(); v != nil {
			s.recovered(sw, r, v)
		}
		rec.Status = sw.Status
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		s.log.Add(bounded(*rec))
	}()
	h.ServeHTTP(sw, r)
}

// now is the service's time.
func (s *Service) now() time.Time { return s.clock.Now() }

// moscow writes a time as the API does: RFC 3339 with +03:00.
func moscow(t time.Time) string { return t.In(wire.Moscow).Format(wire.TimeLayout) }
