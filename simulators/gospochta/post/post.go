package post

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/ring"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// Service is the simulated sending API. Handler serves it below no prefix (the paths are
// wire.SendBase…); the caller adds TLS, which must ask for the client's certificate
// (tls.RequestClientCert or stronger) and allow TLS 1.3. Safe for concurrent use.
type Service struct {
	auth         wire.Authenticate
	clock        clock.Clock
	verifier     cms.Verifier
	signer       *pki.Identity
	deliverDelay time.Duration
	readDelay    time.Duration
	notify       *http.Client
	retryPause   time.Duration
	limits       Limits
	logger       *slog.Logger
	mux          *http.ServeMux
	audit        ring.Log[AuditEntry]

	ctx    context.Context // cancelled by Close: ends the pushes in flight
	cancel context.CancelFunc
	pushes sync.WaitGroup

	mu         sync.Mutex
	systems    map[string]*system    // by mnemonic
	byCert     map[[32]byte]string   // SHA-256 of a certificate's DER → mnemonic
	recipients map[string]*Recipient // by ID
	messages   map[string]*message   // by ID
	order      []string              // message ids, oldest first: the order the cap evicts in
	registry   map[string]*wire.RegistryEntry
	nonces     seenSet // recipient key id + nonce of every accepted field (GP-W-ENC)
	timers     map[*time.Timer]struct{}
	closed     bool
}

// System is an agency's system registered for sending: its mnemonic (the token's client_id), the
// certificates it presents over mutual TLS and signs its documents with (GP-W-MTLS, GP-W-SIGN),
// and the key of its packets' HMAC (GP-W-HMAC).
type System struct {
	Mnemonic     string
	Certificates []*x509.Certificate
	HMACKey      []byte
}

type system struct {
	System
	requestIDs seenSet // GP-W-AUDIT: the ids it sent, the newest Limits.MaxRequestIDs
}

// Recipient is whom a message may be sent to, with the AES-256 key its personal-data fields are
// encrypted with (GP-W-ENC) and the key's id.
type Recipient struct {
	ID, Name, Kind string // Kind: "person" or "organisation"
	KeyID          string
	Key            []byte // wire.KeySize bytes
}

// Recipient kinds.
const (
	KindPerson       = "person"
	KindOrganisation = "organisation"
)

// Message is a message as the service holds it: what was sent, the states it went through and
// what its sender did with them (receipt fetches, acknowledged pushes).
type Message struct {
	ID, Sender, Kind, RecipientID, Subject, DocumentHash, NotifyURL string
	RequestID                                                       string // the X-Request-Id of the send
	FileName, MimeType                                              string
	Signer                                                          string            // the document signer's subject
	Fields                                                          map[string]string // the personal data, decrypted
	States                                                          []State           // sent, delivered, read, with their times
	AcceptedAt, DeliveredAt, ReadAt                                 time.Time
	ReceiptFetches                                                  int
	FirstReceiptFetch                                               time.Time
	Notifications                                                   []Notification
}

// State is a state a message reached and when (GP-W-STATES).
type State struct {
	State string
	At    time.Time
}

// Notification is the push of one state to the sender's notifyUrl: how many attempts it took, the
// last status answered (0: no answer) and whether the sender acknowledged it with a 2xx.
type Notification struct {
	State        string
	At           time.Time
	Attempts     int
	Status       int
	Acknowledged bool
	Err          msg.Text // why the last attempt failed, empty when acknowledged or not tried yet
}

// Option configures the Service.
type Option func(*Service)

// WithClock sets the clock of every time the service records (default: the wall clock). The
// delays run on real timers whatever the clock.
func WithClock(c clock.Clock) Option { return func(s *Service) { s.clock = c } }

// WithVerifier sets how documents' signatures are checked (GP-W-SIGN): the roots their signers'
// certificates chain to. Without Now it verifies at the service's clock. Without this option no
// root is trusted, so no signature verifies.
func WithVerifier(v cms.Verifier) Option { return func(s *Service) { s.verifier = v } }

