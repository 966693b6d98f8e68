// Package epgu wires the EPGU test contour: the simulated ESIA and EPGU API over HTTPS with
// certificates from the simulated CA, the services' archive checks, and the systems registered in
// it. The conformance run (steps/epgu) starts one per scenario; shepconf serve --profile epgu starts
// one for an agency's own client.
package epgu

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/epgu/api"
	"github.com/shepconf/shepconf/simulators/epgu/archive"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/nca"
)

// Config says what the contour runs with.
type Config struct {
	NCA *nca.Authority // issues the servers' certificates, the time stamps and the systems' certificates
	// ESIAAddr and APIAddr are where ESIA and the EPGU API listen; "127.0.0.1:0" picks free ports.
	ESIAAddr, APIAddr string
	// Hosts are the names the servers' certificates carry besides the listening host.
	Hosts    []string
	Services []Service
	Clock    clock.Clock // the contour's clock (chunk window, statuses, limits); the real clock when nil
	Limits   api.Limits  // zero: the specification's
	Script   *api.Script // the scripted agency; nil: the API's default
	Key      pki.KeyType // key of the servers' certificates
	// Trust are further CA certificates the files' signatures may chain to: those of an agency's
	// system whose certificate the contour's CA did not issue.
	Trust []*x509.Certificate
}

// Service is a service the contour offers: what the API says of it and how its archive is checked.
type Service struct {
	API     api.Service
	Archive archive.Service
}

// Contour is a running test contour.
type Contour struct {
	ESIA            *esia.ESIA
	API             *api.API
	ESIAURL, APIURL string
	checker         *archiveChecker
	servers         []*server.TLSServer
	clientTLS       *tls.Config
}

// Start runs ESIA and the EPGU API.
func Start(cfg Config) (*Contour, error) {
	if cfg.NCA == nil {
		return nil, errors.New("epgu contour: no certification authority")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Limits == (api.Limits{}) {
		cfg.Limits = api.SpecLimits()
	}
	if cfg.ESIAAddr == "" {
		cfg.ESIAAddr = "127.0.0.1:0"
	}
	if cfg.APIAddr == "" {
		cfg.APIAddr = "127.0.0.1:0"
	}
	e, err := esia.New(esia.WithClock(cfg.Clock))
	if err != nil {
		return nil, err
	}
	// WALK-SIG: the files' signatures chain to the simulated CA (or to the system's own, given as
	// Trust) and their time stamps to the CA's time-stamp service.
	roots := cfg.NCA.Roots()
	for _, c := range cfg.Trust {
		roots.AddCert(c)
	}
	checker := &archiveChecker{services: map[string]archive.Service{},
		verifier: cms.Verifier{Roots: roots, TSARoots: cfg.NCA.Roots(), Intermediates: cfg.NCA.Intermediates(), RequireTimestamp: true, Now: cfg.Clock.Now}}
	var apiServices []api.Service
	for _, s := range cfg.Services {
		checker.services[s.API.Code] = s.Archive
		apiServices = append(apiServices, s.API)
	}
	opts := []api.Option{api.WithClock(cfg.Clock), api.WithLimits(cfg.Limits)}
	if len(apiServices) > 0 {
		opts = append(opts, api.WithServices(apiServices...))
	}
	if cfg.Script != nil {
		opts = append(opts, api.WithScript(*cfg.Script))
	}
	a := api.New(e, checker, opts...)
	c := &Contour{ESIA: e, API: a, checker: checker}
	esiaSrv, err := c.serve(cfg, cfg.ESIAAddr, "ESIA", e.Handler())
	if err != nil {
		return nil, err
	}
	c.ESIAURL = esiaSrv.URL()
	apiSrv, err := c.serve(cfg, cfg.APIAddr, "EPGU API", a)
	if err != nil {
		c.Close(context.Background())
		return nil, err
	}
	c.APIURL = apiSrv.URL()
	pool := x509.NewCertPool()
	pool.AddCert(cfg.NCA.Root())
	c.clientTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return c, nil
}

// serve runs h over HTTPS with a certificate of the contour's CA for the listening host and cfg.Hosts.
func (c *Contour) serve(cfg Config, addr, name string, h http.Handler) (*server.TLSServer, error) {
	srv, err := cfg.NCA.ServeHTTPS(addr, h, nca.Subject{CommonName: name + " (simulated)", Organization: "shepconf test contour"}, cfg.Key, cfg.Hosts...)
	if err != nil {
		return nil, err
	}
	c.servers = append(c.servers, srv)
	return srv, nil
}

// Register enters an agency's system in ESIA with its certificate and its redirect_uri values, as
// its operator does on the technological portal, and gives the API key file ESIA issues for it
// (ESIA-B12).
func (c *Contour) Register(mnemonic string, cert *x509.Certificate, redirectURIs ...string) ([]byte, error) {
	if err := c.ESIA.Register(esia.System{Mnemonic: mnemonic, Name: mnemonic, Certificates: []*x509.Certificate{cert},
		RedirectURIs: redirectURIs}); err != nil {
		return nil, err
	}
	return c.ESIA.IssueAPIKey(mnemonic)
}

// ClientTLS trusts the contour's servers: what a client of the contour configures.
func (c *Contour) ClientTLS() *tls.Config { return c.clientTLS.Clone() }

// Service is the archive rules of a service the contour offers.
func (c *Contour) Service(code string) (archive.Service, bool) {
	s, ok := c.checker.services[code]
	return s, ok
}

// Close stops the servers.
func (c *Contour) Close(ctx context.Context) {
	for _, s := range c.servers {
		s.Close(ctx)
	}
}

// archiveChecker checks an uploaded archive by its service's rules (EPGU-2.1.3, EPGU-A1) and keeps
// what it found for the harness.
type archiveChecker struct {
	services map[string]archive.Service
	verifier cms.Verifier
	mu       sync.Mutex
	results  []archive.Result
}

func (a *archiveChecker) CheckArchive(serviceCode string, zip []byte) (string, *rule.Breach) {
	s, ok := a.services[serviceCode]
	if !ok {
		// A service without archive rules in the contour (one of the API's own) is taken as it is.
		return "", nil
	}
	r := archive.Check(zip, s, a.verifier)
	a.mu.Lock()
	if len(a.results) == maxResults {
		a.results = a.results[1:] // serve keeps running: the oldest verdicts go first
	}
	a.results = append(a.results, r)
	a.mu.Unlock()
	switch {
	case r.Status == archive.FilesVerificationSuccess && r.SignaturesChecked:
		return "", nil // through FILES_VERIFICATION to DONE (EPGU-A1)
	case r.Status == archive.FilesVerificationSuccess:
		return "DONE", nil // no signatures to verify: straight to DONE
	}
	return r.Status, r.Breach
}

// maxResults bounds the archive checks a contour keeps for the harness.
const maxResults = 1000

// Checks are the results of the archive checks so far (the last maxResults), oldest first.
func (c *Contour) Checks() []archive.Result {
	c.checker.mu.Lock()
	defer c.checker.mu.Unlock()
	return append([]archive.Result(nil), c.checker.results...)
}

// Scaled is the contour's timing at a time scale: the default agency script with every delay, and
// the specification's limits with the chunk window, multiplied by scale. The request counts are
// kept: they are per real minute and hour.
func Scaled(scale float64) (api.Script, api.Limits) {
	by := func(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }
	s, l := api.DefaultScript(), api.SpecLimits()
	s.Processing = by(s.Processing)
	for i := range s.Steps {
		s.Steps[i].Delay = by(s.Steps[i].Delay)
	}
	l.ChunkWindow = by(l.ChunkWindow)
	return s, l
}
