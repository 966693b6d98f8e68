// Package upstreamtest finds the real gateway's public contract (../shared/upstream, next to the
// module) for the wire-compatibility tests. Locally a missing copy skips those tests; under CI=true it
// fails them, so a pipeline that lost the material cannot pass silently.
package upstreamtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir is the upstream material's directory (../shared/upstream relative to the module root). When it
// is missing, Dir skips the test, or fails it when the environment says CI=true.
func Dir(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		root = filepath.Join("missing-module-root", err.Error())
	}
	return dirIn(t, root, os.Getenv("CI") == "true")
}

func dirIn(t testing.TB, root string, ci bool) string {
	t.Helper()
	dir := filepath.Join(root, "..", "shared", "upstream")
	_, err := os.Stat(dir)
	if err == nil {
		return dir
	}
	msg := "the real gateway's contract (../shared/upstream next to the module) is not available: " + err.Error()
	if ci {
		t.Fatal(msg + "; CI=true requires it: check it out beside the repository")
	} else {
		t.Skip(msg + "; the wire-compatibility test is skipped (it fails under CI=true)")
	}
	return ""
}

// moduleRoot walks up from the working directory (a test runs in its package's directory) to go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
