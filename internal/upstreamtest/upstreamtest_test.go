package upstreamtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// outcome records what dirIn did to a test instead of doing it.
type outcome struct {
	testing.TB
	failed, skipped bool
}

func (o *outcome) Helper()             {}
func (o *outcome) Fatal(...any)        { o.failed = true; runtime.Goexit() }
func (o *outcome) Skip(...any)         { o.skipped = true; runtime.Goexit() }
func (o *outcome) Logf(string, ...any) {}

func run(root string, ci bool) (o *outcome, dir string) {
	o = &outcome{}
	done := make(chan struct{})
	go func() { defer close(done); dir = dirIn(o, root, ci) }()
	<-done
	return o, dir
}

func TestMissingFailsUnderCI(t *testing.T) {
	root := filepath.Join(t.TempDir(), "module") // no ../shared/upstream beside it
	if o, _ := run(root, true); !o.failed || o.skipped {
		t.Errorf("under CI=true a missing upstream must fail the test: %+v", *o)
	}
	if o, _ := run(root, false); o.failed || !o.skipped {
		t.Errorf("locally a missing upstream must skip the test: %+v", *o)
	}
}

func TestPresentIsFound(t *testing.T) {
	base := t.TempDir()
	want := filepath.Join(base, "shared", "upstream")
	if err := os.MkdirAll(want, 0o755); err != nil {
		t.Fatal(err)
	}
	o, dir := run(filepath.Join(base, "module"), true)
	if o.failed || o.skipped || dir != want {
		t.Errorf("got %q (%+v), want %q", dir, *o, want)
	}
}
