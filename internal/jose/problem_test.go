package jose_test

import (
	"testing"

	"github.com/shepconf/shepconf/internal/jose"
)

// A problem's words are its code in English: faults, journals and logs read as they did.
func TestProblemTextIsTheCodeInEnglish(t *testing.T) {
	for _, p := range []jose.Problem{jose.NotSealed, jose.WrongKey, jose.Undecryptable, jose.Unsupported, jose.Unsigned,
		jose.Malformed, jose.Invalid} {
		if got := p.Text().String(); got != string(p) {
			t.Errorf("%q reads %q in English", p, got)
		}
	}
}
