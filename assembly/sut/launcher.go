package sut

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/agency"
)

// Launcher hands the system under test to every scenario of a run, starting it once, on first use
// (a container, or the sample agency system in-process for a demonstration), and stopping it when
// the run ends.
type Launcher struct {
	cfg        Config
	ca         *nca.Authority
	gatewayBIN string
	// Operator is where an operator trigger prints its instructions and reads the outcome typed.
	OperatorOut io.Writer
	OperatorIn  io.Reader
	// Key is the key algorithm of the system's certificates: RSA-2048 (the zero value, as the
	// national CA issues), ECDSA P-256 or GOST 34.310-2004. Its HTTPS certificate is of type
	// pki.TLSKeyType(Key): with GOST keys that is the certificate it presents and seals with (JOSE
	// and crypto/tls have no GOST), while it signs its SOAP messages with the GOST one.
	Key pki.KeyType

	once      sync.Once
	mu        sync.Mutex // guards target, which a restart changes
	target    Target
	err       error
	container *RunningContainer // the container started (Container kind)
	// failedLogs is the output of a container that did not become ready, removed since.
	failedLogs []byte
	servers    []*server.Server
}

// NewLauncher prepares the system under test of a run; ca is the run's NCA (see Config.Authority)
// and gatewayBIN the BIN of the gateway's certificate, which the system checks (A6-S1).
func NewLauncher(cfg Config, ca *nca.Authority, gatewayBIN string) *Launcher {
	return &Launcher{cfg: cfg, ca: ca, gatewayBIN: gatewayBIN, OperatorOut: os.Stdout}
}

// Config is the configuration the launcher was made with.
func (l *Launcher) Config() Config { return l.cfg }

