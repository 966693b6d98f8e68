package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
	gospochtasteps "github.com/shepconf/shepconf/steps/gospochta"
)

// --profile gospochta reaches the Gospochta suite, and its exit codes follow the verdict: the
// reference system renews an expired token by refresh, and one that never refreshes fails
// GP-W-REFRESH.
func TestGospochtaProfileFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	code, out := runCLI(t, "run", "--profile", "gospochta", "--out", dir, "--time-scale", "0.01", "--key-algorithm", "ecdsa-p256", "--tags", "@GP-W-REFRESH")
	if code != exitConformant || !strings.Contains(out, "CONFORMANT") || !strings.Contains(out, "profile gospochta") || !strings.Contains(out, "DEMONSTRATION") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var info steps.RunInfo
	raw, err := os.ReadFile(filepath.Join(dir, steps.RunFile))
	if err != nil || json.Unmarshal(raw, &info) != nil || info.Profile != steps.ProfileGospochta {
		t.Errorf("run.json: profile %q (%v)", info.Profile, err)
	}
	code, out = runCLI(t, "run", "--profile=gospochta", "--out", t.TempDir(), "--time-scale", "0.01", "--key-algorithm", "ecdsa-p256",
		"--tags", "@GP-W-REFRESH", "--sample-defect", "expired-token")
	if code != exitFailed || !strings.Contains(out, "NOT CONFORMANT") {
		t.Errorf("a system that never refreshes its token: exit %d:\n%s", code, out)
	}
}

// Every flag the profile cannot use is refused before anything runs, naming the flag and the fix.
func TestGospochtaFlagsRefusedWithTheFix(t *testing.T) {
	self := selfSignedPEM(t)
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"unknown defect":               {[]string{"run", "--profile", "gospochta", "--sample-defect", "forgetful"}, "--sample-defect: unknown defect forgetful"},
		"trigger without its cert":     {[]string{"run", "--profile", "gospochta", "--sut-trigger", "http://127.0.0.1:1/trigger"}, "needs --sut-cert"},
		"defect of an agency's system": {[]string{"run", "--profile", "gospochta", "--sut-trigger", "http://127.0.0.1:1/trigger", "--sut-cert", self, "--sample-defect", "bad-hmac"}, "tested as it is"},
		"a cert for an image":          {[]string{"run", "--profile", "gospochta", "--sut-image", "agency/is:1", "--sut-cert", self}, "leave --sut-cert out with --sut-image"},
		"a defect of an image":         {[]string{"run", "--profile", "gospochta", "--sut-image", "agency/is:1", "--sample-defect", "quota"}, "tested as it is"},
		"unknown role":                 {[]string{"run", "--profile", "gospochta", "--sut-trigger", "http://127.0.0.1:1/t", "--sut-cert", self, "--sut-role", "gospochta-receiver"}, "gospochta-sender and gospochta-reader"},
		"role of a demonstration":      {[]string{"run", "--profile", "gospochta", "--sut-role", "gospochta-sender"}, "needs --sut-trigger"},
		"cert of a demonstration":      {[]string{"run", "--profile", "gospochta", "--sut-cert", self}, "needs --sut-trigger"},
		"a mnemonic with a slash":      {[]string{"run", "--profile", "gospochta", "--sut-mnemonic", "../x"}, "--sut-mnemonic"},
		"a path needs a container":     {[]string{"run", "--profile", "gospochta", "--sut-trigger", "/trigger", "--sut-cert", self}, "give the whole URL"},
		"a command in no container":    {[]string{"run", "--profile", "gospochta", "--sut-trigger", "send {request}", "--sut-cert", self}, "write host:"},
		"time scale 0":                 {[]string{"run", "--profile", "gospochta", "--time-scale", "0"}, "--time-scale"},
		"unknown key":                  {[]string{"run", "--profile", "gospochta", "--key-algorithm", "dsa"}, "--key-algorithm"},
		"stray argument":               {[]string{"run", "--profile", "gospochta", "features"}, "unexpected argument"},
		"the load is a scenario":       {[]string{"load", "--profile", "gospochta"}, "@load"},
		"the act is a form of ShEP":    {[]string{"act", "--profile", "gospochta"}, "Appendix 4"},
		"serve: a path as a mnemonic":  {[]string{"serve", "--profile", "gospochta", "--system", "../x"}, "--system"},
		"serve: a mnemonic twice":      {[]string{"serve", "--profile", "gospochta", "--system", "A", "--system", "A"}, "--system"},
		"serve: time scale 2":          {[]string{"serve", "--profile", "gospochta", "--time-scale", "2"}, "--time-scale"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out := runCLI(t, c.args...)
			if code != exitError || !strings.Contains(out, c.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, exitError, c.want, out)
			}
		})
	}
}

