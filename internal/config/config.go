// Package config reads the configuration of a standalone gateway (shepconf serve) and of the system
// under test: listen addresses, the NCA's state folder and key algorithm, the registry (systems with
// their password, BIN and asynchronous push endpoint; services with their owner's endpoint, REST or
// not, and grants). fixtures/shep/shepconf.example.yaml is the documented example.
package config

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shepconf/shepconf/internal/pki"
)

// DefaultGatewayBIN is the BIN in the gateway's certificate, both under shepconf serve and in a
// conformance run: an owner system configured once checks the gateway's signature in both.
const DefaultGatewayBIN = "197196233258"

// Reference is the endpoint value that routes a service to the built-in reference owner.
const Reference = "reference"

// Config is a whole configuration file.
type Config struct {
	// State is the folder where the NCA keeps its keys and where each system's certificate and key
	// are exported (default "shepconf-state", relative to the working folder).
	State  string `yaml:"state"`
	Listen Listen `yaml:"listen"`
	// Journal is the gateway's SQLite journal (default: journal.sqlite in State).
	Journal string `yaml:"journal"`
	// GatewayBIN is the BIN in the gateway's own certificate: owners check the gateway's transport
	// signature against it (A6-S1).
	GatewayBIN string `yaml:"gatewayBin"`
	// KeyAlgorithm is the key of every certificate the simulated NCA issues: rsa-2048 (the default,
	// as the national CA issues), ecdsa-p256 or gost2004 (GOST 34.310-2004; HTTPS certificates are
	// then ECDSA P-256, see pki.TLSKeyType) (see pki.ParseKeyType).
	KeyAlgorithm string    `yaml:"keyAlgorithm"`
	Systems      []System  `yaml:"systems"`
	Services     []Service `yaml:"services"`
	SUT          SUT       `yaml:"sut"`
}

// Listen holds the addresses the standalone actors listen on ("host:port").
type Listen struct {
	Gateway string `yaml:"gateway"` // the sync and async channels, /healthz and /metrics, over HTTP
	// REST is the gateway's HTTPS address: the REST channel, and the other channels too.
	// Default: port 8443 on the gateway's host (a free port when the gateway's port is 0).
	REST string `yaml:"rest"`
	// RESTHosts are further host names or IP addresses the gateway's HTTPS certificate is issued
	// for, beyond localhost, 127.0.0.1, ::1, the machine's name and the host of rest.
	RESTHosts []string `yaml:"restHosts"`
	NCA       string   `yaml:"nca"`   // OCSP, CRL, CA certificates; named in every certificate issued
	Owner     string   `yaml:"owner"` // the reference owner; empty when no service uses it
	// RESTOwner is the reference owner's HTTPS address, for REST services routed to it.
	RESTOwner string `yaml:"restOwner"`
	// ConnsPerClient caps the connections one client address holds at once on the gateway's
	// listeners (default 64); further ones are closed as they are accepted.
	ConnsPerClient int `yaml:"connsPerClient"`
}

// System is an informatization object registered with the gateway (R-53(2), R-54).
type System struct {
	ID       string `yaml:"id"`
	Password string `yaml:"password"`
	BIN      string `yaml:"bin"`
	// Push is the URL of the system's IAsyncChannelClient endpoint: the gateway pushes its
	// asynchronous messages and the status notifications of what it sent there (Appendix 1 section
	// 1.2). Empty: the system pulls its messages with getMessages and gets no notifications.
	Push string `yaml:"push"`
}

// Service is a registry entry: its owner system, where the owner serves it and who may call it
//
type Service struct {
	ID    string `yaml:"id"`
	Owner string `yaml:"owner"`
	// Endpoint is the owner's URL of the synchronous channel, or of the REST service when REST is
	// set (https only, R-2.7); "reference" routes to the built-in reference owner. Asynchronous
	// messages go to the owner system by its push endpoint or wait for getMessages.
	Endpoint string `yaml:"endpoint"`
	// REST: the owner serves the service in the REST style over HTTPS (Appendix 1 section 3).
	REST    bool     `yaml:"rest"`
	Granted []string `yaml:"granted"`
}

