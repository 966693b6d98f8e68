// Package standalone runs the simulators as long-lived servers from a configuration file (shepconf
// serve): the gateway with every channel (synchronous, asynchronous with its durable store, REST over
// HTTPS), its registry and journal, the simulated NCA with keys kept in a state folder, and the
// reference owners for services routed to them. Each configured system's certificate and key are
// exported into the state folder, so that an agency can configure its own system against the
// simulated gateway.
package standalone

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/store"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// Names and paths in the state folder.
const (
	NCAName      = "shepconf NCA"
	NCADir       = "nca"     // the NCA's keys, certificates and records (see nca.Save)
	SystemsDir   = "systems" // one folder per system: cert.pem (with its chain), key.pem, ca-chain.pem
	StoreFile    = "async-store.sqlite"
	GatewayID    = "SHEP_GATEWAY" // the gateway's own certificates, under systems/
	HealthPath   = "/healthz"
	MetricsPath  = "/metrics"
	renewalSlack = 24 * time.Hour // a certificate expiring sooner than this is reissued at start
)

// Standalone is a running set of simulators.
type Standalone struct {
	Config   config.Config
	NCA      *nca.Authority
	Registry *gateway.Registry
	Gateway  *gateway.Gateway // every channel, for its saturation (/healthz)
	Journal  *journal.Journal
	// Store is the asynchronous channel's durable message store; Async the channel itself.
	Store   *store.Store
	Async   *gateway.Async
	Metrics *Metrics
	// Identities are the signing certificates in force, by system ID (and GatewayID).
	Identities map[string]*pki.Identity
	// HTTPS are the HTTPS server certificates in force: the gateway's (GatewayID) and each REST
	// owner's, by system ID.
	HTTPS map[string]*pki.Identity
	// Owners and RESTOwners are the reference owners, by system ID.
	Owners     map[string]*owner.Owner
	RESTOwners map[string]*owner.RESTOwner

	keyType                      pki.KeyType
	gatewaySrv, ncaSrv, ownerSrv *server.Server
	restSrv, restOwnerSrv        *server.TLSServer
	draining                     atomic.Bool
	log                          *slog.Logger
}

// Start brings the simulators up. On error, whatever was started is stopped again.
func Start(cfg config.Config, log *slog.Logger) (s *Standalone, err error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s = &Standalone{Config: cfg, Identities: map[string]*pki.Identity{}, HTTPS: map[string]*pki.Identity{},
		Owners: map[string]*owner.Owner{}, RESTOwners: map[string]*owner.RESTOwner{}, log: log}
	defer func() {
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Close(ctx)
		}
	}()
	if s.keyType, err = pki.ParseKeyType(cfg.KeyAlgorithm); err != nil {
		return s, fmt.Errorf("keyAlgorithm: %w", err)
	}

	ncaDir := filepath.Join(cfg.State, NCADir)
	if s.NCA, err = nca.LoadOrCreate(NCAName, ncaDir); err != nil {
		return s, err
	}
	if s.ncaSrv, err = s.NCA.Serve(cfg.Listen.NCA); err != nil {
		return s, fmt.Errorf("NCA: %w", err)
	}
	if err = s.issueAll(); err != nil {
		return s, err
	}
	if err = s.NCA.Save(ncaDir); err != nil { // records what was issued: OCSP answers "good" after a restart
		return s, err
	}

	path := cfg.Journal
	if path == "" {
		path = filepath.Join(cfg.State, "journal.sqlite")
	}
	if s.Journal, err = journal.Open(path); err != nil {
		return s, err
	}
	// an accepted asynchronous message is on disk before the sender hears of it, and
	// stays there across restarts until it is delivered.
	if s.Store, err = store.Open(filepath.Join(cfg.State, StoreFile)); err != nil {
		return s, fmt.Errorf("asynchronous message store: %w", err)
	}
	checker := &xsig.Checker{Roots: s.NCA.Roots(), Intermediates: s.NCA.Intermediates()}
	if err = s.startOwners(checker); err != nil {
		return s, err
	}
	s.fillRegistry()
	return s, s.startGateway(checker)
}

// issueAll finds or issues every certificate: the gateway's signing and HTTPS certificates, each
// system's signing certificate, and the HTTPS certificate of each REST owner for the hosts it serves
// on.
func (s *Standalone) issueAll() error {
	cfg := s.Config
	if err := s.identity(GatewayID, cfg.GatewayBIN); err != nil {
		return err
	}
	tlsID, err := s.serverIdentity(GatewayID, cfg.GatewayBIN, gatewayHosts(cfg.Listen.REST, cfg.Listen.RESTHosts))
	if err != nil {
		return err
	}
	s.HTTPS[GatewayID] = tlsID
	for _, sys := range cfg.Systems {
		if err := s.identity(sys.ID, sys.BIN); err != nil {
			return err
		}
	}
	hosts := map[string][]string{}
	var owners []string
	for _, svc := range cfg.Services {
		if !svc.REST {
			continue
		}
		if hosts[svc.Owner] == nil {
			owners = append(owners, svc.Owner)
		}
		h := []string{hostOf(svc.Endpoint)}
		if svc.Endpoint == config.Reference {
			h = gatewayHosts(cfg.Listen.RESTOwner, nil)
		}
		hosts[svc.Owner] = uniq(append(hosts[svc.Owner], h...))
	}
	for _, o := range owners {
		sys, _ := cfg.System(o)
		id, err := s.serverIdentity(o, sys.BIN, hosts[o])
		if err != nil {
			return err
		}
		s.HTTPS[o] = id
	}
	return nil
}

