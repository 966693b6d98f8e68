package shep_test

import (
	"testing"

	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/steps/shep"
)

// The REST scenarios that refuse a signer or a client certificate must fail when the gateway's
// check behind them is switched off. (Wrong key and altered ciphertext have no check to switch off:
// decryption itself fails; internal/jose's tests prove that the same message opens when intact.)
func TestRESTScenariosFailWithoutTheirCheck(t *testing.T) {
	cases := map[xsig.Problem][]string{
		xsig.NotTheSender: {"A sealed message signed with the certificate of another organisation is refused",
			"A client certificate of another organisation is refused"},
		xsig.Invalid: {"A sealed message altered after signing is refused"},
	}
	for problem, scenarios := range cases {
		t.Run(string(problem), func(t *testing.T) {
			_, status := runStatuses(t, shep.Options{Tags: "@rest && ~@slow", SignatureChecksOff: []xsig.Problem{problem}})
			for _, name := range scenarios {
				if status[name] != "failed" {
					t.Errorf("with the %q check off, %q is %q, want failed", problem, name, status[name])
				}
			}
			if status["A message signed and encrypted by the sender is decrypted, verified and forwarded"] != "passed" {
				t.Errorf("with the %q check off, the valid sealed exchange should still pass", problem)
			}
		})
	}
}
