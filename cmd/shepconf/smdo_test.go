package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
	smdosteps "github.com/shepconf/shepconf/steps/smdo"
)

// --profile smdo reaches the SMDO suite, and its exit codes follow the verdict: the reference СЭД
// polls at the 5-minute period (shrunk), and one that polls ten times as often fails SMDO-POLL.
func TestSMDOProfileFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	code, out := runCLI(t, "run", "--profile", "smdo", "--out", dir, "--time-scale", "0.01", "--key-algorithm", "ecdsa-p256", "--tags", "@SMDO-POLL")
	if code != exitConformant || !strings.Contains(out, "CONFORMANT") || !strings.Contains(out, "profile smdo") || !strings.Contains(out, "DEMONSTRATION") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var info steps.RunInfo
	raw, err := os.ReadFile(filepath.Join(dir, steps.RunFile))
	if err != nil || json.Unmarshal(raw, &info) != nil || info.Profile != steps.ProfileSMDO {
		t.Errorf("run.json: profile %q (%v)", info.Profile, err)
	}
	code, out = runCLI(t, "run", "--profile=smdo", "--out", t.TempDir(), "--time-scale", "0.01", "--key-algorithm", "ecdsa-p256",
		"--tags", "@SMDO-POLL", "--sample-defect", "poll-fast")
	if code != exitFailed || !strings.Contains(out, "NOT CONFORMANT") {
		t.Errorf("a СЭД polling too often: exit %d:\n%s", code, out)
	}
}

// Every flag the profile cannot use is refused before anything runs, naming the flag and the fix.
func TestSMDOFlagsRefusedWithTheFix(t *testing.T) {
	self := selfSignedPEM(t)
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"unknown defect":            {[]string{"run", "--profile", "smdo", "--sample-defect", "forgetful"}, "--sample-defect: unknown defect forgetful"},
		"trigger without its cert":  {[]string{"run", "--profile", "smdo", "--sut-trigger", "http://127.0.0.1:1/trigger"}, "needs --sut-cert"},
		"defect of an agency's СЭД": {[]string{"run", "--profile", "smdo", "--sut-trigger", "http://127.0.0.1:1/trigger", "--sut-cert", self, "--sample-defect", "no-sig"}, "tested as it is"},
		"a cert for an image":       {[]string{"run", "--profile", "smdo", "--sut-image", "agency/sed:1", "--sut-cert", self}, "leave --sut-cert out with --sut-image"},
		"a defect of an image":      {[]string{"run", "--profile", "smdo", "--sut-image", "agency/sed:1", "--sample-defect", "no-sig"}, "tested as it is"},
		"unknown role":              {[]string{"run", "--profile", "smdo", "--sut-trigger", "http://127.0.0.1:1/t", "--sut-cert", self, "--sut-role", "smdo-owner"}, "smdo-sender and smdo-receiver"},
		"role of a demonstration":   {[]string{"run", "--profile", "smdo", "--sut-role", "smdo-sender"}, "needs --sut-trigger"},
		"cert of a demonstration":   {[]string{"run", "--profile", "smdo", "--sut-cert", self}, "needs --sut-trigger"},
		"the router's code":         {[]string{"run", "--profile", "smdo", "--sut-code", "ROUTER"}, "--sut-code"},
		"the counterpart's code":    {[]string{"run", "--profile", "smdo", "--sut-code", "SMDO-COUNTERPART"}, "--sut-code"},
		"a path needs a container":  {[]string{"run", "--profile", "smdo", "--sut-trigger", "/trigger", "--sut-cert", self}, "give the whole URL"},
		"a command in no container": {[]string{"run", "--profile", "smdo", "--sut-trigger", "sed-send {request}", "--sut-cert", self}, "write host:"},
		"host: and no command":      {[]string{"run", "--profile", "smdo", "--sut-trigger", "host:", "--sut-cert", self}, "no command after host:"},
		"no certificate in the PEM": {[]string{"run", "--profile", "smdo", "--sut-trigger", "http://127.0.0.1:1/t", "--sut-cert", filepath.Join(t.TempDir(), "none.pem")}, "--sut-cert"},
		"time scale 0":              {[]string{"run", "--profile", "smdo", "--time-scale", "0"}, "--time-scale"},
		"unknown key":               {[]string{"run", "--profile", "smdo", "--key-algorithm", "dsa"}, "--key-algorithm"},
		"stray argument":            {[]string{"run", "--profile", "smdo", "features"}, "unexpected argument"},
		"no load test":              {[]string{"load", "--profile", "smdo"}, "no load test"},
		"the act is a form of ShEP": {[]string{"act", "--profile", "smdo"}, "Appendix 4"},
		"serve: a path as a code":   {[]string{"serve", "--profile", "smdo", "--subscriber", "../x"}, "--subscriber"},
		"serve: a code twice":       {[]string{"serve", "--profile", "smdo", "--subscriber", "A", "--subscriber", "A"}, "--subscriber"},
		"serve: the counterpart's":  {[]string{"serve", "--profile", "smdo", "--subscriber", "SMDO-COUNTERPART"}, "--subscriber"},
		"serve: time scale 2":       {[]string{"serve", "--profile", "smdo", "--time-scale", "2"}, "--time-scale"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out := runCLI(t, c.args...)
			if code != exitError || !strings.Contains(out, c.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, exitError, c.want, out)
			}
		})
	}
}

