// Package agency is the sample agency system: one informatization object that plays every role an
// agency's system plays on the gateway (sync owner and initiator, async sender and receiver by pull
// or push, REST owner and initiator), answers the harness's trigger contract (internal/trigger)
// and can be broken on purpose, one defect at a time, to show that each role's scenarios catch it.
// It is the living documentation of a conforming system: cmd/sample-agency puts it in a container
// image FROM scratch, and a demonstration run (no system under test given) runs it in-process as the
// harness's reference system.
//
// Each role lives in a file of its own and adds itself in an init function (see addRole): its
// endpoints, its trigger actions and its defects.
package agency

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/internal/xsig"
)

// Paths the system serves on its plain HTTP address (Handler).
const (
	SyncPath    = "/sync"    // sync owner: SendMessage routed by the gateway (A1-T19)
	AsyncPath   = "/async"   // async participant: sendMessage pushed, changeMassageStatusNotification (A1-T13, A1-T16)
	TriggerPath = "/trigger" // the trigger contract (internal/trigger)
	HealthPath  = "/healthz"
)

// Config is what the system needs to take part: its registration at the gateway, its EDS, and the
// gateway's certificate checks. The harness gives a container these as SHEPCONF_* variables.
type Config struct {
	SystemID string // its senderId (R-53(2))
	Password string // the password the operator issued for it (R-53(2))
	// Identity is its transport signature certificate and key, issued by the NCA with its BIN:
	// RSA, ECDSA or GOST 34.310-2004.
	Identity *pki.Identity
	// Checker verifies the gateway's transport signature on everything the gateway sends it, and
	// GatewayBIN is the BIN the gateway's certificate must carry (A6-S1).
	Checker    *xsig.Checker
	GatewayBIN string
	// Defects break the system on purpose (see Defects); a conforming system has none.
	Defects []string
	Log     *slog.Logger
	// TLS is its HTTPS server certificate (the REST owner's endpoint), issued by the NCA for the
	// address the gateway calls, and allowed for client authentication: with a GOST Identity it is
	// also the certificate the system presents over mutual TLS (see clientCertificates).
	TLS *pki.Identity
	// HTTP is the client it calls the gateway with; a default with the Rules' 30 s limit when nil.
	HTTP *http.Client
}

// Action performs one trigger request.
type Action func(ctx context.Context, r trigger.Request) trigger.Result

// System is a running sample agency system.
type System struct {
	cfg     Config
	mux     *http.ServeMux
	tlsMux  *http.ServeMux
	actions map[string]Action // by channel + "/" + action
	state   sync.Map          // per-role state, by the role's key
}

// role is what a role's file adds: a name, the defects that break it and how it sets itself up.
type role struct {
	name    string
	defects map[string]string // defect name -> what it breaks, for the help and the errors
	setup   func(*System) error
}

var roles []role

// addRole is called from each role file's init.
func addRole(name string, defects map[string]string, setup func(*System) error) {
	roles = append(roles, role{name: name, defects: defects, setup: setup})
}

// Defects lists every defect the system knows, as "name: what it breaks (role)", sorted.
func Defects() []string {
	var out []string
	for _, r := range roles {
		for d, what := range r.defects {
			out = append(out, fmt.Sprintf("%s: %s (%s)", d, what, r.name))
		}
	}
	sort.Strings(out)
	return out
}

// DefectsOf lists the defect names of one role.
func DefectsOf(roleName string) []string {
	var out []string
	for _, r := range roles {
		if r.name == roleName {
			for d := range r.defects {
				out = append(out, d)
			}
		}
	}
	sort.Strings(out)
	return out
}

// KnownDefect says whether name is a defect of one of the roles.
func KnownDefect(name string) bool {
	for _, r := range roles {
		if _, ok := r.defects[name]; ok {
			return true
		}
	}
	return false
}

