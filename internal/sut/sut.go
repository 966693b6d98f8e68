// Package sut says how the suite reaches the owner system under test: the built-in reference owner
// (the default, started per scenario by the steps), an owner system already running at a URL, or an
// owner system in a container image, started once per run with testcontainers-go on a private
// network, waited for until healthy, with its logs kept as evidence.
package sut

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/simulators/nca"
)

// Kinds of system under test.
const (
	Reference = "reference"
	URL       = "url"
	Container = "container"
)

// DefaultSystem is the system ID of the owner under test when none is configured, and DefaultBIN
// the BIN its certificate carries when the harness issues it (container).
const (
	DefaultSystem = "OWNER_SYS"
	DefaultBIN    = "100000000002"
)

// Paths inside an owner container where the harness puts the files the image reads (also given in
// the environment as SHEPCONF_CERT, SHEPCONF_KEY, SHEPCONF_CA).
const (
	CertPath = "/shepconf/cert.pem"     // the system's certificate followed by the issuing CA
	KeyPath  = "/shepconf/key.pem"      // its private key, PKCS#8
	CAPath   = "/shepconf/ca-chain.pem" // issuing CA then root CA: to check the gateway's signature
)

// Config selects the owner system under test. The zero value is the built-in reference owner.
type Config struct {
	URL    string            // an owner system running at this URL (its synchronous endpoint)
	Image  string            // an owner system in this container image
	System string            // its system ID (default DefaultSystem)
	BIN    string            // the BIN its certificate carries (URL: from the configuration)
	Port   int               // the port the image serves on (default 8080)
	Path   string            // the path of the image's synchronous endpoint (default /sync)
	Health string            // an HTTP path answering 200 once the image is ready; empty waits for the port
	Env    map[string]string // extra environment for the container

	// State is the state folder of shepconf serve, whose NCA issued the certificate of an owner at
	// a URL; NCAAddr is where that NCA listened (its certificates name it). A run against a URL
	// serves that NCA again at that address, so the owner's certificate chains and OCSP answers.
	State   string
	NCAAddr string
}

// FromFile takes the system under test from a configuration file (its sut section, the state
// folder and the NCA's address).
func FromFile(c config.Config) Config {
	s := Config{URL: c.SUT.URL, Image: c.SUT.Image, System: c.SUT.System, Port: c.SUT.Port, Path: c.SUT.Path,
		Health: c.SUT.Health, State: c.State, NCAAddr: c.Listen.NCA}
	if sys, ok := c.System(s.System); ok {
		s.BIN = sys.BIN
	}
	return s
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

// SystemID is the owner system's ID in the registry.
func (c Config) SystemID() string {
	if c.System == "" {
		return DefaultSystem
	}
	return c.System
}

// Describe is the system under test as the report names it.
func (c Config) Describe() string {
	switch c.Kind() {
	case URL:
		return fmt.Sprintf("owner system %s at %s", c.SystemID(), c.URL)
	case Container:
		return fmt.Sprintf("owner system %s in the container image %s", c.SystemID(), c.Image)
	}
	return "built-in reference owner and initiator systems"
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
	}
	return nil
}

// Authority is the run's NCA: the one saved in the state folder for an owner at a URL (its
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

// Target is an owner system under test that the gateway can route to.
type Target struct {
	SystemID string
	BIN      string // the BIN its certificate carries
	Endpoint string // where the gateway sends SendMessage
	Describe string
}
