package epgu

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	epgufixtures "github.com/shepconf/shepconf/fixtures/epgu"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/epgu/api"
	"github.com/shepconf/shepconf/simulators/epgu/archive"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/nca"
)

// StandaloneConfig is what shepconf serve --profile epgu runs: the contour for an agency's own
// client, with the CA and the systems' credentials kept in a state folder across restarts.
type StandaloneConfig struct {
	State             string // the state folder: the CA's keys, the exported CA chain, each system's files
	NCAAddr           string // the CA (OCSP, CRL, the time-stamp service)
	ESIAAddr, APIAddr string
	Hosts             []string // further names for the servers' certificates (the host clients dial)
	Systems           []string // the mnemonics to register; each gets a certificate, a key and an API key file
	Services          []string // folders of further services (service.yaml, the schema); the demonstration service is always offered
	Key               pki.KeyType
	// TimeScale shrinks the scripted agency's delays and the chunk window (0 or 1: as specified),
	// so a client's developer need not wait for them.
	TimeScale float64
}

// Standalone is a running standalone contour.
type Standalone struct {
	*Contour
	NCAURL  string
	cfg     StandaloneConfig
	nca     *server.Server
	systems map[string]string // mnemonic → its folder
}

// DemoService is the demonstration service of our own (fixtures/epgu) the contour always offers.
func DemoService() (Service, error) {
	demo, err := archive.LoadService(epgufixtures.Services, epgufixtures.DemoServiceCode)
	if err != nil {
		return Service{}, fmt.Errorf("demonstration service: %w", err)
	}
	return serviceOf(demo, "Демонстрационная услуга shepconf"), nil
}

// Serve starts the CA, ESIA and the API, registers the systems and writes their files.
func Serve(cfg StandaloneConfig) (*Standalone, error) {
	if cfg.State == "" {
		return nil, fmt.Errorf("epgu contour: no state folder")
	}
	ca, err := nca.LoadOrCreate("Test CA of the EPGU contour", filepath.Join(cfg.State, "ca"))
	if err != nil {
		return nil, fmt.Errorf("epgu contour: CA state: %w", err)
	}
	caSrv, err := ca.Serve(cfg.NCAAddr)
	if err != nil {
		return nil, fmt.Errorf("epgu contour: CA: %w", err)
	}
	services, err := LoadServices(cfg.Services)
	if err != nil {
		caSrv.Close(context.Background())
		return nil, err
	}
	scale := cfg.TimeScale
	if scale <= 0 {
		scale = 1
	}
	script, limits := Scaled(scale)
	c, err := Start(Config{NCA: ca, ESIAAddr: cfg.ESIAAddr, APIAddr: cfg.APIAddr, Hosts: cfg.Hosts, Services: services, Key: cfg.Key,
		Script: &script, Limits: limits})
	if err != nil {
		caSrv.Close(context.Background())
		return nil, err
	}
	s := &Standalone{Contour: c, NCAURL: caSrv.URL(), cfg: cfg, nca: caSrv, systems: map[string]string{}}
	if err := os.WriteFile(filepath.Join(cfg.State, "ca-chain.pem"), pki.PEM(ca.Intermediate(), ca.Root()), 0o644); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	for _, m := range cfg.Systems {
		if err := s.enrol(ca, m); err != nil {
			s.Close(context.Background())
			return nil, fmt.Errorf("system %s: %w", m, err)
		}
	}
	// The CA keeps what it issued, so a restart finds the systems' certificates its own.
	if err := ca.Save(filepath.Join(cfg.State, "ca")); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	return s, nil
}

// enrol gives a system what the walkthrough has an agency obtain: a test certificate and key from
// the CA (kept across restarts), its registration in ESIA, and the API key file.
func (s *Standalone) enrol(ca *nca.Authority, mnemonic string) error {
	dir := filepath.Join(s.cfg.State, "systems", mnemonic)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	id, err := pki.LoadIdentity(certPath, keyPath)
	if err != nil || !ca.Knows(id.Certificate) {
		if id, err = ca.Issue(nca.Subject{CommonName: mnemonic, Organization: mnemonic}, s.cfg.Key); err != nil {
			return err
		}
		if err := pki.SaveIdentity(id, certPath, keyPath); err != nil {
			return err
		}
	}
	key, err := s.Register(mnemonic, id.Certificate)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "api-key.csv"), key, 0o600); err != nil {
		return err
	}
	s.systems[mnemonic] = dir
	return nil
}

// LoadServices reads the demonstration service and the service folders given.
func LoadServices(dirs []string) ([]Service, error) {
	demo, err := DemoService()
	if err != nil {
		return nil, err
	}
	out := []Service{demo}
	for _, d := range dirs {
		s, err := archive.LoadService(os.DirFS(d), ".")
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", d, err)
		}
		out = append(out, serviceOf(s, "Услуга "+s.Code))
	}
	return out, nil
}

// serviceOf is a service with the API's view of it taken from its archive rules.
func serviceOf(s archive.Service, name string) Service {
	target := ""
	if len(s.TargetCodes) > 0 {
		target = s.TargetCodes[0]
	}
	return Service{Archive: s, API: api.Service{Code: s.Code, TargetCode: target, Name: name, PassportID: s.Code,
		Agency: "Ведомство (симулятор)", AgencyCode: "demo"}}
}

// Describe prints where everything is, for the agency's configuration.
func (s *Standalone) Describe(w io.Writer) {
	fmt.Fprintf(w, "EPGU test contour (simulated)\n  ESIA:     %s  (GET %s, POST /aas/oauth2/v3/te, GET /aas/oauth2/v2/ac)\n  EPGU API: %s  (/api/gusmev/..., /api/nsi/v1/dictionary/..., results at /api/gusmev/files/download/... and /api/storage/v2/files/...)\n  CA:       %s  (OCSP, CRL, time stamps at %s)\n  CA chain: %s\n",
		s.ESIAURL, esia.PathAPIKeyToken, s.APIURL, s.NCAURL, s.NCAURL+nca.TSPPath, filepath.Join(s.cfg.State, "ca-chain.pem"))
	for m, dir := range s.systems {
		fmt.Fprintf(w, "  system %s: cert.pem, key.pem, api-key.csv in %s\n", m, dir)
	}
}

// Close stops the contour and the CA.
func (s *Standalone) Close(ctx context.Context) {
	s.Contour.Close(ctx)
	s.nca.Close(ctx)
}
