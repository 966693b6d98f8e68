package shep_test

import (
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps/shep"
)

// An owner that checks no transport signature serves unsigned, altered and wrapped requests: the
// security probes sent to the system under test must find it NOT CONFORMANT on the probes a
// signature check would have stopped, while it still answers what the gateway signed.
func TestOwnerAcceptingUnsignedRequestsFailsTheSecurityProbes(t *testing.T) {
	res, status := runStatuses(t, shep.Options{Tags: "@security",
		SUT: sut.Config{Defects: []string{"accept-unsigned-request"}}})
	for _, name := range []string{
		"The owner system under test refuses an unsigned request",
		"The owner system under test refuses a request signed by a system instead of the gateway",
		"The owner system under test refuses a request altered after the gateway signed it",
		"The owner system under test refuses a signature wrapping attack",
	} {
		if status[name] != "failed" {
			t.Errorf("an owner accepting unsigned requests: %q is %q, want failed", name, status[name])
		}
	}
	// Hostile XML that is not a request at all is still refused.
	if st := status["The owner system under test refuses hostile XML: truncated.xml"]; st != "passed" {
		t.Errorf("truncated XML: %s, want passed", st)
	}
	if res.Summary.Verdict != reports.NotConformant {
		t.Errorf("verdict %s", res.Summary.Verdict)
	}
}
