package cms_test

import (
	"errors"
	"testing"

	"github.com/shepconf/shepconf/internal/cms"
)

// A problem's words are its code in English: faults, journals and logs read as they did.
func TestProblemTextIsTheCodeInEnglish(t *testing.T) {
	for _, p := range []cms.Problem{cms.Malformed, cms.NotSupported, cms.BadSignature, cms.Untrusted, cms.NoTimestamp, cms.BadTimestamp} {
		if got := p.Text().String(); got != string(p) {
			t.Errorf("%q reads %q in English", p, got)
		}
	}
}

// An error's message is its Text in English, and its Detail the detail in English.
func TestErrorTextIsItsMessage(t *testing.T) {
	_, err := cms.Decode("")
	var e *cms.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a *cms.Error", err)
	}
	if e.Text().String() != err.Error() || e.DetailText().String() != e.Detail {
		t.Errorf("Text %q, DetailText %q; want %q and %q", e.Text(), e.DetailText(), err.Error(), e.Detail)
	}
}
