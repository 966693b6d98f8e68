package main

import (
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
)

// sutConfig is the system under test of shepconf run: the configuration file's sut section, with
// the flags taking precedence over its url, image, roles and trigger.
func sutConfig(path string, f sutFlags) (sut.Config, error) {
	var c sut.Config
	if path != "" {
		file, err := config.Load(path)
		if err != nil {
			return c, err
		}
		if c, err = sut.FromFile(file); err != nil {
			return c, fmt.Errorf("configuration %s: %w", path, err)
		}
	}
	if f.url != "" || f.image != "" {
		c.URL, c.Image = f.url, f.image
	}
	if len(f.roles) > 0 {
		roles, err := sut.ParseRoles(f.roles)
		if err != nil {
			return c, fmt.Errorf("--sut-role: %w", err)
		}
		c.Roles = roles
	}
	if f.trigger != "" {
		c.Trigger = parseTrigger(f.trigger)
	}
	return c, c.Check()
}

// parseTrigger reads --sut-trigger, for both profiles: a URL, or a path (one word) below the
// system's base URL, "operator", "host:" and a command on the host, or a command run inside the
// system's container; empty is POST to its /trigger.
func parseTrigger(t string) sut.Trigger {
	switch {
	case t == "operator":
		return sut.Trigger{Operator: true}
	case strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://"):
		return sut.Trigger{URL: t}
	// A path is one word; "/app/bin/send {request}" is a command inside the container.
	case strings.HasPrefix(t, "/") && len(strings.Fields(t)) == 1 && !strings.Contains(t, "{"):
		return sut.Trigger{URL: t}
	case strings.HasPrefix(t, "host:"):
		return sut.Trigger{Command: strings.Fields(strings.TrimPrefix(t, "host:")), OnHost: true}
	case t != "":
		return sut.Trigger{Command: strings.Fields(t)}
	}
	return sut.Trigger{URL: sut.DefaultTriggerPath}
}

// sutFlags are the flags of run and load that name the system under test.
type sutFlags struct {
	url, image, trigger string
	roles               listFlag
}

func (f *sutFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "sut-url", "", "test the system at this base URL (its endpoints /sync, /async ... below it) instead of the demonstration")
	fs.StringVar(&f.image, "sut-image", "", "test the system in this container image instead of the demonstration")
	fs.Var(&f.roles, "sut-role", "a role the system is certified in (repeatable, or comma-separated): "+sutRoleNames()+", or all (default sync-owner)")
	fs.StringVar(&f.trigger, "sut-trigger", "", `how the harness makes the system send: a URL or path (POST the trigger JSON), "operator", or a command with placeholders such as {serviceId} (run in the container; prefix "host:" to run it on the host)`)
}

func sutRoleNames() string {
	names := make([]string, len(sut.AllRoles))
	for i, r := range sut.AllRoles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// runningTrigger reads --sut-trigger as every profile does (parseTrigger), for a system the harness
// does not start: a path or a command inside a container has no container to go to.
func runningTrigger(t string, stdout io.Writer) (trigger.Trigger, error) {
	st := parseTrigger(t)
	switch {
	case strings.HasPrefix(st.URL, "/"):
		return nil, fmt.Errorf("--sut-trigger %q: a path is taken below a container's base URL, and no container is started (--sut-image); give the whole URL, e.g. http://127.0.0.1:7000%s", t, st.URL)
	case len(st.Command) > 0 && !st.OnHost:
		return nil, fmt.Errorf("--sut-trigger %q: a command without host: runs inside a container, and no container is started (--sut-image); write host:%s", t, t)
	case !st.Given():
		return nil, fmt.Errorf("--sut-trigger %q: no command after host:; give host: and the command with its placeholders", t)
	}
	return st.Build("", nil, stdout, os.Stdin), nil
}

// readSUTCert reads --sut-cert: the system's certificate, then the CA certificates it chains to,
// which are trusted for its signatures; a self-signed certificate is its own anchor.
func readSUTCert(path string) (*x509.Certificate, []*x509.Certificate, error) {
	certs, err := pki.ReadCertificates(path)
	if err != nil || len(certs) == 0 {
		return nil, nil, fmt.Errorf("--sut-cert %s: no certificate (%v)", path, err)
	}
	chain := certs[1:]
	if len(certs) == 1 && certs[0].CheckSignatureFrom(certs[0]) == nil {
		chain = certs
	}
	return certs[0], chain, nil
}
