// Package standalone runs the simulators as long-lived servers from a configuration file (shepconf
// serve): the gateway with its registry and journal, the simulated NCA with keys kept in a state
// folder, and the reference owner for services routed to it. Each configured system's certificate
// and key are exported into the state folder, so that an agency can configure its own system
// against the simulated gateway.
package standalone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/gateway"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/owner"
)

// Names and paths in the state folder.
const (
	NCAName      = "shepconf NCA"
	NCADir       = "nca"     // the NCA's keys, certificates and records (see nca.Save)
	SystemsDir   = "systems" // one folder per system: cert.pem (with its chain), key.pem, ca-chain.pem
	CertFile     = "cert.pem"
	KeyFile      = "key.pem"
	GatewayID    = "SHEP_GATEWAY" // the gateway's own certificate, under systems/
	HealthPath   = "/healthz"
	MetricsPath  = "/metrics"
	renewalSlack = 24 * time.Hour // a certificate expiring sooner than this is reissued at start
)

// Standalone is a running set of simulators.
type Standalone struct {
	Config   config.Config
	NCA      *nca.Authority
	Registry *gateway.Registry
	Journal  *journal.Journal
	Metrics  *Metrics
	// Identities are the certificates in force, by system ID (and GatewayID).
	Identities map[string]*nca.Identity
	// Owners are the reference owners, by system ID.
	Owners map[string]*owner.Owner

	gatewaySrv, ncaSrv, ownerSrv *server.Server
	draining                     atomic.Bool
	log                          *slog.Logger
}

// Start brings the simulators up. On error, whatever was started is stopped again.
func Start(cfg config.Config, log *slog.Logger) (s *Standalone, err error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s = &Standalone{Config: cfg, Identities: map[string]*nca.Identity{}, Owners: map[string]*owner.Owner{}, log: log}
	defer func() {
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Close(ctx)
		}
	}()

	ncaDir := filepath.Join(cfg.State, NCADir)
	if s.NCA, err = nca.LoadOrCreate(NCAName, ncaDir); err != nil {
		return s, err
	}
	if s.ncaSrv, err = s.NCA.Serve(cfg.Listen.NCA); err != nil {
		return s, fmt.Errorf("NCA: %w", err)
	}
	if err = s.identity(GatewayID, cfg.GatewayBIN); err != nil {
		return s, err
	}
	for _, sys := range cfg.Systems {
		if err = s.identity(sys.ID, sys.BIN); err != nil {
			return s, err
		}
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
	checker := &xsig.Checker{Roots: s.NCA.Roots(), Intermediates: s.NCA.Intermediates()}

	if err = s.startOwners(checker); err != nil {
		return s, err
	}
	s.Registry = gateway.NewRegistry()
	for _, sys := range cfg.Systems {
		s.Registry.AddSystem(gateway.System{ID: sys.ID, Password: sys.Password, Identifier: sys.BIN})
	}
	for _, svc := range cfg.Services {
		endpoint := svc.Endpoint
		if endpoint == config.Reference {
			endpoint = s.ownerSrv.URL() + ownerPath(svc.Owner)
		}
		s.Registry.AddService(gateway.Service{ID: svc.ID, Owner: svc.Owner, Endpoint: endpoint})
		for _, g := range svc.Granted {
			s.Registry.Grant(svc.ID, g)
		}
	}

	gw, err := gateway.New(s.Registry, s.Journal, gateway.WithLogger(log),
		gateway.WithSignatures(gateway.Signatures{Identity: s.Identities[GatewayID], Checker: checker}))
	if err != nil {
		return s, err
	}
	s.Metrics = NewMetrics(s.Journal)
	mux := http.NewServeMux()
	mux.HandleFunc(HealthPath, s.health)
	mux.Handle(MetricsPath, s.Metrics)
	mux.Handle("/", s.Metrics.Wrap(gw.Handler()))
	if s.gatewaySrv, err = server.Start(cfg.Listen.Gateway, mux); err != nil {
		return s, fmt.Errorf("gateway: %w", err)
	}
	log.Info("gateway listening", "url", s.gatewaySrv.URL(), "nca", s.ncaSrv.URL(), "state", cfg.State)
	return s, nil
}