// ownerPath and restOwnerPath are where the reference owner serves one owner system.
func ownerPath(systemID string) string     { return "/" + systemID + "/sync" }
func restOwnerPath(systemID string) string { return "/" + systemID + "/rest" }

// startOwners serves the reference owners: the synchronous one over HTTP, the REST one over HTTPS
// with the owner system's server certificate. Each checks the gateway's signature or client
// certificate against the gateway's BIN (A6-S1).
func (s *Standalone) startOwners(checker *xsig.Checker) error {
	mux, restMux := http.NewServeMux(), http.NewServeMux()
	var restCerts []tls.Certificate
	for _, svc := range s.Config.Services {
		switch {
		case svc.Endpoint != config.Reference:
		case svc.REST && s.RESTOwners[svc.Owner] == nil:
			o := owner.NewREST(svc.Owner)
			o.Checker, o.GatewayID = checker, s.Config.GatewayBIN
			s.RESTOwners[svc.Owner] = o
			restMux.Handle(restOwnerPath(svc.Owner), o)
			restCerts = append(restCerts, s.HTTPS[svc.Owner].TLSCertificate())
		case !svc.REST && s.Owners[svc.Owner] == nil:
			o := owner.New(svc.Owner)
			o.Identity = s.Identities[svc.Owner]
			o.Checker, o.GatewayID = checker, s.Config.GatewayBIN
			s.Owners[svc.Owner] = o
			mux.Handle(ownerPath(svc.Owner), o)
		}
	}
	var err error
	if len(s.Owners) > 0 {
		if s.ownerSrv, err = server.Start(s.Config.Listen.Owner, mux); err != nil {
			return fmt.Errorf("reference owner: %w", err)
		}
	}
	if len(s.RESTOwners) > 0 {
		// Several owner systems may share the listener; each one's certificate names the same
		// hosts, and the gateway checks the chain to the NCA and the host, so any of them serves.
		cfg := &tls.Config{Certificates: restCerts, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
		if s.restOwnerSrv, err = server.StartTLS(s.Config.Listen.RESTOwner, restMux, cfg); err != nil {
			return fmt.Errorf("reference REST owner: %w", err)
		}
	}
	return nil
}

// fillRegistry registers the configured systems and services (R-6, R-37, R-53(2)).
func (s *Standalone) fillRegistry() {
	s.Registry = gateway.NewRegistry()
	for _, sys := range s.Config.Systems {
		// The exported certificate is the system's registered one: a signature may name it by
		// X509IssuerSerial alone.
		s.Registry.AddSystem(gateway.System{ID: sys.ID, Password: sys.Password, Identifier: sys.BIN,
			Certificates: []*x509.Certificate{s.Identities[sys.ID].Certificate}})
	}
	for _, svc := range s.Config.Services {
		endpoint := svc.Endpoint
		switch {
		case endpoint == config.Reference && svc.REST:
			endpoint = s.restOwnerSrv.URL() + restOwnerPath(svc.Owner)
		case endpoint == config.Reference:
			endpoint = s.ownerSrv.URL() + ownerPath(svc.Owner)
		}
		s.Registry.AddService(gateway.Service{ID: svc.ID, Owner: svc.Owner, Endpoint: endpoint})
		for _, g := range svc.Granted {
			s.Registry.Grant(svc.ID, g)
		}
	}
}

// startGateway opens every channel on one handler, served over HTTP and over HTTPS: REST answers
// only over HTTPS, the SOAP channels on both.
func (s *Standalone) startGateway(checker *xsig.Checker) error {
	gwID := s.Identities[GatewayID]
	// Sealed messages are encrypted to, and REST owners are called with, the gateway's signing
	// certificate; with keyAlgorithm gost2004 its HTTPS certificate instead (ECDSA, allowed for
	// client authentication too): JOSE and crypto/tls have no GOST 34.310.
	restID := gwID
	if pki.TLSKeyType(s.keyType) != s.keyType {
		restID = s.HTTPS[GatewayID]
	}
	// The gateway reaches REST owners over HTTPS, trusting the NCA and presenting its own
	// certificate as client certificate (A6-S1).
	ownerClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: s.NCA.Roots(), Certificates: []tls.Certificate{restID.TLSCertificate()}, MinVersion: tls.VersionTLS12}}}
	gw, err := gateway.New(s.Registry, s.Journal, gateway.WithLogger(s.log),
		gateway.WithSignatures(gateway.Signatures{Identity: gwID, Checker: checker}),
		gateway.WithREST(gateway.REST{TLS: s.HTTPS[GatewayID], Identity: restID, Checker: checker, OwnerClient: ownerClient}))
	if err != nil {
		return err
	}
	if s.Async, err = gw.EnableAsync(s.Store); err != nil {
		return err
	}
	for _, sys := range s.Config.Systems {
		if sys.Push != "" {
			s.Async.RegisterPush(sys.ID, sys.Push)
		}
	}

	s.Metrics = NewMetrics(s.Journal, s.Store)
	mux := http.NewServeMux()
	mux.HandleFunc(HealthPath, s.health)
	mux.Handle(MetricsPath, s.Metrics)
	mux.Handle("/", s.Metrics.Wrap(gw.Handler()))
	s.Gateway = gw
	perClient := server.ConnsPerClient(s.Config.Listen.ConnsPerClient)
	if s.Config.Listen.ConnsPerClient == 0 {
		perClient = server.ConnsPerClient(server.DefaultConnsPerClient)
	}
	if s.gatewaySrv, err = server.Start(s.Config.Listen.Gateway, mux, perClient, server.WithLogger(s.log)); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	if s.restSrv, err = server.StartTLS(s.Config.Listen.REST, mux, gw.TLSConfig(), perClient, server.WithLogger(s.log)); err != nil {
		return fmt.Errorf("gateway over HTTPS (listen.rest): %w", err)
	}
	s.log.Info("gateway listening", "url", s.gatewaySrv.URL(), "https", s.restSrv.URL(), "nca", s.ncaSrv.URL(), "state", s.Config.State)
	return nil
}

