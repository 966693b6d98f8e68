package runseal

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/rule"
)

func writeRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"run.json": `{"timeScale":0.01}`, "cucumber.json": `[]`, "report.html": `<html></html>`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func newKey(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys", KeyFile)
	if _, err := LoadOrCreate(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// A seal verifies with the key that made it, with its public key alone, and with nothing else;
// every edited, missing or unsealed file is refused by name (A4-F).
func TestSealRefusesEveryChange(t *testing.T) {
	keyPath := newKey(t)
	key, err := LoadPrivate(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublic(filepath.Join(filepath.Dir(keyPath), PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), KeyFile)
	otherKey, _ := LoadOrCreate(other)

	cases := []struct {
		name   string
		change func(dir string)
		verify any // the public key to verify with; pub when nil
		want   string
	}{
		{"untouched", func(string) {}, nil, ""},
		{"an edited byte in run.json", func(dir string) { edit(t, filepath.Join(dir, "run.json"), "0.01", "1") }, nil, "run.json: breaks A4-F: expected the file as the run wrote it"},
		{"an edited cucumber.json", func(dir string) { edit(t, filepath.Join(dir, "cucumber.json"), "[]", "[ ]") }, nil, "cucumber.json: breaks A4-F"},
		{"a deleted report", func(dir string) { os.Remove(filepath.Join(dir, "report.html")) }, nil, "report.html: breaks A4-F: expected the file as the run wrote it; observed no such file"},
		{"no seal", func(dir string) { os.Remove(filepath.Join(dir, File)) }, nil, File + ": breaks A4-F: expected the seal the harness writes at the end of a run; observed no seal"},
		{"a seal made with another key", func(dir string) {
			if _, err := Seal(dir, otherKey, "run.json", "cucumber.json"); err != nil {
				t.Fatal(err)
			}
		}, nil, "expected a seal by the harness key " + Fingerprint(pub) + "; observed a seal by the harness key " + Fingerprint(otherKey.Public())},
		{"verified with another key", func(string) {}, otherKey.Public(), "--harness-key"},
		{"a seal whose payload was swapped", func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, File))
			parts := strings.Split(strings.TrimSpace(string(b)), ".")
			parts[1] = parts[1][:len(parts[1])-2] + "AA"
			os.WriteFile(filepath.Join(dir, File), []byte(strings.Join(parts, ".")), 0o644)
		}, nil, "the seal was altered"},
		{"a run that lists no run.json", func(dir string) {
			if _, err := Seal(dir, key, "cucumber.json"); err != nil {
				t.Fatal(err)
			}
		}, nil, "run.json: breaks A4-F: expected a file the seal covers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeRun(t)
			m, err := Seal(dir, key, "run.json", "cucumber.json", "report.html")
			if err != nil {
				t.Fatal(err)
			}
			if m.Key != Fingerprint(pub) || len(m.Files) != 3 {
				t.Fatalf("manifest %+v", m)
			}
			c.change(dir)
			with := c.verify
			if with == nil {
				with = pub
			}
			_, err = Verify(dir, with, "run.json", "cucumber.json")
			if c.want == "" {
				if err != nil {
					t.Fatalf("an untouched run: %v", err)
				}
				return
			}
			var b *rule.Breach
			if err == nil || !strings.Contains(err.Error(), c.want) || !asBreach(err, &b) || b.Fix.IsZero() {
				t.Fatalf("got %v\nwant a breach with %q", err, c.want)
			}
		})
	}
}

func asBreach(err error, b **rule.Breach) bool {
	v, ok := err.(*rule.Breach)
	*b = v
	return ok
}

func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The harness key is made once, readable only by its owner, and found again at the same path; an
// Ed25519 key brought by the user seals too.
func TestHarnessKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shepconf", KeyFile)
	k1, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	dir, _ := os.Stat(filepath.Dir(path))
	if st.Mode().Perm() != 0o600 || dir.Mode().Perm() != 0o700 {
		t.Errorf("key %v, folder %v; want 0600 and 0700", st.Mode().Perm(), dir.Mode().Perm())
	}
	k2, err := LoadOrCreate(path)
	if err != nil || Fingerprint(k1.Public()) != Fingerprint(k2.Public()) {
		t.Fatalf("a second use made another key: %v", err)
	}
	if !strings.HasPrefix(Fingerprint(k1.Public()), "SHA256:") {
		t.Errorf("fingerprint %s", Fingerprint(k1.Public()))
	}
	os.Chmod(path, 0o644)
	if _, err := LoadPrivate(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key others can read: %v", err)
	}

	t.Setenv(KeyEnv, "/from/env.pem")
	if p, _ := KeyPath(""); p != "/from/env.pem" {
		t.Errorf("$%s ignored: %s", KeyEnv, p)
	}
	if p, _ := KeyPath("/from/flag.pem"); p != "/from/flag.pem" {
		t.Errorf("the flag ignored: %s", p)
	}

	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	dirRun := writeRun(t)
	if _, err := Seal(dirRun, ed, "run.json"); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(dirRun, ed.Public(), "run.json"); err != nil {
		t.Errorf("an Ed25519 seal: %v", err)
	}
}
