// Package sut says how the suite reaches the agency's system under test and makes it act: a system
// already running at a URL, a system in a container image (started once per run with
// testcontainers-go in the host's network namespace, bound to loopback, waited for until healthy,
// its logs kept as evidence), or, for a demonstration run, the sample agency system in-process.
// The system declares the roles it plays; the scenarios of each role talk to it alone.
package sut

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/agency"
)

// Kinds of system under test.
const (
	Reference = "reference" // the sample agency system in-process: a demonstration, certifies nothing
	URL       = "url"
	Container = "container"
)

// DefaultSystem is the system ID of the system under test when none is configured, and DefaultBIN
// the BIN its certificate carries when the harness issues it (container, demonstration).
const (
	DefaultSystem = "AGENCY_SYS"
	DefaultBIN    = "100000000002"
)

// Paths inside a container where the harness puts the files the image reads (also given in the
// environment as SHEPCONF_CERT, SHEPCONF_KEY, SHEPCONF_CA).
const (
	CertPath    = "/shepconf/cert.pem"     // the system's certificate followed by the issuing CA
	KeyPath     = "/shepconf/key.pem"      // its private key, PKCS#8
	CAPath      = "/shepconf/ca-chain.pem" // issuing CA then root CA: to check the gateway's signature
	TLSCertPath = "/shepconf/tls-cert.pem" // its HTTPS certificate (REST owner; client too), for 127.0.0.1: never GOST
	TLSKeyPath  = "/shepconf/tls-key.pem"
)

// Default paths of the system's endpoints, relative to its base URL (the sample agency system's).
const (
	DefaultSyncPath    = "/sync"
	DefaultAsyncPath   = "/async"
	DefaultRESTPath    = "/rest"
	DefaultTriggerPath = "/trigger"
)

// Trigger says how the harness makes the system act (internal/trigger): one of URL, Command or
// Operator.
type Trigger struct {
	URL      string   // POST the trigger request to this URL (for a container: a path, e.g. /trigger)
	Command  []string // run this command with placeholders (in the container, or on the host with OnHost)
	OnHost   bool     // run Command on the host even for a container
	Operator bool     // an operator at the system's user interface acts
}

// Given says whether any trigger is configured.
func (t Trigger) Given() bool { return t.URL != "" || len(t.Command) > 0 || t.Operator }

// Config selects the system under test. The zero value is the demonstration with the sample
// agency system in every role.
type Config struct {
	URL      string            // the system's base URL (its endpoints are below it)
	Image    string            // the system in this container image
	System   string            // its system ID (default DefaultSystem)
	BIN      string            // the BIN its certificate carries (URL: from the configuration)
	Password string            // its password at the gateway (URL: from the configuration)
	Port     int               // the port the image serves on (default: a free port, given as SHEPCONF_LISTEN)
	TLSPort  int               // the HTTPS port of the image's REST owner (default: a free port, SHEPCONF_TLS_LISTEN)
	Health   string            // an HTTP path answering 200 once the image is ready; empty waits for the port
	Env      map[string]string // extra environment for the container
	// Defects break the built-in sample agency system of a demonstration on purpose (agency.Defects),
	// so that a test can show each role's scenarios catch them.
	Defects []string

	Roles []Role // the roles certified; none means sync-owner (and every role for the demonstration)
	// Paths of the system's endpoints below its base URL; the defaults are the sample agency's.
	SyncPath, AsyncPath, RESTPath string
	// RESTURL is the HTTPS base URL of a REST owner at a URL (its REST endpoint is RESTURL+RESTPath).
	RESTURL string
	Trigger Trigger

	// State is the state folder of shepconf serve, whose NCA issued the certificate of a system at
	// a URL; NCAAddr is where that NCA listened (its certificates name it). A run against a URL
	// serves that NCA again at that address, so the system's certificate chains and OCSP answers.
	State   string
	NCAAddr string
}

// FromFile takes the system under test from a configuration file (its sut section, the state
// folder and the NCA's address).
func FromFile(c config.Config) (Config, error) {
	s := Config{URL: c.SUT.URL, Image: c.SUT.Image, System: c.SUT.System, Port: c.SUT.Port, TLSPort: c.SUT.TLSPort,
		Health: c.SUT.Health, State: c.State, NCAAddr: c.Listen.NCA, SyncPath: c.SUT.Path, AsyncPath: c.SUT.AsyncPath,
		RESTPath: c.SUT.RESTPath, RESTURL: c.SUT.RESTURL, Env: c.SUT.Env,
		Trigger: Trigger{URL: c.SUT.Trigger.URL, Command: c.SUT.Trigger.Command, OnHost: c.SUT.Trigger.OnHost, Operator: c.SUT.Trigger.Operator}}
	if sys, ok := c.System(s.System); ok {
		s.BIN, s.Password = sys.BIN, sys.Password
	}
	roles, err := ParseRoles(c.SUT.Roles)
	if err != nil {
		return s, fmt.Errorf("sut.roles: %w", err)
	}
	s.Roles = roles
	return s, nil
}

// Kind is Reference, URL or Container.
func (c Config) Kind() string {
	switch {
	case c.URL != "":
		return URL
	case c.Image != "":
		return Container
	}
	return Reference
}

