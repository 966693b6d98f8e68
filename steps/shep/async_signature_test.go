package shep_test

import (
	"testing"

	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/steps/shep"
)

// The asynchronous scenarios that refuse a signature must fail when the gateway's check behind
// them is switched off, while the signed exchange by push still passes.
func TestAsyncSignatureScenariosFailWithoutTheirCheck(t *testing.T) {
	cases := map[xsig.Problem]string{
		xsig.Unsigned:     "A message without the sender's transport signature is refused",
		xsig.NotTheSender: "A push answered under another organisation's certificate is not counted as delivered",
	}
	for problem, scenario := range cases {
		t.Run(string(problem), func(t *testing.T) {
			_, status := runStatuses(t, shep.Options{Tags: "@async && @R-59,@R-54", SignatureChecksOff: []xsig.Problem{problem}})
			if status[scenario] != "failed" {
				t.Errorf("with the %q check off, %q is %q, want failed", problem, scenario, status[scenario])
			}
			if s := status["A pushed message reaches the participant signed by the gateway"]; s != "passed" {
				t.Errorf("with the %q check off, the signed push should still pass, is %q", problem, s)
			}
		})
	}
}
