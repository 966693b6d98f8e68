package xsig_test

import (
	"testing"

	"github.com/shepconf/shepconf/internal/xsig"
)

// A problem's words are its code in English: faults, journals and logs read as they did.
func TestProblemTextIsTheCodeInEnglish(t *testing.T) {
	for _, p := range []xsig.Problem{xsig.Unsigned, xsig.Malformed, xsig.Unsupported, xsig.Invalid, xsig.Wrapped,
		xsig.Untrusted, xsig.Expired, xsig.Revoked, xsig.StatusUnknown, xsig.NotTheSender, xsig.Unregistered} {
		if got := p.Text().String(); got != string(p) {
			t.Errorf("%q reads %q in English", p, got)
		}
	}
}
