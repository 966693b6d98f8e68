package envelope_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shepconf/shepconf/internal/envelope"
)

// seedHostile adds the hostile corpus of fixtures/shep/hostile to a fuzz target's seeds.
func seedHostile(f *testing.F) {
	files, _ := filepath.Glob("../../fixtures/shep/hostile/*.xml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParse: the envelope parser never panics, and what it accepts has a Body with one element.
func FuzzParse(f *testing.F) {
	seedHostile(f)
	if b, err := envelope.Marshal(request()); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := envelope.Parse(b)
		if err != nil {
			return
		}
		if m.Body == nil || m.Payload == nil {
			t.Fatal("parsed without a Body payload")
		}
		var req envelope.SendMessage
		_ = m.Decode(&req)
		if m.IsFault() {
			_, _ = m.Fault()
		}
	})
}