// ownerPath is where the reference owner serves one owner system.
func ownerPath(systemID string) string { return "/" + systemID + "/sync" }

func (s *Standalone) startOwners(checker *xsig.Checker) error {
	mux := http.NewServeMux()
	for _, svc := range s.Config.Services {
		if svc.Endpoint != config.Reference || s.Owners[svc.Owner] != nil {
			continue
		}
		o := owner.New(svc.Owner)
		o.Identity = s.Identities[svc.Owner]
		o.Checker, o.GatewayID = checker, s.Config.GatewayBIN
		s.Owners[svc.Owner] = o
		mux.Handle(ownerPath(svc.Owner), o)
	}
	if len(s.Owners) == 0 {
		return nil
	}
	var err error
	if s.ownerSrv, err = server.Start(s.Config.Listen.Owner, mux); err != nil {
		return fmt.Errorf("reference owner: %w", err)
	}
	return nil
}

// identity finds the system's exported certificate in the state folder, or issues and exports a new
// one when there is none, when it is not this NCA's, names another BIN, another NCA address or is
// about to expire.
func (s *Standalone) identity(systemID, bin string) error {
	dir := filepath.Join(s.Config.State, SystemsDir, systemID)
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	if id, err := nca.LoadIdentity(certPath, keyPath); err == nil && s.stillGood(id, bin) {
		s.Identities[systemID] = id
		return nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("reissuing a certificate that cannot be read", "system", systemID, "err", err)
	}
	id, err := s.NCA.Issue(nca.Subject{CommonName: systemID, BIN: bin, Organization: systemID + " organisation"}, nca.ECDSAP256)
	if err != nil {
		return fmt.Errorf("certificate of %s: %w", systemID, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := nca.SaveIdentity(id, certPath, keyPath); err != nil {
		return fmt.Errorf("export the certificate of %s: %w", systemID, err)
	}
	if err := os.WriteFile(filepath.Join(dir, nca.ChainFile), nca.PEM(s.NCA.Intermediate(), s.NCA.Root()), 0o644); err != nil {
		return err
	}
	s.Identities[systemID] = id
	s.log.Info("certificate issued", "system", systemID, "bin", bin, "cert", certPath)
	return nil
}

func (s *Standalone) stillGood(id *nca.Identity, bin string) bool {
	c := id.Certificate
	_, got := nca.IdentifiersOf(c)
	ocspURL := s.ncaSrv.URL() + nca.OCSPPath
	return s.NCA.Knows(c) && got == bin && time.Until(c.NotAfter) > renewalSlack &&
		len(c.OCSPServer) == 1 && c.OCSPServer[0] == ocspURL
}

// GatewayURL is the gateway's base URL.
func (s *Standalone) GatewayURL() string { return s.gatewaySrv.URL() }

// NCAURL is the NCA's base URL.
func (s *Standalone) NCAURL() string { return s.ncaSrv.URL() }

// CertPath and KeyPath are where a system's exported certificate and key are.
func (s *Standalone) CertPath(systemID string) string {
	return filepath.Join(s.Config.State, SystemsDir, systemID, CertFile)
}

// KeyPath is where a system's exported private key is.
func (s *Standalone) KeyPath(systemID string) string {
	return filepath.Join(s.Config.State, SystemsDir, systemID, KeyFile)
}

func (s *Standalone) health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	_, _ = io.WriteString(w, "ok\n")
}

// Close stops taking requests (health turns 503), lets those in flight finish within ctx's
// deadline, then stops the owner, the NCA and the journal.
func (s *Standalone) Close(ctx context.Context) error {
	s.draining.Store(true)
	var errs []error
	for _, srv := range []*server.Server{s.gatewaySrv, s.ownerSrv, s.ncaSrv} {
		if srv != nil {
			errs = append(errs, srv.Close(ctx))
		}
	}
	if s.NCA != nil {
		errs = append(errs, s.NCA.Save(filepath.Join(s.Config.State, NCADir)))
	}
	if s.Journal != nil {
		errs = append(errs, s.Journal.Close())
	}
	return errors.Join(errs...)
}
