package sut_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/dockertest"
	"github.com/shepconf/shepconf/internal/sut"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
)

const sampleImage = "shepconf-sample-owner:test"

// TestContainerOwner runs the @sut scenarios against the sample owner in a container, through the
// gateway: the conforming image passes, the same image with a programmed defect must fail.
func TestContainerOwner(t *testing.T) {
	dockertest.RequireEngine(t)
	dockertest.BuildImage(t, "./cmd/sample-owner", "sample-owner-linux-static", "cmd/sample-owner/Dockerfile", sampleImage)

	t.Run("conforming", func(t *testing.T) {
		res, out := runAgainst(t, sut.Config{Image: sampleImage, Health: "/healthz"})
		if res.Summary.Verdict != reports.Conformant || res.Summary.Scenarios != 4 {
			t.Fatalf("verdict %s, %d of %d scenarios passed; want CONFORMANT 4 of 4\n%s", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios, out)
		}
		logs, err := os.ReadFile(filepath.Join(filepath.Dir(res.Report), steps.SUTLogFile))
		if err != nil || !strings.Contains(string(logs), "sample owner listening") {
			t.Fatalf("container logs not kept (%v): %s", err, logs)
		}
		// @sut-faults stopped the container and started it again: the owner started twice.
		if n := strings.Count(string(logs), "sample owner listening"); n != 2 {
			t.Fatalf("the container's log shows %d starts of the owner, want 2 (first start, restart after stop):\n%s", n, logs)
		}
		if !strings.Contains(string(logs), "request refused") {
			t.Fatalf("the container's log does not show the unsigned request refused:\n%s", logs)
		}
	})
	t.Run("non-conforming", func(t *testing.T) {
		res, out := runAgainst(t, sut.Config{Image: sampleImage, Health: "/healthz",
			Env: map[string]string{"SAMPLE_OWNER_DEFECT": "omit-response-date"}})
		if res.Summary.Verdict != reports.NotConformant || res.Summary.Passed != 1 {
			t.Fatalf("verdict %s, %d of %d passed; want NOT CONFORMANT with 1 passed\n%s", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios, out)
		}
		if !strings.Contains(out, "SCE010") {
			t.Fatalf("the failure does not name the gateway's refusal of the answer (SCE010):\n%s", out)
		}
	})
}

func runAgainst(t *testing.T, cfg sut.Config) (steps.Result, string) {
	t.Helper()
	var out bytes.Buffer
	res, err := steps.Run(context.Background(), steps.Options{OutDir: t.TempDir(), Tags: "@sut", TimeScale: 0.01, Output: &out, SUT: cfg})
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
