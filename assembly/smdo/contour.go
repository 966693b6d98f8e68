// Package smdo wires the SMDO test contour: the simulated router of the AIS MV platform over HTTPS
// with a certificate of the simulated CA (GSecTLS is not simulated: SMDO-TLS), the files'
// signatures checked against the CA and the subscribers' own certificates, and the subscribers
// registered in it. The conformance run (steps/smdo) starts one per scenario; shepconf serve
// --profile smdo starts one for an agency's own СЭД.
package smdo

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/smdo/router"
)

// The counterpart: a subscriber whose СЭД the router plays, for the harness's scenarios and for an
// agency's СЭД under shepconf serve. Reconstructed: the walkthrough gives no figures for how soon a
// recipient confirms and registers, so it takes 20 s for each, shrunk with the time scale.
const (
	CounterpartID        = "2002"
	CounterpartCode      = "SMDO-COUNTERPART"
	CounterpartName      = "Контрагент (имитация)"
	CounterpartConfirms  = 20 * time.Second
	CounterpartRegisters = 20 * time.Second
)

// CounterpartScript is how the counterpart answers at a time scale: it confirms, then registers
// with errorCode (router.Registered, NotForRegistration or RegistrationRefused) and reason.
func CounterpartScript(scale float64, errorCode int, reason string) router.Script {
	return router.Script{ConfirmAfter: scaled(CounterpartConfirms, scale), RegisterAfter: scaled(CounterpartRegisters, scale),
		ErrorCode: errorCode, Reason: reason, RegNumber: "ВХ-1"}
}

func scaled(d time.Duration, scale float64) time.Duration { return time.Duration(float64(d) * scale) }

// Config says what the contour runs with.
type Config struct {
	NCA *nca.Authority // issues the router's certificate and the subscribers' certificates
	// Addr is where the router listens; "127.0.0.1:0" (the default) picks a free port.
	Addr string
	// Hosts are the names the router's certificate carries besides the listening host.
	Hosts []string
	Key   pki.KeyType // key of the router's certificate
	Clock clock.Clock // the router's clock; the real clock when nil
	// TokenLifetime is how long the router's access tokens live; zero: the router's default.
	TokenLifetime time.Duration
	// Trust are further CA certificates the files' signatures may chain to: those of an agency's
	// system whose certificate the contour's CA did not issue.
	Trust []*x509.Certificate
}

// Contour is a running SMDO test contour.
type Contour struct {
	Router    *router.Router
	URL       string // the router's base URL, ending with "/"
	srv       *server.TLSServer
	clientTLS *tls.Config
}

// Start runs the router.
func Start(cfg Config) (*Contour, error) {
	if cfg.NCA == nil {
		return nil, errors.New("smdo contour: no certification authority")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	// SMDO-SIGN: the files' signatures chain to the simulated CA, or to the system's own (Trust).
	roots := cfg.NCA.Roots()
	for _, c := range cfg.Trust {
		roots.AddCert(c)
	}
	opts := []router.Option{router.WithClock(cfg.Clock),
		router.WithVerifier(cms.Verifier{Roots: roots, Intermediates: cfg.NCA.Intermediates(), Now: cfg.Clock.Now})}
	if cfg.TokenLifetime > 0 {
		opts = append(opts, router.WithTokenLifetime(cfg.TokenLifetime))
	}
	r, err := router.New(opts...)
	if err != nil {
		return nil, err
	}
	srv, err := cfg.NCA.ServeHTTPS(cfg.Addr, r, nca.Subject{CommonName: "SMDO router (simulated)", Organization: "shepconf test contour"}, cfg.Key, cfg.Hosts...)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cfg.NCA.Root())
	return &Contour{Router: r, URL: srv.URL() + "/", srv: srv, clientTLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}, nil
}

// Register makes s a subscriber of the router, with client credentials of its own when s brings
// none, as НЦЭУ does when an organisation connects; it gives the subscriber as registered.
func (c *Contour) Register(s router.Subscriber) (router.Subscriber, error) {
	if s.Username == "" {
		s.Username = "sed-" + s.Code
	}
	if s.Password == "" {
		s.Password = secret()
	}
	if s.Status == "" {
		s.Status = "ACTIVE"
	}
	return s, c.Router.AddSubscriber(s)
}

// ClientTLS trusts the router's certificate: what a client of the contour configures.
func (c *Contour) ClientTLS() *tls.Config { return c.clientTLS.Clone() }

// Close stops the router's server and its scripted subscribers' timers.
func (c *Contour) Close(ctx context.Context) {
	c.srv.Close(ctx)
	_ = c.Router.Close() // it only stops timers
}

func secret() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
