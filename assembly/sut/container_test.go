package sut_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/dockertest"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/shep"
)

const sampleImage = "shepconf-sample-agency:test"

// buildSample builds the sample agency system's image FROM scratch, as cmd/sample-agency/Dockerfile
// documents.
func buildSample(t *testing.T) {
	dockertest.RequireEngine(t)
	dockertest.BuildImage(t, "./cmd/sample-agency", "sample-agency-linux-static", "cmd/sample-agency/Dockerfile", sampleImage)
}

// TestContainerSyncOwner certifies the sample agency system in its container as a sync-owner,
// through the gateway: the conforming image passes every scenario of the role, the two that stop
// and pause the container included; the same image with a defect must fail.
func TestContainerSyncOwner(t *testing.T) {
	buildSample(t)

	t.Run("conforming", func(t *testing.T) {
		res, out := runAgainst(t, sut.Config{Image: sampleImage, Health: "/healthz", Roles: []sut.Role{sut.SyncOwner}})
		if res.Summary.Verdict != reports.Conformant {
			t.Fatalf("verdict %s, %d of %d scenarios passed\n%s", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios, out)
		}
		if len(res.Info.Roles) != 1 || !res.Info.Roles[0].Certified() || res.Info.Roles[0].Passed != res.Summary.Scenarios {
			t.Errorf("run.json roles %+v, want sync-owner with all %d scenarios passed", res.Info.Roles, res.Summary.Scenarios)
		}
		for _, name := range []string{
			"A stopped owner system gets the initiator fault SCE009, and is answered again once restarted",
			"A frozen owner system runs into the 30-second limit with fault SCE008, and is answered again once it resumes",
		} {
			if !slices.ContainsFunc(res.Info.Roles[0].Scenarios, func(s string) bool {
				return s == "passed: The owner system under test goes down and comes back / "+name
			}) {
				t.Errorf("the fault scenario %q did not pass: %v", name, res.Info.Roles[0].Scenarios)
			}
		}
		logs, err := os.ReadFile(filepath.Join(filepath.Dir(res.Report), shep.SUTLogFile))
		if err != nil || !strings.Contains(string(logs), "sample agency listening") {
			t.Fatalf("container logs not kept (%v): %s", err, logs)
		}
		// The fault scenario stopped the container and started it again: the system started twice.
		if n := strings.Count(string(logs), "sample agency listening"); n != 2 {
			t.Fatalf("the container's log shows %d starts of the system, want 2 (first start, restart after stop):\n%s", n, logs)
		}
		if !strings.Contains(string(logs), "request refused") {
			t.Fatalf("the container's log does not show the unsigned request refused:\n%s", logs)
		}
	})
	t.Run("non-conforming", func(t *testing.T) {
		res, out := runAgainst(t, sut.Config{Image: sampleImage, Health: "/healthz", Roles: []sut.Role{sut.SyncOwner},
			Env: map[string]string{"SAMPLE_AGENCY_DEFECT": "omit-response-date"}})
		if res.Summary.Verdict != reports.NotConformant {
			t.Fatalf("verdict %s, %d of %d passed; want NOT CONFORMANT\n%s", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios, out)
		}
		if !strings.Contains(out, "SCE010") || !strings.Contains(out, "A1-T20 row 5") {
			t.Fatalf("the failure does not name the gateway's refusal of the answer (SCE010, A1-T20 row 5):\n%s", out)
		}
	})
}