// An agency's system reached through its trigger: its certificate, the CA certificates after it
// as its chain, its mnemonic and roles.
func TestGospochtaSystemUnderTestFromFlags(t *testing.T) {
	ca, err := nca.New("Agency CA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(nca.Subject{CommonName: "Agency IS"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	certPath := filepath.Join(t.TempDir(), "is.pem")
	if err := os.WriteFile(certPath, pki.PEM(id.Certificate, ca.Intermediate(), ca.Root()), 0o644); err != nil {
		t.Fatal(err)
	}
	f := gospochtaFlags{busFlags{trigger: "http://127.0.0.1:7000/trigger", cert: certPath, roles: listFlag{"gospochta-reader"}}, "MY_IS"}
	sut, err := f.sut(&bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sut.Trigger.(trigger.HTTP); !ok || sut.Demonstration() {
		t.Errorf("trigger %T: want an HTTP trigger", sut.Trigger)
	}
	if !sut.Certificate.Equal(id.Certificate) || len(sut.Chain) != 2 || !sut.Chain[1].Equal(ca.Root()) {
		t.Errorf("certificate %s with a chain of %d: want the system's, then intermediate and root", sut.Certificate.Subject, len(sut.Chain))
	}
	if sut.Mnemonic != "MY_IS" || len(sut.Roles) != 1 || sut.Roles[0] != gospochtasteps.RoleReader {
		t.Errorf("mnemonic %q, roles %v", sut.Mnemonic, sut.Roles)
	}
	f = gospochtaFlags{busFlags{trigger: "host:./gp-send {request}", cert: selfSignedPEM(t),
		roles: listFlag{"gospochta-sender,gospochta-reader"}}, gospochtasteps.DefaultMnemonic}
	sut, err = f.sut(&bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cmd, ok := sut.Trigger.(trigger.Command); !ok || cmd.Args[0] != "./gp-send" || len(sut.Chain) != 1 || len(sut.Roles) != 2 {
		t.Errorf("trigger %#v, chain %d, roles %v: want a host command, the self-signed certificate as its own chain, both roles", sut.Trigger, len(sut.Chain), sut.Roles)
	}
}

// serve --profile gospochta prints the contour, the system and its files, and stops cleanly.
func TestGospochtaServeFromTheCommandLine(t *testing.T) {
	state := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--profile", "gospochta", "--state", state, "--listen", "127.0.0.1:0", "--listen-ca", "127.0.0.1:0",
			"--key-algorithm", "ecdsa-p256", "--system", "GP_A", "--time-scale", "0.5"}, &out, &out)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "system GP_A ") {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no system within 30s:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"Contour:  https://127.0.0.1:", "/gospochta/api/v1", "lists ready after 30m0s", filepath.Join(state, "ca-chain.pem"), "recipients.json"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve's description lacks %q:\n%s", want, out.String())
		}
	}
	for _, f := range []string{"cert.pem", "key.pem", "api-key.csv", "hmac.key", "system.json"} {
		if _, err := os.Stat(filepath.Join(state, "systems", "GP_A", f)); err != nil {
			t.Errorf("system GP_A: %v", err)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != exitConformant {
			t.Errorf("serve after its context ended: exit %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s")
	}
}