// New sets up every role. An unknown defect is an error naming the known ones.
func New(cfg Config) (*System, error) {
	if cfg.Identity == nil {
		return nil, fmt.Errorf("sample agency system: no certificate and key; the NCA issues them (R-54)")
	}
	if cfg.SystemID == "" {
		return nil, fmt.Errorf("sample agency system: no system ID (senderId, R-53(2))")
	}
	for _, d := range cfg.Defects {
		if !KnownDefect(d) {
			return nil, fmt.Errorf("sample agency system: unknown defect %q; known defects:\n  %s", d, strings.Join(Defects(), "\n  "))
		}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: defaultCallTimeout}
	}
	s := &System{cfg: cfg, mux: http.NewServeMux(), tlsMux: http.NewServeMux(), actions: map[string]Action{}}
	s.mux.HandleFunc(TriggerPath, s.serveTrigger)
	s.mux.HandleFunc(HealthPath, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	for _, r := range roles {
		if err := r.setup(s); err != nil {
			return nil, fmt.Errorf("sample agency system, role %s: %w", r.name, err)
		}
	}
	return s, nil
}

// Handler serves the plain HTTP endpoints: SyncPath, AsyncPath, TriggerPath, HealthPath.
func (s *System) Handler() http.Handler { return s.mux }

// TLSHandler serves the endpoints that need HTTPS (the REST owner).
func (s *System) TLSHandler() http.Handler { return s.tlsMux }

// TLSConfig is the HTTPS configuration of TLSHandler: its server certificate, and the client
// certificate the gateway presents requested (the REST owner checks it, A6-S3).
func (s *System) TLSConfig() *tls.Config {
	c := &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	if s.cfg.TLS != nil {
		c.Certificates = []tls.Certificate{s.cfg.TLS.TLSCertificate()}
	}
	return c
}

// clientCertificates is what the system presents over mutual TLS: its EDS certificate, or,
// when that has a GOST 34.310 key, which crypto/tls cannot present, its HTTPS certificate; none when
// it has neither.
func (s *System) clientCertificates() []tls.Certificate {
	if !s.cfg.Identity.HasGOSTKey() {
		return []tls.Certificate{s.cfg.Identity.TLSCertificate()}
	}
	if s.cfg.TLS != nil {
		return []tls.Certificate{s.cfg.TLS.TLSCertificate()}
	}
	return nil
}

// Config is the configuration the system runs with.
func (s *System) Config() Config { return s.cfg }

// Defect says whether the system was broken on purpose with this defect.
func (s *System) Defect(name string) bool { return slices.Contains(s.cfg.Defects, name) }

// on registers what a trigger request for channel and action does.
func (s *System) on(channel, action string, a Action) { s.actions[channel+"/"+action] = a }

// serveTrigger answers the trigger contract: POST a trigger.Request, get a trigger.Result.
func (s *System) serveTrigger(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a trigger request as JSON", http.StatusMethodNotAllowed)
		return
	}
	var req trigger.Request
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "trigger request: "+err.Error(), http.StatusBadRequest)
		return
	}
	res, status := s.Act(r.Context(), req)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(res)
}

// Act performs a trigger request, as the trigger endpoint and the command line do.
func (s *System) Act(ctx context.Context, req trigger.Request) (trigger.Result, int) {
	if err := req.Check(); err != nil {
		return trigger.Result{Outcome: trigger.Failed, Error: err.Error()}, http.StatusBadRequest
	}
	a, ok := s.actions[req.Channel+"/"+req.Action]
	if !ok {
		return trigger.Result{Outcome: trigger.Failed, Error: fmt.Sprintf("this system does not %s on the %s channel", req.Action, req.Channel)}, http.StatusNotImplemented
	}
	s.cfg.Log.Info("trigger", "action", req.Action, "channel", req.Channel, "service", req.ServiceID)
	res := a(ctx, req)
	s.cfg.Log.Info("trigger done", "outcome", res.Outcome, "messageId", res.MessageID, "error", res.Error)
	return res, http.StatusOK
}