// TestContainerCommandTrigger fires one trigger request through a command run inside the container
// (the sample's own trigger subcommand) and reads the result it prints. The gateway named does not
// exist, so the system reports a failed send: still a result of the contract.
func TestContainerCommandTrigger(t *testing.T) {
	buildSample(t)
	ca, err := nca.New("test NCA")
	if err != nil {
		t.Fatal(err)
	}
	l := sut.NewLauncher(sut.Config{Image: sampleImage, Health: "/healthz", Roles: []sut.Role{sut.SyncInitiator},
		Trigger: sut.Trigger{Command: []string{"/sample-agency", "trigger", "{request}"}}}, ca, "100000000001")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	defer l.Close(context.Background())
	target, err := l.Target(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(target.TriggerDescribe, "in the container") {
		t.Errorf("trigger %q, want a command in the container", target.TriggerDescribe)
	}
	res, err := target.Trigger.Fire(ctx, trigger.Request{Action: trigger.Send, Channel: trigger.Sync,
		Gateway: "http://127.0.0.1:1", ServiceID: "NO_SUCH_SERVICE", Data: "<request>1</request>", Timeout: "20s"})
	if err != nil {
		t.Fatalf("the command's result was not read: %v\n%s", err, l.Logs(ctx))
	}
	t.Logf("the command in the container reported %+v", res)
	if res.Outcome != trigger.Failed || res.Error == "" {
		t.Errorf("result %+v, want a failed send naming why", res)
	}
}

// TestRunContainer starts an image through the profile-free RunContainer: the files and
// environment given reach it, it is waited for until its health path answers, a command runs
// inside it, and its image ID and logs are read. An image that exits before it is ready is an
// error keeping what it wrote.
func TestRunContainer(t *testing.T) {
	buildSample(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ca, err := nca.New("test NCA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(nca.Subject{CommonName: "CLIENT_IS"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	key, err := id.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ready", func(t *testing.T) {
		c, err := sut.RunContainer(ctx, sut.ContainerSpec{Image: sampleImage, Health: "/healthz",
			Env:   map[string]string{"SHEPCONF_PROFILE": "epgu", "SHEPCONF_MNEMONIC": "CLIENT_IS", "SHEPCONF_CERT": "/x/cert.pem", "SHEPCONF_KEY": "/x/key.pem"},
			Files: []sut.ContainerFile{{Path: "/x/cert.pem", Data: sut.CertChainPEM(id)}, {Path: "/x/key.pem", Data: key}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		resp, err := http.Get(c.BaseURL() + "/healthz")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s/healthz: %v %v", c.BaseURL(), err, resp)
		}
		resp.Body.Close()
		code, out, err := c.Exec(ctx, []string{"/sample-agency", "defects"})
		if err != nil || code != 0 || !strings.Contains(string(out), "no-sig") {
			t.Errorf("exec in the container: code %d, %v: %s", code, err, out)
		}
		if !strings.HasPrefix(c.Digest(), "sha256:") {
			t.Errorf("digest %q, want the image ID", c.Digest())
		}
		if logs := string(c.Logs(ctx)); !strings.Contains(logs, "sample EPGU client listening") || !strings.Contains(logs, "CLIENT_IS") {
			t.Errorf("logs do not show the client started with its mnemonic and certificate:\n%s", logs)
		}
	})
	t.Run("exits before it is ready", func(t *testing.T) {
		c, err := sut.RunContainer(ctx, sut.ContainerSpec{Image: sampleImage, Health: "/healthz", Env: map[string]string{"SHEPCONF_PROFILE": "epgu"}})
		var nr *sut.NotReadyError
		if !errors.As(err, &nr) || c != nil {
			t.Fatalf("RunContainer = %v, %v; want a NotReadyError", c, err)
		}
		if !strings.Contains(nr.Err.Error(), "exited") || !strings.Contains(string(nr.Logs), "certificate") {
			t.Errorf("error %v with logs %q; want the exit and the container's word on its certificate", nr.Err, nr.Logs)
		}
	})
}

func runAgainst(t *testing.T, cfg sut.Config) (steps.Result, string) {
	t.Helper()
	var out bytes.Buffer
	res, err := shep.Run(context.Background(), shep.Options{OutDir: t.TempDir(), TimeScale: 0.01, Output: &out, SUT: cfg})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	return res, out.String()
}

func pool(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}
