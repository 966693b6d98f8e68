package sut

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/nca"
)

// AgencyImage is an agency's system in a container image as the bus profiles (EPGU, SMDO) start it
// for a run, through RunContainer like ShEP's: the host's network, bound to loopback, waited for
// until ready, its logs kept. The harness plays the operator of the test contour: it issues the
// system's test certificate and key from the run's CA and writes them into the container; the
// container learns the rest per scenario from the trigger request.
//
// The container's environment, beside what the profile adds:
//
//	SHEPCONF_PROFILE   the profile (an image may serve several)
//	SHEPCONF_CERT      /shepconf/cert.pem, its certificate then the issuing CA
//	SHEPCONF_KEY       /shepconf/key.pem, its private key (PKCS#8)
//	SHEPCONF_CA        /shepconf/ca-chain.pem, the issuing CA then the root
//	SHEPCONF_LISTEN    127.0.0.1:<port>, where it serves its trigger
type AgencyImage struct {
	Image string
	// Trigger makes the container act: a path below its base URL (default DefaultTriggerPath), a
	// URL, a command run inside it (or on the host), an operator.
	Trigger Trigger
	// Port is the port the image serves on (SHEPCONF_LISTEN; 0: a free port); Health an HTTP path
	// answering 200 once it is ready (empty: wait for the port); Env further environment.
	Port   int
	Health string
	Env    map[string]string
}

// CheckUnused refuses container settings given without an image, naming the fix.
func (a AgencyImage) CheckUnused() error {
	if a.Image == "" && (a.Trigger.Given() || a.Port != 0 || a.Health != "" || len(a.Env) > 0) {
		return errors.New("the trigger path, port, health path and environment of a container need its image: give --sut-image")
	}
	return nil
}

// StartAgency issues the system's certificate for subject from ca, starts the image with it and
// with the profile's environment, and gives the running container and the certificate's identity.
func StartAgency(ctx context.Context, a AgencyImage, profile string, env map[string]string, ca *nca.Authority, subject nca.Subject, key pki.KeyType) (*RunningContainer, *pki.Identity, error) {
	id, err := ca.Issue(subject, key)
	if err != nil {
		return nil, nil, fmt.Errorf("the system's certificate: %w", err)
	}
	keyPEM, err := id.KeyPEM()
	if err != nil {
		return nil, nil, err
	}
	all := map[string]string{"SHEPCONF_PROFILE": profile, "SHEPCONF_CERT": CertPath, "SHEPCONF_KEY": KeyPath, "SHEPCONF_CA": CAPath}
	for k, v := range env {
		all[k] = v
	}
	for k, v := range a.Env {
		all[k] = v
	}
	c, err := RunContainer(ctx, ContainerSpec{Image: a.Image, Env: all, Port: a.Port, Health: a.Health,
		Files: []ContainerFile{
			{Path: CertPath, Data: CertChainPEM(id)},
			{Path: KeyPath, Data: keyPEM},
			{Path: CAPath, Data: pki.PEM(ca.Intermediate(), ca.Root())},
		}})
	if err != nil {
		return nil, nil, err
	}
	return c, id, nil
}

// AgencyTrigger makes the container act: the trigger configured, resolved against its base URL
// (a command runs inside it), or POST to its DefaultTriggerPath.
func (c *RunningContainer) AgencyTrigger(t Trigger, out io.Writer) trigger.Trigger {
	if !t.Given() {
		t.URL = DefaultTriggerPath
	}
	return t.Build(c.BaseURL(), c.Exec, out, os.Stdin)
}

// Finish keeps the container's output in dir/logFile, beside the reports, and removes the container.
func (c *RunningContainer) Finish(dir, logFile string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if logs := c.Logs(ctx); len(logs) > 0 {
		_ = os.WriteFile(filepath.Join(dir, logFile), logs, 0o644)
	}
	if err := c.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shepconf:", err)
	}
}
