package sut

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"

	"github.com/shepconf/shepconf/internal/dockerhost"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/agency"
)

// StartupTimeout bounds how long a container may take to become healthy.
const StartupTimeout = 2 * time.Minute

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
	// national CA issues) or ECDSA P-256.
	Key pki.KeyType

	once      sync.Once
	mu        sync.Mutex // guards target, which a restart changes
	target    Target
	err       error
	port      int
	container *testcontainers.DockerContainer
	servers   []*server.Server
	logs      logBuffer
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
	t := l.cfg.Trigger
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
		return &trigger.Operator{Out: l.OperatorOut, In: l.OperatorIn}
	}
	return nil
}

// identities issues the system's transport signature certificate and its HTTPS server certificate,
// for 127.0.0.1, from the run's NCA with the run's key algorithm.
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

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startContainer runs the image in the host's network namespace, bound to loopback: it reaches
// each scenario's gateway and the NCA's OCSP responder at 127.0.0.1 as the harness does, and
// nothing outside the machine reaches it.
func (l *Launcher) startContainer(ctx context.Context) (Target, error) {
	dockerhost.UseLocal()
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
	if l.port = l.cfg.Port; l.port == 0 {
		if l.port, err = freePort(); err != nil {
			return Target{}, err
		}
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
		"SHEPCONF_LISTEN":      "127.0.0.1:" + strconv.Itoa(l.port),
		"SHEPCONF_TLS_LISTEN":  "127.0.0.1:" + strconv.Itoa(tlsPort),
	}
	for k, v := range l.cfg.Env {
		env[k] = v
	}
	base := "http://127.0.0.1:" + strconv.Itoa(l.port)
	chain := func(c *pki.Identity) []byte {
		return pki.PEM(append([]*x509.Certificate{c.Certificate}, c.Chain...)...)
	}
	l.container, err = testcontainers.Run(ctx, l.cfg.Image,
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.NetworkMode = "host" }),
		testcontainers.WithEnv(env),
		testcontainers.WithLabels(map[string]string{"org.shepconf.role": "sut"}),
		testcontainers.WithFiles(
			testcontainers.ContainerFile{Reader: bytes.NewReader(chain(id)), ContainerFilePath: CertPath, FileMode: 0o644},
			testcontainers.ContainerFile{Reader: bytes.NewReader(key), ContainerFilePath: KeyPath, FileMode: 0o644},
			testcontainers.ContainerFile{Reader: bytes.NewReader(pki.PEM(l.ca.Intermediate(), l.ca.Root())), ContainerFilePath: CAPath, FileMode: 0o644},
			testcontainers.ContainerFile{Reader: bytes.NewReader(chain(tlsID)), ContainerFilePath: TLSCertPath, FileMode: 0o644},
			testcontainers.ContainerFile{Reader: bytes.NewReader(tlsKey), ContainerFilePath: TLSKeyPath, FileMode: 0o644},
		),
		testcontainers.WithLogConsumers(&l.logs),
	)
	if err == nil {
		err = l.waitReady(ctx, base)
	}
	if err != nil {
		return Target{}, fmt.Errorf("system under test: container %s did not become ready: %w\n%s", l.cfg.Image, err, l.logs.String())
	}
	t := Target{SystemID: l.cfg.SystemID(), BIN: bin, Password: password, Image: l.cfg.Image,
		SyncURL:  base + l.cfg.path(l.cfg.SyncPath, DefaultSyncPath),
		AsyncURL: base + l.cfg.path(l.cfg.AsyncPath, DefaultAsyncPath),
		RESTURL:  "https://127.0.0.1:" + strconv.Itoa(tlsPort) + l.cfg.path(l.cfg.RESTPath, DefaultRESTPath)}
	if in, err := l.container.Inspect(ctx); err == nil {
		t.Digest = in.Image
	}
	t.Trigger = l.trigger(base, l.exec)
	return t, nil
}

