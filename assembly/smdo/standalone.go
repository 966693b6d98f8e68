package smdo

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/smdo/router"
)

// StandaloneConfig is what shepconf serve --profile smdo runs: the router for an agency's own СЭД,
// with the CA and the subscribers' credentials kept in a state folder across restarts.
type StandaloneConfig struct {
	State   string // the state folder: the CA's keys, the exported CA chain, each subscriber's files
	Addr    string // the router (HTTPS)
	NCAAddr string // the CA (OCSP, CRL)
	Hosts   []string
	Key     pki.KeyType
	// TimeScale shrinks the counterpart's delays (0 or 1: as at a conformance run's scale 1).
	TimeScale float64
	// Subscribers are the smdoCodes of the subscribers to register, each with client credentials, a
	// certificate and a key of its own.
	Subscribers []string
	// Counterpart adds CounterpartCode, a subscriber whose СЭД the router plays: it confirms what it
	// receives and registers documents that ask for acknowledgement, so a single СЭД sees the whole
	// exchange come back.
	Counterpart bool
}

// firstSubscriberID is the idAbonent of the first subscriber; the next ones count up from it.
const firstSubscriberID = 1001

// CredentialsFile is the file in a subscriber's folder that a СЭД is configured with.
const CredentialsFile = "credentials.json"

// Credentials are what the operator of the router gives an organisation that connects: the client
// credentials of the token endpoint (SMDO-TOKEN), its idAbonent and smdoCode, and where the router is.
type Credentials struct {
	Username  string `json:"username"`
	Password  string `json:"password"`
	ID        string `json:"id"`   // idAbonent
	Code      string `json:"code"` // smdoCode
	Name      string `json:"name"`
	RouterURL string `json:"routerURL"`
}

// Enrolled is a subscriber the standalone router registered, and the folder with its files.
type Enrolled struct {
	Subscriber router.Subscriber
	Dir        string
}

// StandaloneSubscriber is the folder of a subscriber's files below a state folder.
func StandaloneSubscriber(state, code string) string {
	return filepath.Join(state, "subscribers", code)
}

// Standalone is a running standalone router.
type Standalone struct {
	*Contour
	NCAURL      string
	cfg         StandaloneConfig
	nca         *server.Server
	subscribers []Enrolled
}

// smdoCode is what a subscriber's code may be here: it names a folder of the state, so no path
// separators, and it fits the header's 64 characters (SMDO-FORMAT).
var smdoCode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckSubscribers says what is wrong with a list of subscriber codes, naming the code.
func CheckSubscribers(codes []string, counterpart bool) error {
	if len(codes) == 0 {
		return errors.New("no subscriber: give at least one smdoCode")
	}
	seen := map[string]bool{}
	for _, c := range codes {
		switch {
		case !smdoCode.MatchString(c):
			return fmt.Errorf("subscriber %q: a smdoCode here is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", c)
		case c == router.RouterID:
			return fmt.Errorf("subscriber %q: %s is the router's own code (SMDO-NOTICE); choose another", c, router.RouterID)
		case counterpart && c == CounterpartCode:
			return fmt.Errorf("subscriber %q: the counterpart the router plays has that code; choose another", c)
		case seen[c]:
			return fmt.Errorf("subscriber %q is given twice", c)
		}
		seen[c] = true
	}
	return nil
}

// Serve starts the CA and the router, registers the subscribers (and the counterpart) and writes
// their files.
func Serve(cfg StandaloneConfig) (*Standalone, error) {
	if cfg.State == "" {
		return nil, errors.New("smdo router: no state folder")
	}
	if err := CheckSubscribers(cfg.Subscribers, cfg.Counterpart); err != nil {
		return nil, fmt.Errorf("smdo router: %w", err)
	}
	ca, err := nca.LoadOrCreate("Test CA of the SMDO contour", filepath.Join(cfg.State, "ca"))
	if err != nil {
		return nil, fmt.Errorf("smdo router: CA state in %s: %w", cfg.State, err)
	}
	caSrv, err := ca.Serve(cfg.NCAAddr)
	if err != nil {
		return nil, fmt.Errorf("smdo router: CA at %s: %w", cfg.NCAAddr, err)
	}
	c, err := Start(Config{NCA: ca, Addr: cfg.Addr, Hosts: cfg.Hosts, Key: cfg.Key})
	if err != nil {
		caSrv.Close(context.Background())
		return nil, err // it names the router and its address
	}
	s := &Standalone{Contour: c, NCAURL: caSrv.URL(), cfg: cfg, nca: caSrv}
	if err := s.setUp(ca); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	return s, nil
}

// setUp writes the CA chain, enrols the subscribers and the counterpart, and keeps the CA's record
// of what it issued, so a restart finds the subscribers' certificates its own.
func (s *Standalone) setUp(ca *nca.Authority) error {
	if err := os.WriteFile(filepath.Join(s.cfg.State, "ca-chain.pem"), pki.PEM(ca.Intermediate(), ca.Root()), 0o644); err != nil {
		return err
	}
	taken := map[string]bool{}
	if s.cfg.Counterpart {
		taken[CounterpartID] = true
	}
	known, err := s.knownCredentials(taken)
	if err != nil {
		return err
	}
	next := firstSubscriberID
	for _, code := range s.cfg.Subscribers {
		cr, ok := known[code]
		if !ok {
			for taken[strconv.Itoa(next)] {
				next++
			}
			cr = Credentials{ID: strconv.Itoa(next), Code: code}
			taken[cr.ID] = true
		}
		if err := s.enrol(ca, cr); err != nil {
			return fmt.Errorf("subscriber %s: %w", code, err)
		}
	}
	if s.cfg.Counterpart {
		if err := s.addCounterpart(); err != nil {
			return err
		}
	}
	return ca.Save(filepath.Join(s.cfg.State, "ca"))
}