// GatewayURL is the gateway's base URL over HTTP.
func (s *Standalone) GatewayURL() string { return s.gatewaySrv.URL() }

// GatewayHTTPSURL is the gateway's base URL over HTTPS, where the REST channel is.
func (s *Standalone) GatewayHTTPSURL() string { return s.restSrv.URL() }

// NCAURL is the NCA's base URL.
func (s *Standalone) NCAURL() string { return s.ncaSrv.URL() }

// KeyType is the key algorithm of the certificates issued.
func (s *Standalone) KeyType() pki.KeyType { return s.keyType }

// CertPath is where a system's exported signing certificate is.
func (s *Standalone) CertPath(systemID string) string { return s.systemFile(systemID, CertFile) }

// KeyPath is where a system's exported private key is.
func (s *Standalone) KeyPath(systemID string) string { return s.systemFile(systemID, KeyFile) }

// HTTPSCertPath and HTTPSKeyPath are where a system's HTTPS server certificate and key are, for a
// REST owner and for the gateway.
func (s *Standalone) HTTPSCertPath(systemID string) string {
	return s.systemFile(systemID, HTTPSCertFile)
}

// HTTPSKeyPath: see HTTPSCertPath.
func (s *Standalone) HTTPSKeyPath(systemID string) string {
	return s.systemFile(systemID, HTTPSKeyFile)
}

func (s *Standalone) systemFile(systemID, name string) string {
	return filepath.Join(s.Config.State, SystemsDir, systemID, name)
}

// Close stops taking requests (health turns 503), lets those in flight finish within ctx's
// deadline, then stops delivery, the owners, the NCA, the store and the journal. Every message
// accepted is in the store by then; a delivery cut short is retried at the next start.
func (s *Standalone) Close(ctx context.Context) error {
	s.draining.Store(true)
	var errs []error
	stop := func(srv *server.Server) {
		if srv != nil {
			errs = append(errs, srv.Close(ctx))
		}
	}
	// Both gateway listeners drain at once, each with the whole allowance for its exchanges.
	if s.restSrv != nil {
		done := make(chan error, 1)
		go func() { done <- s.restSrv.Server.Close(ctx) }()
		stop(s.gatewaySrv)
		errs = append(errs, <-done)
	} else {
		stop(s.gatewaySrv)
	}
	if s.Async != nil {
		s.Async.Close() // waits for the pushes in flight
	}
	if s.restOwnerSrv != nil {
		stop(s.restOwnerSrv.Server)
	}
	stop(s.ownerSrv)
	stop(s.ncaSrv)
	if s.NCA != nil {
		errs = append(errs, s.NCA.Save(filepath.Join(s.Config.State, NCADir)))
	}
	if s.Store != nil {
		errs = append(errs, s.Store.Close())
	}
	if s.Journal != nil {
		errs = append(errs, s.Journal.Close())
	}
	return errors.Join(errs...)
}
