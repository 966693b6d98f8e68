package steps_test

import (
	"testing"

	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
)

// An owner that checks no transport signature accepts unsigned and wrapped messages: the security
// probes must find it NOT CONFORMANT, and only on the probes a signature check would have stopped.
func TestLaxOwnerFailsTheSecurityProbes(t *testing.T) {
	res, status := runStatuses(t, steps.Options{Tags: "@security", LaxOwner: true})
	for _, name := range []string{
		"The owner refuses an unsigned request",
		"The owner refuses a request signed by a system instead of the gateway",
		"The owner refuses a request altered after the gateway signed it",
		"The owner refuses a signature wrapping attack",
	} {
		if status[name] != "failed" {
			t.Errorf("a lax owner: %q is %q, want failed", name, status[name])
		}
	}
	if status["The owner answers a request the gateway signed"] != "passed" {
		t.Error("a lax owner still answers what the gateway signed")
	}
	if res.Summary.Verdict != reports.NotConformant {
		t.Errorf("verdict %s", res.Summary.Verdict)
	}
}
