package sut

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/shepconf/shepconf/simulators/nca"
)

// StartupTimeout bounds how long an owner container may take to become healthy.
const StartupTimeout = 2 * time.Minute

// Launcher hands the owner system under test to every scenario of a run, starting a container once,
// on first use, and stopping it when the run ends.
type Launcher struct {
	cfg        Config
	ca         *nca.Authority
	gatewayBIN string

	once      sync.Once
	mu        sync.Mutex // guards target, which a restart changes
	target    Target
	err       error
	portSpec  string
	container *testcontainers.DockerContainer
	network   *testcontainers.DockerNetwork
	logs      logBuffer
}

// NewLauncher prepares the system under test of a run; ca is the run's NCA (see Config.Authority)
// and gatewayBIN the BIN of the gateway's certificate, which an owner checks (A6-S1).
func NewLauncher(cfg Config, ca *nca.Authority, gatewayBIN string) *Launcher {
	return &Launcher{cfg: cfg, ca: ca, gatewayBIN: gatewayBIN}
}

// Config is the configuration the launcher was made with.
func (l *Launcher) Config() Config { return l.cfg }

// Target returns the owner system under test, starting it first if it is a container. Reference
// has no target: the steps start their own reference owner per scenario.
func (l *Launcher) Target(ctx context.Context) (Target, error) {
	l.once.Do(func() {
		switch l.cfg.Kind() {
		case URL:
			l.target = Target{SystemID: l.cfg.SystemID(), BIN: l.cfg.BIN, Endpoint: l.cfg.URL, Describe: l.cfg.Describe()}
		case Container:
			l.target, l.err = l.startContainer(ctx)
		default:
			l.err = fmt.Errorf("the reference owner is started by the steps, not by the launcher")
		}
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.target, l.err
}

func (l *Launcher) startContainer(ctx context.Context) (Target, error) {
	UseLocalDockerHost()
	bin := l.cfg.BIN
	if bin == "" {
		bin = DefaultBIN
	}
	id, err := l.ca.Issue(nca.Subject{CommonName: l.cfg.SystemID(), BIN: bin, Organization: l.cfg.SystemID() + " organisation"}, nca.ECDSAP256)
	if err != nil {
		return Target{}, err
	}
	key, err := id.KeyPEM()
	if err != nil {
		return Target{}, err
	}
	port := l.cfg.Port
	if port == 0 {
		port = 8080
	}
	portSpec := strconv.Itoa(port) + "/tcp"
	l.portSpec = portSpec
	path := l.cfg.Path
	if path == "" {
		path = "/sync"
	}

	// A network of its own: the owner shares it with nothing else; the gateway reaches it through
	// the published port.
	if l.network, err = network.New(ctx, network.WithLabels(map[string]string{"org.shepconf.role": "sut"})); err != nil {
		return Target{}, fmt.Errorf("system under test: private network: %w", err)
	}
	env := map[string]string{
		"SHEPCONF_SYSTEM_ID":   l.cfg.SystemID(),
		"SHEPCONF_BIN":         bin,
		"SHEPCONF_GATEWAY_BIN": l.gatewayBIN,
		"SHEPCONF_CERT":        CertPath,
		"SHEPCONF_KEY":         KeyPath,
		"SHEPCONF_CA":          CAPath,
		"SHEPCONF_LISTEN":      ":" + strconv.Itoa(port),
	}
	for k, v := range l.cfg.Env {
		env[k] = v
	}
	var waitFor wait.Strategy = wait.ForListeningPort(portSpec).WithStartupTimeout(StartupTimeout)
	if l.cfg.Health != "" {
		waitFor = wait.ForHTTP(l.cfg.Health).WithPort(portSpec).WithStartupTimeout(StartupTimeout)
	}
	l.container, err = testcontainers.Run(ctx, l.cfg.Image,
		network.WithNetwork([]string{"sut-owner"}, l.network),
		testcontainers.WithExposedPorts(portSpec),
		testcontainers.WithEnv(env),
		testcontainers.WithLabels(map[string]string{"org.shepconf.role": "sut"}),
		testcontainers.WithFiles(
			testcontainers.ContainerFile{Reader: bytes.NewReader(nca.PEM(append([]*x509.Certificate{id.Certificate}, id.Chain...)...)), ContainerFilePath: CertPath, FileMode: 0o644},
			testcontainers.ContainerFile{Reader: bytes.NewReader(key), ContainerFilePath: KeyPath, FileMode: 0o644},
			testcontainers.ContainerFile{Reader: bytes.NewReader(nca.PEM(l.ca.Intermediate(), l.ca.Root())), ContainerFilePath: CAPath, FileMode: 0o644},
		),
		testcontainers.WithLogConsumers(&l.logs),
		testcontainers.WithWaitStrategy(waitFor),
	)
	if err != nil {
		return Target{}, fmt.Errorf("system under test: container %s did not become ready: %w\n%s", l.cfg.Image, err, l.logs.String())
	}
	endpoint, err := l.container.PortEndpoint(ctx, portSpec, "http")
	if err != nil {
		return Target{}, err
	}
	return Target{SystemID: l.cfg.SystemID(), BIN: bin, Endpoint: endpoint + path, Describe: l.cfg.Describe()}, nil
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
	if err := l.container.Start(ctx); err != nil {
		return Target{}, fmt.Errorf("system under test: container %s did not become ready again: %w", l.cfg.Image, err)
	}
	endpoint, err := l.container.PortEndpoint(ctx, l.portSpec, "http")
	if err != nil {
		return Target{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	path := l.cfg.Path
	if path == "" {
		path = "/sync"
	}
	l.target.Endpoint = endpoint + path
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

// Close stops the owner container and removes its network.
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
	if l.network != nil {
		if err := l.network.Remove(ctx); err != nil {
			errs = append(errs, err.Error())
		}
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
