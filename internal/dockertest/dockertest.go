// Package dockertest builds the project's container images for tests: a static binary on the host
// (scripts/build-static), copied into an image FROM scratch, so no base image is pulled. Without a
// Docker engine a test is skipped loudly, or fails under CI=true, where an engine is required.
package dockertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/dockerhost"
)

// RequireEngine skips t when no Docker engine answers; under CI=true it fails t instead.
func RequireEngine(t testing.TB) {
	t.Helper()
	out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err == nil {
		dockerhost.UseLocal()
		return
	}
	msg := fmt.Sprintf("no Docker engine reachable (docker info: %v: %s)", err, strings.TrimSpace(string(out)))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true requires one")
	}
	fmt.Fprintf(os.Stderr, "\n*** SKIPPED %s: %s ***\n\n", t.Name(), msg)
	t.Skip(msg)
}

// Root is the repository's root folder.
func Root(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("cannot find the repository root: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// BuildImage builds pkg (e.g. "./cmd/sample-agency") as bin/<binary> with scripts/build-static and
// the image tag from dockerfile (relative to the root), in a build context holding that binary and
// the files named in extra (relative to the root).
func BuildImage(t testing.TB, pkg, binary, dockerfile, tag string, extra ...string) {
	t.Helper()
	root := Root(t)
	ctxDir := t.TempDir()
	run(t, root, filepath.Join(root, "scripts", "build-static"), pkg, filepath.Join(ctxDir, "bin", binary))
	for _, f := range extra {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(ctxDir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ctxDir, f), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, ctxDir, "docker", "build", "-q", "-f", filepath.Join(root, dockerfile), "-t", tag, ".")
}

func run(t testing.TB, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