// waitReady waits until the container answers on its port (its health path when configured, 200):
// in the host's network there is no published port for testcontainers-go's own strategies to watch.
func (l *Launcher) waitReady(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, StartupTimeout)
	defer cancel()
	addr := strings.TrimPrefix(base, "http://")
	for {
		if l.cfg.Health == "" {
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				return nil
			}
		} else if req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+l.cfg.Health, nil); err == nil {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		if st, err := l.container.State(ctx); err == nil && !st.Running {
			return fmt.Errorf("the container exited (code %d) before it was ready", st.ExitCode)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nothing answered at %s within %s", base+l.cfg.Health, StartupTimeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// exec runs a command inside the container (testcontainers-go Exec) for a command trigger.
func (l *Launcher) exec(ctx context.Context, args []string) (int, []byte, error) {
	code, r, err := l.container.Exec(ctx, args, tcexec.Multiplexed())
	if err != nil {
		return code, nil, err
	}
	out, err := io.ReadAll(r)
	return code, out, err
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
var ErrNotControlled = errors.New("the harness did not start this owner system, so it cannot stop, start or pause it")

// Stop stops the owner container as docker stop does (SIGTERM, then SIGKILL after 10 s): its
// endpoint refuses connections until Start.
func (l *Launcher) Stop(ctx context.Context) error {
	if l.container == nil {
		return ErrNotControlled
	}
	grace := 10 * time.Second
	return l.container.Stop(ctx, &grace)
}

// Start starts the stopped owner container again and waits until it is healthy, as at first start.
// The engine may publish its port on another host port, so the target is returned anew.
func (l *Launcher) Start(ctx context.Context) (Target, error) {
	if l.container == nil {
		return Target{}, ErrNotControlled
	}
	if err := l.container.Start(ctx); err == nil {
		err = l.waitReady(ctx, "http://127.0.0.1:"+strconv.Itoa(l.port))
	} else {
		return Target{}, fmt.Errorf("system under test: container %s did not become ready again: %w", l.cfg.Image, err)
	}
	// The container shares the host's network and binds the same port again.
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.target, nil
}

// Pause freezes every process of the owner container (docker pause): connections to it are still
// accepted by the kernel, but nothing reads or answers them until Unpause.
func (l *Launcher) Pause(ctx context.Context) error {
	return l.engine(ctx, func(c *testcontainers.DockerClient, id string) error {
		_, err := c.ContainerPause(ctx, id, client.ContainerPauseOptions{})
		return err
	})
}

// Unpause lets a paused owner container run again (docker unpause).
func (l *Launcher) Unpause(ctx context.Context) error {
	return l.engine(ctx, func(c *testcontainers.DockerClient, id string) error {
		_, err := c.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
		return err
	})
}

// State is the owner container's state as the engine reports it: running, paused, exited.
func (l *Launcher) State(ctx context.Context) (string, error) {
	if l.container == nil {
		return "", ErrNotControlled
	}
	st, err := l.container.State(ctx)
	if err != nil {
		return "", err
	}
	return string(st.Status), nil
}

// engine runs f with a client of the Docker engine: testcontainers-go has no pause of its own.
func (l *Launcher) engine(ctx context.Context, f func(*testcontainers.DockerClient, string) error) error {
	if l.container == nil {
		return ErrNotControlled
	}
	c, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("system under test: Docker engine: %w", err)
	}
	defer c.Close()
	return f(c, l.container.GetContainerID())
}

// Logs is what the owner container wrote so far (nothing for other kinds), read from the engine in
// full: the streamed copy may lag behind the last requests.
func (l *Launcher) Logs(ctx context.Context) []byte {
	if l.container != nil {
		if r, err := l.container.Logs(ctx); err == nil {
			defer r.Close()
			if all, err := io.ReadAll(r); err == nil {
				return all
			}
		}
	}
	return []byte(l.logs.String())
}

// Close stops the system under test.
func (l *Launcher) Close(ctx context.Context) error {
	var errs []string
	if l.container != nil {
		// A paused container cannot be stopped on every engine; let it run first.
		if st, err := l.State(ctx); err == nil && st == "paused" {
			_ = l.Unpause(ctx)
		}
		if err := l.container.Terminate(ctx); err != nil {
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

// logBuffer keeps a container's output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Accept(l testcontainers.Log) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(l.Content)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