// WithSigner sets the service's identity, which signs the acts of acceptance (GP-W-RECEIPT).
// Required.
func WithSigner(id *pki.Identity) Option { return func(s *Service) { s.signer = id } }

// DefaultDeliveryDelay and DefaultReadDelay are how long a message stays sent, then delivered.
const (
	DefaultDeliveryDelay = 30 * time.Second
	DefaultReadDelay     = 2 * time.Minute
)

// WithDeliveryDelay sets how long after being accepted a message is delivered (default 30 s).
func WithDeliveryDelay(d time.Duration) Option { return func(s *Service) { s.deliverDelay = d } }

// WithReadDelay sets how long after being delivered a message is read (default 2 min).
func WithReadDelay(d time.Duration) Option { return func(s *Service) { s.readDelay = d } }

// WithNotifyClient sets the client of the pushes to the senders' notifyUrl (default: a 10 s
// timeout, redirects not followed: only a 2xx acknowledges).
func WithNotifyClient(c *http.Client) Option { return func(s *Service) { s.notify = c } }

// DefaultRetryPause is the pause between two attempts of a push; PushAttempts is how many are made.
const (
	DefaultRetryPause = 5 * time.Second
	PushAttempts      = 5
)

// WithRetryPause sets the pause between two attempts of a push (default 5 s).
func WithRetryPause(d time.Duration) Option { return func(s *Service) { s.retryPause = d } }

// WithLogLimit sets how many entries Audit keeps, the newest (default 10 000).
func WithLogLimit(n int) Option { return func(s *Service) { s.limits.MaxAudit = n } }

// WithLimits replaces the bounds on memory and sizes (zero fields: the defaults).
func WithLimits(l Limits) Option { return func(s *Service) { s.limits = l } }

// WithLogger sets where the service's own failures (a handler's panic, a receipt it could not
// sign) are logged (default: slog's default logger). The requests go to Audit.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.logger = l } }

// New returns a service with no system and no recipient; auth checks the Bearer tokens.
func New(auth wire.Authenticate, opts ...Option) (*Service, error) {
	s := &Service{
		auth:         auth,
		clock:        clock.Real{},
		deliverDelay: DefaultDeliveryDelay,
		readDelay:    DefaultReadDelay,
		retryPause:   DefaultRetryPause,
		limits:       DefaultLimits(),
		logger:       slog.Default(),
		systems:      map[string]*system{},
		byCert:       map[[32]byte]string{},
		recipients:   map[string]*Recipient{},
		messages:     map[string]*message{},
		registry:     map[string]*wire.RegistryEntry{},
		timers:       map[*time.Timer]struct{}{},
	}
	for _, o := range opts {
		o(s)
	}
	switch {
	case auth == nil:
		return nil, errors.New("gospochta post: no Authenticate: the service cannot check tokens")
	case s.signer == nil || s.signer.Certificate == nil || s.signer.Key == nil:
		return nil, errors.New("gospochta post: no signer (WithSigner): the acts of acceptance must be signed")
	case s.deliverDelay < 0 || s.readDelay < 0 || s.retryPause < 0:
		return nil, errors.New("gospochta post: a delay or the retry pause is negative")
	}
	if s.notify == nil {
		s.notify = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if s.verifier.Now == nil {
		s.verifier.Now = s.clock.Now
	}
	s.limits = s.limits.withDefaults()
	s.audit.Cap = s.limits.MaxAudit
	s.nonces.cap = s.limits.MaxNonces
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes()
	return s, nil
}

// Close stops the pending deliveries and reads and ends the pushes (waiting for them to return).
// The service goes on answering requests; a message accepted afterwards stays sent.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	for t := range s.timers {
		t.Stop()
	}
	clear(s.timers)
	s.mu.Unlock()
	s.cancel()
	s.pushes.Wait()
	return nil
}

