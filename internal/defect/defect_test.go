package defect

import "testing"

func TestCheckNamesTheUnknownAndTheKnown(t *testing.T) {
	if err := Check([]string{"a", "b"}, []string{"b", "a"}); err != nil {
		t.Errorf("known names: %v", err)
	}
	const want = "unknown defect x, y (known: a, b)"
	if err := Check([]string{"a", "b"}, []string{"x", "a", "y"}); err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}
