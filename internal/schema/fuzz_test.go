package schema_test

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidate: libxml2 validation through our wrapper never crashes, and a violation always
// says what kind it is.
func FuzzValidate(f *testing.F) {
	x := syncXSD(f)
	f.Add([]byte(valid))
	files, _ := filepath.Glob("../../fixtures/shep/hostile/*.xml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range x.Validate(b) {
			if v.Kind == "" || v.Message == "" {
				t.Fatalf("violation without kind or message: %+v", v)
			}
		}
	})
}