// Demonstration says the run tests the harness's own sample system: it certifies nothing.
func (c Config) Demonstration() bool { return c.Kind() == Reference }

// SystemID is the system's ID in the registry.
func (c Config) SystemID() string {
	if c.System == "" {
		return DefaultSystem
	}
	return c.System
}

// Certified are the roles whose scenarios run: those declared, sync-owner when none is, every role
// for the demonstration.
func (c Config) Certified() []Role {
	switch {
	case len(c.Roles) > 0:
		return c.Roles
	case c.Demonstration():
		return AllRoles
	}
	return []Role{SyncOwner}
}

// Plays says whether the system is certified in role r.
func (c Config) Plays(r Role) bool { return slices.Contains(c.Certified(), r) }

func (c Config) path(p, def string) string {
	if p == "" {
		return def
	}
	return p
}

// Describe is the system under test as the report names it, in the report's language.
func (c Config) Describe() msg.Text {
	switch c.Kind() {
	case URL:
		return msg.F("system %s at %s, roles %s", c.SystemID(), c.URL, joinRoles(c.Certified()))
	case Container:
		return msg.F("system %s in the container image %s, roles %s", c.SystemID(), c.Image, joinRoles(c.Certified()))
	}
	return msg.F("demonstration: the built-in sample agency system and reference systems (certifies nothing)")
}

// Check reports a configuration that cannot work, naming the fix.
func (c Config) Check() error {
	switch {
	case c.URL != "" && c.Image != "":
		return errors.New("system under test: give a URL or an image, not both")
	case c.Kind() == URL && c.State == "":
		return errors.New("system under test at a URL: give --config with the state folder of shepconf serve, whose NCA issued the system's certificate")
	case c.Kind() == URL && c.BIN == "":
		return fmt.Errorf("system under test at a URL: %s has no BIN; list it under systems in the configuration", c.SystemID())
	case c.Kind() == URL && c.Password == "" && c.initiates():
		return fmt.Errorf("system under test at a URL: %s has no password; list it under systems in the configuration, as the operator issued it (R-53(2))", c.SystemID())
	case c.Demonstration() && len(c.Roles) > 0:
		return fmt.Errorf("--sut-role %s: give the system under test (--sut-url, --sut-image or sut in --config); a demonstration always plays every role", joinRoles(c.Roles))
	}
	for _, d := range c.Defects {
		if !agency.KnownDefect(d) {
			return fmt.Errorf("defect %q: the sample agency system has no such defect; the defects are:\n  %s", d, strings.Join(agency.Defects(), "\n  "))
		}
	}
	var missing []string
	for _, r := range c.Certified() {
		if r.NeedsTrigger() && !c.Trigger.Given() && c.Kind() != Reference {
			missing = append(missing, string(r))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("system under test: the harness cannot certify %s without a trigger that makes the system act: give sut.trigger in the configuration (url, command or operator) or --sut-trigger", joinRoles(toRoles(missing)))
	}
	if c.Kind() == URL && c.Plays(RESTOwner) && c.RESTURL == "" {
		return errors.New("system under test at a URL: rest-owner needs the HTTPS base URL of its REST endpoint: give sut.restUrl in the configuration")
	}
	return nil
}

func toRoles(s []string) []Role {
	out := make([]Role, len(s))
	for i, v := range s {
		out[i] = Role(v)
	}
	return out
}

// initiates says whether the system sends to the gateway in one of its roles, and so needs its
// password.
func (c Config) initiates() bool {
	for _, r := range c.Certified() {
		if r.NeedsTrigger() {
			return true
		}
	}
	return false
}

// Authority is the run's NCA: the one saved in the state folder for a system at a URL (its
// certificate was issued there), a fresh one otherwise. addr is where it must listen.
func (c Config) Authority() (a *nca.Authority, addr string, err error) {
	if c.Kind() != URL {
		a, err = nca.New("shepconf NCA")
		return a, "127.0.0.1:0", err
	}
	dir := filepath.Join(c.State, "nca")
	if _, err := os.Stat(filepath.Join(dir, nca.RootKeyFile)); err != nil {
		return nil, "", fmt.Errorf("system under test at a URL: no NCA in %s (%v); run shepconf serve with this configuration first, to issue the system's certificate", dir, err)
	}
	a, err = nca.Load("shepconf NCA", dir)
	return a, c.NCAAddr, err
}

// Target is the running system under test: how the gateway reaches it in each role, and how the
// harness makes it act.
type Target struct {
	Kind            string
	SystemID        string
	BIN             string          // the BIN its certificate carries
	Password        string          `json:"-"` // its password at the gateway (R-53(2))
	SyncURL         string          // where the gateway sends SendMessage (sync-owner)
	AsyncURL        string          // where the gateway pushes sendMessage and status notifications (async roles)
	RESTURL         string          // its REST endpoint over HTTPS (rest-owner)
	Image           string          `json:",omitempty"`
	Digest          string          `json:",omitempty"` // the image's ID as the engine reports it
	Trigger         trigger.Trigger `json:"-"`
	TriggerDescribe string          `json:"Trigger,omitempty"`
	Describe        msg.Text
}
