// Package container starts the simulated gateway (shepconf serve: gateway, NCA and reference owner)
// as a container for other Go test suites, in the manner of testcontainers-go's modules: one call,
// functional options.
//
//	gw, err := container.Run(ctx, "shepconf:latest",
//		container.WithSystem("MY_SYS", "secret", "100000000001"),
//		container.WithService("MY_SERVICE", "OWNER_SYS", "reference", "MY_SYS"))
//	defer gw.Terminate(ctx)
//	url, _ := gw.GatewayURL(ctx)         // sync at url + "/bip-sync-wss-gost/", async at url + "/bip-async"
//	rest, _ := gw.RESTURL(ctx)           // the REST channel over HTTPS at rest + "/bip-rest"
//	id, _ := gw.Identity(ctx, "MY_SYS")  // the certificate and key MY_SYS signs with
//
// The image is built with `make image` (Dockerfile at the repository root).
package container

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
	"gopkg.in/yaml.v3"

	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/dockerhost"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// Where the image keeps its configuration and state, and the gateway's ports.
const (
	ConfigPath  = "/etc/shepconf/shepconf.yaml"
	StatePath   = "/var/lib/shepconf"
	GatewayPort = "8080/tcp" // HTTP: the sync and async channels, /healthz, /metrics
	RESTPort    = "8443/tcp" // HTTPS: the REST channel (and the SOAP channels)
)

// Option configures the gateway container.
type Option func(*settings)

type settings struct {
	cfg  config.Config
	opts []testcontainers.ContainerCustomizer
}

// WithSystem registers a system: its senderId, password and the BIN its certificate carries.
func WithSystem(id, password, bin string) Option {
	return func(s *settings) {
		s.cfg.Systems = append(s.cfg.Systems, config.System{ID: id, Password: password, BIN: bin})
	}
}

// WithService publishes a service of owner at endpoint ("reference" for the built-in owner), open
// to the granted systems.
func WithService(id, owner, endpoint string, granted ...string) Option {
	return func(s *settings) {
		s.cfg.Services = append(s.cfg.Services, config.Service{ID: id, Owner: owner, Endpoint: endpoint, Granted: granted})
	}
}

// WithCustomizer passes any testcontainers-go option on (a network, a log consumer, ...).
func WithCustomizer(o ...testcontainers.ContainerCustomizer) Option {
	return func(s *settings) { s.opts = append(s.opts, o...) }
}

// Gateway is a running gateway container.
type Gateway struct {
	*testcontainers.DockerContainer
	Config config.Config // the configuration it runs with
}

// Run starts the gateway image and returns once its /healthz answers.
func Run(ctx context.Context, image string, opts ...Option) (*Gateway, error) {
	dockerhost.UseLocal()
	s := &settings{cfg: config.Config{
		State:  StatePath,
		Listen: config.Listen{Gateway: ":8080", REST: ":8443", NCA: "127.0.0.1:8081", Owner: "127.0.0.1:8082"},
	}}
	for _, o := range opts {
		o(s)
	}
	raw, err := yaml.Marshal(s.cfg)
	if err != nil {
		return nil, err
	}
	// The same checks as shepconf serve, before a container is started for nothing.
	cfg, err := config.Parse(raw, "container configuration")
	if err != nil {
		return nil, err
	}
	all := append([]testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(GatewayPort, RESTPort),
		testcontainers.WithFiles(testcontainers.ContainerFile{Reader: bytes.NewReader(raw), ContainerFilePath: ConfigPath, FileMode: 0o644}),
		testcontainers.WithCmd("serve", "--config", ConfigPath),
		testcontainers.WithLabels(map[string]string{"org.shepconf.role": "gateway"}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/healthz").WithPort(GatewayPort).WithStartupTimeout(time.Minute)),
	}, s.opts...)
	c, err := testcontainers.Run(ctx, image, all...)
	if err != nil {
		if c != nil { // started but never healthy: do not leave it running
			_ = c.Terminate(context.Background())
		}
		return nil, fmt.Errorf("gateway container %s: %w", image, err)
	}
	return &Gateway{DockerContainer: c, Config: cfg}, nil
}

// GatewayURL is the gateway's base URL as seen from the host.
func (g *Gateway) GatewayURL(ctx context.Context) (string, error) {
	return g.PortEndpoint(ctx, GatewayPort, "http")
}

// RESTURL is the gateway's HTTPS base URL as seen from the host; its certificate is the NCA's
// (CAChain).
func (g *Gateway) RESTURL(ctx context.Context) (string, error) {
	return g.PortEndpoint(ctx, RESTPort, "https")
}

// Identity is the certificate (with its chain) and key the container issued a system.
func (g *Gateway) Identity(ctx context.Context, systemID string) (*pki.Identity, error) {
	dir, err := os.MkdirTemp("", "shepconf-identity-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for _, f := range []string{"cert.pem", "key.pem"} {
		if err := g.copyOut(ctx, StatePath+"/systems/"+systemID+"/"+f, filepath.Join(dir, f)); err != nil {
			return nil, err
		}
	}
	return pki.LoadIdentity(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
}

// CAChain is the NCA's issuing and root certificates, to check the gateway's signature.
func (g *Gateway) CAChain(ctx context.Context) ([]*x509.Certificate, error) {
	dir, err := os.MkdirTemp("", "shepconf-ca-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, nca.ChainFile)
	if err := g.copyOut(ctx, StatePath+"/nca/"+nca.ChainFile, path); err != nil {
		return nil, err
	}
	return pki.ReadCertificates(path)
}

func (g *Gateway) copyOut(ctx context.Context, from, to string) error {
	r, err := g.CopyFileFromContainer(ctx, from)
	if err != nil {
		return fmt.Errorf("copy %s from the gateway container: %w", from, err)
	}
	defer r.Close()
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return os.WriteFile(to, raw, 0o600)
}