// SUT says which agency system the conformance suite tests (shepconf run), in which roles and how
// the harness makes it act; empty means the demonstration with the built-in sample agency system.
type SUT struct {
	System string `yaml:"system"` // its system ID; its BIN and password come from Systems
	URL    string `yaml:"url"`    // the base URL of a system already running
	Image  string `yaml:"image"`  // a system in this container image
	// Roles it is certified in: sync-owner, sync-initiator, async-sender, async-receiver-pull,
	// async-receiver-push, rest-owner, rest-initiator, or all (default sync-owner).
	Roles     []string          `yaml:"roles"`
	Port      int               `yaml:"port"`      // the port the image serves on (default: a free one, given as SHEPCONF_LISTEN)
	TLSPort   int               `yaml:"tlsPort"`   // the image's HTTPS port for rest-owner (default: a free one, SHEPCONF_TLS_LISTEN)
	Path      string            `yaml:"path"`      // path of its synchronous endpoint (default /sync)
	AsyncPath string            `yaml:"asyncPath"` // path of its asynchronous participant endpoint (default /async)
	RESTPath  string            `yaml:"restPath"`  // path of its REST endpoint (default /rest)
	RESTURL   string            `yaml:"restUrl"`   // the HTTPS base URL of the REST endpoint of a system at a URL
	Health    string            `yaml:"health"`    // an HTTP path answering 200 once it is ready; empty waits for the port
	Env       map[string]string `yaml:"env"`       // extra environment for the container
	Trigger   Trigger           `yaml:"trigger"`
}

// Trigger says how the harness makes the system act as an initiator, sender or pulling receiver
// (internal/trigger documents the JSON contract): give one of url, command or operator.
type Trigger struct {
	URL      string   `yaml:"url"`      // POST the trigger request here (for an image: a path such as /trigger)
	Command  []string `yaml:"command"`  // a command with placeholders such as {serviceId}; in the container for an image
	OnHost   bool     `yaml:"onHost"`   // run command on the host even for an image
	Operator bool     `yaml:"operator"` // an operator at the system's user interface acts, with a countdown
}

// Load reads and checks a configuration file; unknown keys are errors, so a typo is not silently
// ignored.
func Load(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return Parse(raw, path)
}

// Parse reads a configuration from YAML (JSON is YAML too); name is used in error messages.
func Parse(raw []byte, name string) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("configuration %s: %w", name, err)
	}
	c.defaults()
	if err := c.Check(); err != nil {
		return c, fmt.Errorf("configuration %s: %w", name, err)
	}
	return c, nil
}

func (c *Config) defaults() {
	if c.State == "" {
		c.State = "shepconf-state"
	}
	if c.Listen.Gateway == "" {
		c.Listen.Gateway = "127.0.0.1:8080"
	}
	if c.Listen.NCA == "" {
		c.Listen.NCA = "127.0.0.1:8081"
	}
	if c.Listen.REST == "" {
		c.Listen.REST = besideGateway(c.Listen.Gateway, "8443")
	}
	if c.Listen.Owner == "" && c.usesReference(false) {
		c.Listen.Owner = "127.0.0.1:8082"
	}
	if c.Listen.RESTOwner == "" && c.usesReference(true) {
		c.Listen.RESTOwner = "127.0.0.1:8444"
	}
	if c.GatewayBIN == "" {
		c.GatewayBIN = DefaultGatewayBIN
	}
}

// usesReference reports whether a service (a REST one, or one of the synchronous channel) is routed
// to the reference owner.
func (c *Config) usesReference(rest bool) bool {
	for _, s := range c.Services {
		if s.Endpoint == Reference && s.REST == rest {
			return true
		}
	}
	return false
}

// besideGateway is an address on the gateway's host with another port; a free one when the
// gateway's port is 0, so that a test's configuration takes no fixed port.
func besideGateway(gateway, port string) string {
	host, gwPort, err := net.SplitHostPort(gateway)
	if err != nil {
		return net.JoinHostPort("127.0.0.1", port)
	}
	if gwPort == "0" {
		port = "0"
	}
	return net.JoinHostPort(host, port)
}

// Bind makes every listen address use host, keeping its port: "0.0.0.0" in a container, where
// clients reach the servers from outside.
func (c *Config) Bind(host string) {
	for _, addr := range []*string{&c.Listen.Gateway, &c.Listen.REST, &c.Listen.NCA, &c.Listen.Owner, &c.Listen.RESTOwner} {
		if *addr == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(*addr); err == nil {
			*addr = net.JoinHostPort(host, port)
		}
	}
}