// AddSystem registers a system, or replaces the registration of one with the same mnemonic.
func (s *Service) AddSystem(sys System) error {
	switch {
	case sys.Mnemonic == "":
		return errors.New("gospochta post: a system needs its mnemonic")
	case len(sys.Certificates) == 0:
		return fmt.Errorf("gospochta post: system %s: no certificate: it could neither connect (GP-W-MTLS) nor sign (GP-W-SIGN)", sys.Mnemonic)
	case len(sys.HMACKey) < minHMACKey:
		return fmt.Errorf("gospochta post: system %s: an HMAC key of %d bytes; at least %d are needed (GP-W-HMAC)", sys.Mnemonic, len(sys.HMACKey), minHMACKey)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range sys.Certificates {
		if c == nil {
			return fmt.Errorf("gospochta post: system %s: a nil certificate", sys.Mnemonic)
		}
		if owner, ok := s.byCert[sha256.Sum256(c.Raw)]; ok && owner != sys.Mnemonic {
			return fmt.Errorf("gospochta post: system %s: certificate %q is registered for system %s", sys.Mnemonic, c.Subject.CommonName, owner)
		}
	}
	if old := s.systems[sys.Mnemonic]; old != nil {
		for _, c := range old.Certificates {
			delete(s.byCert, sha256.Sum256(c.Raw))
		}
	}
	for _, c := range sys.Certificates {
		s.byCert[sha256.Sum256(c.Raw)] = sys.Mnemonic
	}
	sys.Certificates = slices.Clone(sys.Certificates)
	sys.HMACKey = slices.Clone(sys.HMACKey)
	reg := &system{System: sys, requestIDs: seenSet{cap: s.limits.MaxRequestIDs}}
	if old := s.systems[sys.Mnemonic]; old != nil {
		reg.requestIDs = old.requestIDs // a re-registration does not make old request ids new
	}
	s.systems[sys.Mnemonic] = reg
	return nil
}

// minHMACKey is the shortest HMAC key taken: HMAC-SHA-256's key should be no shorter than its
// output (RFC 2104 section 3), wire.KeySize.
const minHMACKey = wire.KeySize

// AddRecipient registers a recipient, or replaces the one with the same ID.
func (s *Service) AddRecipient(r Recipient) error {
	switch {
	case r.ID == "" || len(r.ID) > 128:
		return fmt.Errorf("gospochta post: a recipient id of 1 to 128 bytes, not %q", r.ID)
	case r.Kind != KindPerson && r.Kind != KindOrganisation:
		return fmt.Errorf("gospochta post: recipient %s: kind %q; %q or %q", r.ID, r.Kind, KindPerson, KindOrganisation)
	case r.KeyID == "":
		return fmt.Errorf("gospochta post: recipient %s: no key id", r.ID)
	case len(r.Key) != wire.KeySize:
		return fmt.Errorf("gospochta post: recipient %s: an AES-256 key is %d bytes, not %d", r.ID, wire.KeySize, len(r.Key))
	}
	r.Key = slices.Clone(r.Key)
	s.mu.Lock()
	s.recipients[r.ID] = &r
	s.mu.Unlock()
	return nil
}

// Messages returns copies of the messages held, oldest first.
func (s *Service) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.messages[id].snapshot())
	}
	return out
}

// Message returns a copy of message id.
func (s *Service) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messages[id]
	if m == nil {
		return Message{}, false
	}
	return m.snapshot(), true
}

// Registry returns the registry's entry for a document hash (lower-case hex SHA-256).
func (s *Service) Registry(hash string) (wire.RegistryEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.registry[hash]
	if e == nil {
		return wire.RegistryEntry{}, false
	}
	return *e, true
}

// now is the service's time.
func (s *Service) now() time.Time { return s.clock.Now() }

// stamp writes a time as the sending API does (wire.TimeLayout, Moscow offset).
func stamp(t time.Time) string { return t.In(wire.Moscow).Format(wire.TimeLayout) }