// selfSignedPEM writes a certificate that is its own anchor (a self-signed root) into a file.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	ca, err := nca.New("Agency CA")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "self.pem")
	if err := os.WriteFile(path, pki.PEM(ca.Root()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// An agency's СЭД reached through its trigger: the certificate it signs with, the CA certificates
// after it as its chain, its code and roles.
func TestSMDOSystemUnderTestFromFlags(t *testing.T) {
	ca, err := nca.New("Agency CA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(nca.Subject{CommonName: "Agency СЭД"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	certPath := filepath.Join(t.TempDir(), "sed.pem")
	if err := os.WriteFile(certPath, pki.PEM(id.Certificate, ca.Intermediate(), ca.Root()), 0o644); err != nil {
		t.Fatal(err)
	}
	f := smdoFlags{busFlags{trigger: "http://127.0.0.1:7000/trigger", cert: certPath, roles: listFlag{"smdo-receiver"}}, "MY-SED"}
	sut, err := f.sut(&bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sut.Trigger.(trigger.HTTP); !ok || sut.Demonstration() {
		t.Errorf("trigger %T: want an HTTP trigger", sut.Trigger)
	}
	if !sut.Certificate.Equal(id.Certificate) || len(sut.Chain) != 2 || !sut.Chain[1].Equal(ca.Root()) {
		t.Errorf("certificate %s with a chain of %d: want the СЭД's, then intermediate and root", sut.Certificate.Subject, len(sut.Chain))
	}
	if sut.Code != "MY-SED" || len(sut.Roles) != 1 || sut.Roles[0] != smdosteps.RoleReceiver {
		t.Errorf("code %q, roles %v", sut.Code, sut.Roles)
	}
	f = smdoFlags{busFlags{trigger: "host:./send-doc {request}", cert: selfSignedPEM(t), roles: listFlag{"smdo-sender,smdo-receiver"}}, smdosteps.DefaultCode}
	sut, err = f.sut(&bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cmd, ok := sut.Trigger.(trigger.Command); !ok || cmd.Args[0] != "./send-doc" || len(sut.Chain) != 1 || len(sut.Roles) != 2 {
		t.Errorf("trigger %#v, chain %d, roles %v: want a host command, the self-signed certificate as its own chain, both roles", sut.Trigger, len(sut.Chain), sut.Roles)
	}
}

// serve --profile smdo prints the router, the subscribers and their files, and stops cleanly.
func TestSMDOServeFromTheCommandLine(t *testing.T) {
	state := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--profile", "smdo", "--state", state, "--listen", "127.0.0.1:0", "--listen-ca", "127.0.0.1:0",
			"--key-algorithm", "ecdsa-p256", "--subscriber", "SMDO-A", "--subscriber", "SMDO-B", "--time-scale", "0.5"}, &out, &out)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "subscriber SMDO-B") {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no subscribers within 30s:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"Router:   https://127.0.0.1:", "counterpart SMDO-COUNTERPART", "subscriber SMDO-A (idAbonent 1001)", filepath.Join(state, "ca-chain.pem")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve's description lacks %q:\n%s", want, out.String())
		}
	}
	for _, f := range []string{"cert.pem", "key.pem", "credentials.json"} {
		if _, err := os.Stat(filepath.Join(state, "subscribers", "SMDO-B", f)); err != nil {
			t.Errorf("subscriber SMDO-B: %v", err)
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

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