// Target returns the system under test, starting it first.
func (l *Launcher) Target(ctx context.Context) (Target, error) {
	l.once.Do(func() {
		var t Target
		var err error
		switch l.cfg.Kind() {
		case URL:
			t = l.urlTarget()
		case Container:
			t, err = l.startContainer(ctx)
		default:
			t, err = l.startReference()
		}
		if err == nil {
			t.Kind, t.Describe = l.cfg.Kind(), l.cfg.Describe()
			if t.Trigger != nil {
				t.TriggerDescribe = t.Trigger.Describe()
			}
		}
		l.mu.Lock()
		l.target, l.err = t, err
		l.mu.Unlock()
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.target, l.err
}

// Started returns the system under test if the run started it (a run whose scenarios never needed
// it leaves it alone), without starting it.
func (l *Launcher) Started() (Target, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.target, l.target.SystemID != ""
}

func (l *Launcher) urlTarget() Target {
	base := strings.TrimSuffix(l.cfg.URL, "/")
	t := Target{SystemID: l.cfg.SystemID(), BIN: l.cfg.BIN, Password: l.cfg.Password,
		SyncURL:  base + l.cfg.path(l.cfg.SyncPath, DefaultSyncPath),
		AsyncURL: base + l.cfg.path(l.cfg.AsyncPath, DefaultAsyncPath)}
	if l.cfg.RESTURL != "" {
		t.RESTURL = strings.TrimSuffix(l.cfg.RESTURL, "/") + l.cfg.path(l.cfg.RESTPath, DefaultRESTPath)
	}
	t.Trigger = l.trigger(base, nil)
	return t
}

// trigger builds the configured trigger; base resolves a trigger path, exec runs a command in the
// container (nil on the host).
func (l *Launcher) trigger(base string, exec trigger.Runner) trigger.Trigger {
	return l.cfg.Trigger.Build(base, exec, l.OperatorOut, l.OperatorIn)
}

// Build makes the trigger: a URL (a path is resolved below base, the system's base URL), a command
// (run through exec, inside the container, unless OnHost or exec is nil), or an operator who
// reads out and types on in. Nil when no trigger is given.
func (t Trigger) Build(base string, exec trigger.Runner, out io.Writer, in io.Reader) trigger.Trigger {
	switch {
	case t.URL != "":
		u := t.URL
		if strings.HasPrefix(u, "/") {
			u = base + u
		}
		return trigger.HTTP{URL: u}
	case len(t.Command) > 0:
		if t.OnHost || exec == nil {
			return trigger.Command{Args: t.Command, Where: "on the host"}
		}
		return trigger.Command{Args: t.Command, Run: exec, Where: "in the container"}
	case t.Operator:
		return &trigger.Operator{Out: out, In: in}
	}
	return nil
}

// identities issues the system's transport signature certificate and its HTTPS server certificate,
// for 127.0.0.1 and allowed for client authentication too, from the run's NCA with the run's key
// algorithm (the HTTPS one of type pki.TLSKeyType, as IssueServer issues it).
func (l *Launcher) identities(bin string) (sign, tls *pki.Identity, err error) {
	subject := nca.Subject{CommonName: l.cfg.SystemID(), BIN: bin, Organization: l.cfg.SystemID() + " organisation"}
	if sign, err = l.ca.Issue(subject, l.Key); err != nil {
		return nil, nil, err
	}
	tls, err = l.ca.IssueServer(subject, l.Key, "127.0.0.1", "localhost")
	return sign, tls, err
}

func (l *Launcher) password() string {
	if l.cfg.Password != "" {
		return l.cfg.Password
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (l *Launcher) bin() string {
	if l.cfg.BIN != "" {
		return l.cfg.BIN
	}
	return DefaultBIN
}

// startContainer runs the image in the host's network namespace, bound to loopback (RunContainer),
// with the system's certificates, its registration and the gateway's BIN: it reaches each
// scenario's gateway and the NCA's OCSP responder at 127.0.0.1 as the harness does.
func (l *Launcher) startContainer(ctx context.Context) (Target, error) {
	bin, password := l.bin(), l.password()
	id, tlsID, err := l.identities(bin)
	if err != nil {
		return Target{}, err
	}
	key, err := id.KeyPEM()
	if err != nil {
		return Target{}, err
	}
	tlsKey, err := tlsID.KeyPEM()
	if err != nil {
		return Target{}, err
	}
	tlsPort := l.cfg.TLSPort
	if tlsPort == 0 {
		if tlsPort, err = freePort(); err != nil {
			return Target{}, err
		}
	}
	env := map[string]string{
		"SHEPCONF_SYSTEM_ID":   l.cfg.SystemID(),
		"SHEPCONF_BIN":         bin,
		"SHEPCONF_PASSWORD":    password,
		"SHEPCONF_GATEWAY_BIN": l.gatewayBIN,
		"SHEPCONF_CERT":        CertPath,
		"SHEPCONF_KEY":         KeyPath,
		"SHEPCONF_CA":          CAPath,
		"SHEPCONF_TLS_CERT":    TLSCertPath,
		"SHEPCONF_TLS_KEY":     TLSKeyPath,
		"SHEPCONF_TLS_LISTEN":  "127.0.0.1:" + strconv.Itoa(tlsPort),
	}
	for k, v := range l.cfg.Env {
		env[k] = v
	}
	c, err := RunContainer(ctx, ContainerSpec{Image: l.cfg.Image, Env: env, Port: l.cfg.Port, Health: l.cfg.Health,
		Files: []ContainerFile{
			{Path: CertPath, Data: CertChainPEM(id)},
			{Path: KeyPath, Data: key},
			{Path: CAPath, Data: pki.PEM(l.ca.Intermediate(), l.ca.Root())},
			{Path: TLSCertPath, Data: CertChainPEM(tlsID)},
			{Path: TLSKeyPath, Data: tlsKey},
		}})
	if err != nil {
		var nr *NotReadyError
		if errors.As(err, &nr) {
			l.failedLogs = nr.Logs
		}
		return Target{}, err
	}
	l.container = c
	base := c.BaseURL()
	t := Target{SystemID: l.cfg.SystemID(), BIN: bin, Password: password, Image: l.cfg.Image, Digest: c.Digest(),
		SyncURL:  base + l.cfg.path(l.cfg.SyncPath, DefaultSyncPath),
		AsyncURL: base + l.cfg.path(l.cfg.AsyncPath, DefaultAsyncPath),
		RESTURL:  "https://127.0.0.1:" + strconv.Itoa(tlsPort) + l.cfg.path(l.cfg.RESTPath, DefaultRESTPath)}
	t.Trigger = l.trigger(base, c.Exec)
	return t, nil
}

// CertChainPEM is an identity's certificate followed by the CAs it chains to, as PEM: the file a
// container reads as SHEPCONF_CERT.
func CertChainPEM(id *pki.Identity) []byte {
	return pki.PEM(append([]*x509.Certificate{id.Certificate}, id.Chain...)...)
}

// startReference runs the sample agency system in-process on loopback: the demonstration.
func (l *Launcher) startReference() (Target, error) {
	bin, password := l.bin(), l.password()
	id, tlsID, err := l.identities(bin)
	if err != nil {
		return Target{}, err
	}
	sys, err := agency.New(agency.Config{SystemID: l.cfg.SystemID(), Password: password, Identity: id,
		Checker: &xsig.Checker{Roots: l.ca.Roots(), Intermediates: l.ca.Intermediates()}, GatewayBIN: l.gatewayBIN,
		Defects: l.cfg.Defects, TLS: tlsID})
	if err != nil {
		return Target{}, err
	}
	plain, err := server.Start("127.0.0.1:0", sys.Handler())
	if err != nil {
		return Target{}, err
	}
	secure, err := server.StartTLS("127.0.0.1:0", sys.TLSHandler(), sys.TLSConfig())
	if err != nil {
		_ = plain.Close(context.Background())
		return Target{}, err
	}
	l.servers = append(l.servers, plain, secure.Server)
	base := plain.URL()
	return Target{SystemID: l.cfg.SystemID(), BIN: bin, Password: password,
		SyncURL: base + DefaultSyncPath, AsyncURL: base + DefaultAsyncPath, RESTURL: secure.URL() + DefaultRESTPath,
		Trigger: trigger.HTTP{URL: base + DefaultTriggerPath}}, nil
}

// ErrNotControlled is returned by Stop, Start, Pause and Unpause for an owner system that the
// launcher did not start: the reference owner (the steps run it) or an owner at a URL.
var ErrNotControlled = msg.Errorf("the harness did not start this owner system, so it cannot stop, start or pause it")

// Stop stops the owner container as docker stop does (SIGTERM, then SIGKILL after 10 s): its
// endpoint refuses connections until Start.
func (l *Launcher) Stop(ctx context.Context) error {
	if l.container == nil {
		return ErrNotControlled
	}
	return l.container.Stop(ctx)
}

// Start starts the stopped owner container again and waits until it is healthy, as at first start.
// The container shares the host's network and binds the same port again, so the target is the same.
func (l *Launcher) Start(ctx context.Context) (Target, error) {
	if l.container == nil {
		return Target{}, ErrNotControlled
	}
	if err := l.container.Start(ctx); err != nil {
		return Target{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.target, nil
}

// Pause freezes every process of the owner container (docker pause): connections to it are still
// accepted by the kernel, but nothing reads or answers them until Unpause.
func (l *Launcher) Pause(ctx context.Context) error {
	if l.container == nil {
		return ErrNotControlled
	}
	return l.container.Pause(ctx)
}

// Unpause lets a paused owner container run again (docker unpause).
func (l *Launcher) Unpause(ctx context.Context) error {
	if l.container == nil {
		return ErrNotControlled
	}
	return l.container.Unpause(ctx)
}

// State is the owner container's state as the engine reports it: running, paused, exited.
func (l *Launcher) State(ctx context.Context) (string, error) {
	if l.container == nil {
		return "", ErrNotControlled
	}
	return l.container.State(ctx)
}

// Logs is what the owner container wrote so far (nothing for other kinds), read from the engine in
// full; for a container that never became ready, what it wrote before it was removed.
func (l *Launcher) Logs(ctx context.Context) []byte {
	if l.container != nil {
		return l.container.Logs(ctx)
	}
	return l.failedLogs
}

// Close stops the system under test.
func (l *Launcher) Close(ctx context.Context) error {
	var errs []string
	if l.container != nil {
		if err := l.container.Close(ctx); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, s := range l.servers {
		_ = s.Close(ctx)
	}
	if len(errs) > 0 {
		return fmt.Errorf("stop the system under test: %s", strings.Join(errs, "; "))
	}
	return nil
}
