package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/pki"
)

// The key algorithm of a run: --key-algorithm, else the configuration's keyAlgorithm, else
// RSA-2048 as the national CA issues; an unknown name is refused with the names that work.
func TestKeyAlgorithmOfARun(t *testing.T) {
	example, err := os.ReadFile("../../fixtures/shep/shepconf.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "shepconf.yaml")
	ecdsa := strings.Replace(string(example), "keyAlgorithm: rsa-2048", "keyAlgorithm: ecdsa-p256", 1)
	if ecdsa == string(example) {
		t.Fatal("the example configuration no longer sets keyAlgorithm: rsa-2048")
	}
	if err := os.WriteFile(cfg, []byte(ecdsa), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, flag, cfg string
		want            pki.KeyType
	}{
		{"the default", "", "", pki.RSA2048},
		{"the flag", "ecdsa-p256", "", pki.ECDSAP256},
		{"the configuration", "", cfg, pki.ECDSAP256},
		{"the flag over the configuration", "rsa-2048", cfg, pki.RSA2048},
	}
	for _, c := range cases {
		if got, err := keyAlgorithm(c.flag, c.cfg); err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	code, out := shepconf(t, "run", "--key-algorithm", "dsa-1024", "--out", t.TempDir())
	if code != exitError || !strings.Contains(out, "--key-algorithm") || !strings.Contains(out, pki.KeyAlgorithms) {
		t.Errorf("an unknown key algorithm: exit %d, %q", code, out)
	}
}