// knownCredentials reads the credentials a previous start wrote for the configured subscribers:
// the same username, password and idAbonent after a restart, so the СЭД's configuration stays
// valid. It marks their ids taken.
func (s *Standalone) knownCredentials(taken map[string]bool) (map[string]Credentials, error) {
	known := map[string]Credentials{}
	for _, code := range s.cfg.Subscribers {
		path := filepath.Join(StandaloneSubscriber(s.cfg.State, code), CredentialsFile)
		raw, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		var cr Credentials
		if err == nil {
			err = json.Unmarshal(raw, &cr)
		}
		if err == nil && (cr.Code != code || cr.ID == "" || cr.Username == "" || cr.Password == "") {
			err = errors.New("it lacks the username, password or id, or names another code")
		}
		if err == nil && taken[cr.ID] {
			err = fmt.Errorf("its id %s is another subscriber's", cr.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("subscriber %s: %s: %v; delete the file to have new credentials issued", code, path, err)
		}
		taken[cr.ID] = true
		known[code] = cr
	}
	return known, nil
}

// enrol gives a subscriber what НЦЭУ gives an organisation that connects: a test certificate and
// key from the CA its files are signed with (SMDO-SIGN, kept across restarts), client credentials
// (SMDO-TOKEN) and its place in the subscriber directory (SMDO-DIR).
func (s *Standalone) enrol(ca *nca.Authority, cr Credentials) error {
	dir := StandaloneSubscriber(s.cfg.State, cr.Code)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if cr.Name == "" {
		cr.Name = "Организация " + cr.Code
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	id, err := pki.LoadIdentity(certPath, keyPath)
	if err != nil || !ca.Knows(id.Certificate) {
		if id, err = ca.Issue(nca.Subject{CommonName: cr.Code, Organization: cr.Name}, s.cfg.Key); err != nil {
			return err
		}
		if err := pki.SaveIdentity(id, certPath, keyPath); err != nil {
			return err
		}
	}
	sub, err := s.Register(router.Subscriber{ID: cr.ID, Code: cr.Code, Name: cr.Name, Username: cr.Username, Password: cr.Password,
		Certificates: []*x509.Certificate{id.Certificate}})
	if err != nil {
		return err
	}
	cr.Username, cr.Password, cr.RouterURL = sub.Username, sub.Password, s.URL
	raw, err := json.MarshalIndent(cr, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, CredentialsFile), append(raw, '\n'), 0o600); err != nil {
		return err
	}
	s.subscribers = append(s.subscribers, Enrolled{Subscriber: sub, Dir: dir})
	return nil
}

// addCounterpart registers the subscriber whose СЭД the router plays (SMDO-ACK): it confirms each
// package routed to it and registers the documents that ask for acknowledgement. It calls no API,
// so it has no credentials.
func (s *Standalone) addCounterpart() error {
	script := CounterpartScript(s.cfg.scale(), router.Registered, "")
	return s.Router.AddSubscriber(router.Subscriber{ID: CounterpartID, Code: CounterpartCode, Name: CounterpartName,
		Status: router.StatusActive, Script: &script})
}

// scaled is d at the configured time scale (as specified when the scale is 0 or out of (0, 1]).
func (c StandaloneConfig) scale() float64 {
	if c.TimeScale <= 0 || c.TimeScale > 1 {
		return 1
	}
	return c.TimeScale
}

// Subscribers are the subscribers registered from the configuration, in its order.
func (s *Standalone) Subscribers() []Enrolled { return append([]Enrolled(nil), s.subscribers...) }

// Describe prints where everything is, for the configuration of the agency's СЭД.
func (s *Standalone) Describe(w io.Writer) {
	fmt.Fprintf(w, "SMDO router (simulated, HTTPS; GSecTLS is not simulated)\n  Router:   %s  (token, receiver/… outgoing, sender/… incoming, smdo_nsi_… directories)\n  CA:       %s  (OCSP, CRL)\n  CA chain: %s\n",
		s.URL, s.NCAURL, filepath.Join(s.cfg.State, "ca-chain.pem"))
	if s.cfg.Counterpart {
		fmt.Fprintf(w, "  counterpart %s (idAbonent %s): played by the router; confirms what it receives after %s and registers documents asking for acknowledgement %s later\n",
			CounterpartCode, CounterpartID, scaled(CounterpartConfirms, s.cfg.scale()), scaled(CounterpartRegisters, s.cfg.scale()))
	}
	for _, e := range s.subscribers {
		fmt.Fprintf(w, "  subscriber %s (idAbonent %s): cert.pem, key.pem, %s in %s\n", e.Subscriber.Code, e.Subscriber.ID, CredentialsFile, e.Dir)
	}
}

// Close stops the router and the CA.
func (s *Standalone) Close(ctx context.Context) {
	s.Contour.Close(ctx)
	s.nca.Close(ctx)
}