// KeyType is the key algorithm the NCA issues with (keyAlgorithm, checked by Check).
func (c *Config) KeyType() pki.KeyType {
	k, _ := pki.ParseKeyType(c.KeyAlgorithm)
	return k
}

// httpURL reports whether s is an absolute http or https URL with a host; scheme, when given, is
// the only one allowed.
func httpURL(s, scheme string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return scheme == "" || u.Scheme == scheme
}

var twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)

// Check reports the first inconsistency, naming the entry, the rule behind it and the fix.
func (c *Config) Check() error {
	if !twelveDigits.MatchString(c.GatewayBIN) {
		return fmt.Errorf("gatewayBin %q: a BIN is 12 digits (R-54)", c.GatewayBIN)
	}
	if _, err := pki.ParseKeyType(c.KeyAlgorithm); err != nil {
		return fmt.Errorf("keyAlgorithm: %w", err)
	}
	for i, h := range c.Listen.RESTHosts {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, "/: ") && net.ParseIP(h) == nil {
			return fmt.Errorf("listen.restHosts[%d] %q: give a host name or an IP address, without scheme or port", i, h)
		}
	}
	systems := map[string]bool{}
	for i, s := range c.Systems {
		switch {
		case s.ID == "":
			return fmt.Errorf("systems[%d]: id is empty; give the system's senderId (R-53(2))", i)
		case systems[s.ID]:
			return fmt.Errorf("systems[%d]: %s is listed twice", i, s.ID)
		case s.Password == "":
			return fmt.Errorf("systems[%d] %s: password is empty; the gateway authenticates every sender by it (R-53(2))", i, s.ID)
		case !twelveDigits.MatchString(s.BIN):
			return fmt.Errorf("systems[%d] %s: bin %q is not 12 digits; the signer's certificate must carry it (R-54)", i, s.ID, s.BIN)
		case s.Push != "" && !httpURL(s.Push, ""):
			return fmt.Errorf("systems[%d] %s: push %q is not an http(s) URL; give the URL of its IAsyncChannelClient endpoint, or leave push out for a system that pulls", i, s.ID, s.Push)
		}
		systems[s.ID] = true
	}
	services := map[string]bool{}
	for i, s := range c.Services {
		switch {
		case s.ID == "":
			return fmt.Errorf("services[%d]: id is empty; give the serviceId of the registry (R-6)", i)
		case services[s.ID]:
			return fmt.Errorf("services[%d]: %s is listed twice", i, s.ID)
		case !systems[s.Owner]:
			return fmt.Errorf("services[%d] %s: owner %q is not among systems; register it there", i, s.ID, s.Owner)
		case s.Endpoint == "":
			return fmt.Errorf(`services[%d] %s: endpoint is empty; give the owner's URL or "reference"`, i, s.ID)
		case s.REST && s.Endpoint != Reference && !httpURL(s.Endpoint, "https"):
			return fmt.Errorf(`services[%d] %s: endpoint %q of a REST service is neither an https URL nor "reference"; REST services are served over HTTPS (R-2.7)`, i, s.ID, s.Endpoint)
		case s.Endpoint != Reference && !httpURL(s.Endpoint, ""):
			return fmt.Errorf(`services[%d] %s: endpoint %q is neither an http(s) URL nor "reference"`, i, s.ID, s.Endpoint)
		}
		for _, g := range s.Granted {
			if !systems[g] {
				return fmt.Errorf("services[%d] %s: granted system %q is not among systems (R-37)", i, s.ID, g)
			}
		}
		services[s.ID] = true
	}
	if c.SUT.URL != "" && c.SUT.Image != "" {
		return fmt.Errorf("sut: give url or image, not both")
	}
	if (c.SUT.URL != "" || c.SUT.Image != "") && c.SUT.System != "" && !systems[c.SUT.System] {
		return fmt.Errorf("sut: system %q is not among systems; register it with its BIN", c.SUT.System)
	}
	kinds := 0
	for _, given := range []bool{c.SUT.Trigger.URL != "", len(c.SUT.Trigger.Command) > 0, c.SUT.Trigger.Operator} {
		if given {
			kinds++
		}
	}
	if kinds > 1 {
		return fmt.Errorf("sut.trigger: give one of url, command or operator, not %d of them", kinds)
	}
	return nil
}

// System returns a configured system.
func (c *Config) System(id string) (System, bool) {
	for _, s := range c.Systems {
		if s.ID == id {
			return s, true
		}
	}
	return System{}, false
}
