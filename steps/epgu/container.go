package epgu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// SUTLogFile is where the output of the agency's client in its container goes, beside the reports.
const SUTLogFile = "sut-epgu-client.log"

// The agency's EPGU client in a container image is started as the ShEP profile starts an agency's
// system (assembly/sut.RunContainer: the host's network, bound to loopback, waited for until
// ready, its logs kept). The harness plays the operator of the test contour: it issues the
// system's test certificate and key from the run's CA, as the walkthrough has the operator send
// them to the agency, writes them into the container and registers the certificate in ESIA for
// the system's mnemonic in every scenario (ESIA-B12: the client_secret is signed with that key).
// The container learns the rest per scenario from the trigger request: ESIA's and the API's
// addresses, its API key, the time-stamp service and the CA the servers chain to.
//
// The container's environment:
//
//	SHEPCONF_PROFILE   epgu (an image may serve several profiles)
//	SHEPCONF_MNEMONIC  its mnemonic (client_id) in ESIA
//	SHEPCONF_CERT      /shepconf/cert.pem, its certificate then the issuing CA
//	SHEPCONF_KEY       /shepconf/key.pem, its private key (PKCS#8)
//	SHEPCONF_CA        /shepconf/ca-chain.pem, the issuing CA then the root
//	SHEPCONF_LISTEN    127.0.0.1:<port>, where it serves its trigger

// checkImage refuses a container configuration that cannot work, naming the fix.
func (s SUT) checkImage() error {
	if s.Image == "" {
		if s.ImageTrigger.Given() || s.Port != 0 || s.Health != "" || len(s.Env) > 0 {
			return errors.New("the trigger path, port, health path and environment of a container need its image: give --sut-image")
		}
		return nil
	}
	switch {
	case s.Trigger != nil:
		return errors.New("give the system's image or the trigger of a system already running, not both")
	case s.Certificate != nil:
		return errors.New("the harness issues the certificate of a system in a container from the run's CA: leave --sut-cert out with --sut-image")
	case len(s.Defects) > 0:
		return errors.New("defects break the built-in reference client; an image is tested as it is")
	}
	return nil
}

// startClient issues the system's certificate, starts its image with it and records the
// certificate in s, for ESIA to register in each scenario.
func startClient(ctx context.Context, s *SUT, ca *nca.Authority, key pki.KeyType) (*sut.RunningContainer, error) {
	id, err := ca.Issue(nca.Subject{CommonName: s.mnemonic(), Organization: s.mnemonic() + " organisation"}, key)
	if err != nil {
		return nil, fmt.Errorf("the system's certificate: %w", err)
	}
	keyPEM, err := id.KeyPEM()
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"SHEPCONF_PROFILE":  "epgu",
		"SHEPCONF_MNEMONIC": s.mnemonic(),
		"SHEPCONF_CERT":     sut.CertPath,
		"SHEPCONF_KEY":      sut.KeyPath,
		"SHEPCONF_CA":       sut.CAPath,
	}
	for k, v := range s.Env {
		env[k] = v
	}
	c, err := sut.RunContainer(ctx, sut.ContainerSpec{Image: s.Image, Env: env, Port: s.Port, Health: s.Health,
		Files: []sut.ContainerFile{
			{Path: sut.CertPath, Data: sut.CertChainPEM(id)},
			{Path: sut.KeyPath, Data: keyPEM},
			{Path: sut.CAPath, Data: pki.PEM(ca.Intermediate(), ca.Root())},
		}})
	if err != nil {
		return nil, err
	}
	// The contour trusts the run's CA for the files' signatures already: no further chain.
	s.Certificate = id.Certificate
	return c, nil
}

// containerTrigger makes the container act: the trigger configured, resolved against its base URL
// (a command runs inside it), or POST to its /trigger.
func (s SUT) containerTrigger(c *sut.RunningContainer, out io.Writer) trigger.Trigger {
	t := s.ImageTrigger
	if !t.Given() {
		t.URL = sut.DefaultTriggerPath
	}
	return t.Build(c.BaseURL(), c.Exec, out, os.Stdin)
}

// stopClient keeps the container's output beside the reports and removes the container.
func stopClient(c *sut.RunningContainer, dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if logs := c.Logs(ctx); len(logs) > 0 {
		_ = os.WriteFile(filepath.Join(dir, SUTLogFile), logs, 0o644)
	}
	if err := c.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shepconf:", err)
	}
}

// containerInfo names the system under test in run.json as the container the run started.
func containerInfo(info steps.SUTInfo, c *sut.RunningContainer) steps.SUTInfo {
	info.Kind, info.Image, info.Digest = sut.Container, c.Image(), c.Digest()
	info.Describe = fmt.Sprintf("the EPGU client %s in the container image %s (%s), triggered by %s", info.SystemID, c.Image(), c.Digest(), info.Trigger)
	return info
}
