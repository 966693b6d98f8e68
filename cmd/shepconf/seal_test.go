package main

import (
	"bytes"
	"context"
	"crypto"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/shep"
)

// TestMain keeps the harness key of these tests in a temporary folder, never in the user's own
// configuration folder: `shepconf run` and `shepconf act` find it by $SHEPCONF_HARNESS_KEY.
func TestMain(m *testing.M) { os.Exit(runseal.RunWithTemporaryKey(m)) }

// harnessKey is the key of these tests' runs (see TestMain).
func harnessKey(t *testing.T) crypto.Signer {
	t.Helper()
	key, err := runseal.LoadOrCreate(os.Getenv(runseal.KeyEnv))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// sealRun seals the run written in dir, as shep.Run does at the end of a run.
func sealRun(t *testing.T, dir string) {
	t.Helper()
	if _, err := runseal.Seal(dir, harnessKey(t), steps.RunFile, steps.CucumberFile); err != nil {
		t.Fatal(err)
	}
}

// A complete run of MJ_IS at a shrunk time scale: not ready for commissioning, and sealed.
func shrunkRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeRun(t, dir, steps.RunInfo{TimeScale: 0.01, Tags: "~@load && @role-sync-owner", Verdict: "CONFORMANT",
		SUT:   steps.SUTInfo{Kind: "container", SystemID: "MJ_IS", BIN: "100140000002", Image: "agency:1"},
		Roles: []steps.RoleResult{{Role: "sync-owner", Passed: 2, Services: []string{"OWN_SERVICE"}}}}, "passed", "failed")
	return dir
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, _ := os.ReadFile(path)
	edited := bytes.Replace(b, []byte(old), []byte(new), 1)
	if bytes.Equal(b, edited) {
		t.Fatalf("%s has no %q:\n%s", path, old, b)
	}
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A run at a shrunk time scale certifies nothing: editing run.json to say time scale 1 (or
// cucumber.json to turn a failed scenario into a passed one) must not make it support "ready for
// commissioning". The act checks the run's seal first and refuses, naming the file and the fix
// (A4-F: the act is drawn from the run as the harness recorded it).
func TestActRefusesATamperedRun(t *testing.T) {
	otherKey := filepath.Join(t.TempDir(), runseal.KeyFile)
	other, err := runseal.LoadOrCreate(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		extra  []string // flags of the act
		want   []string // in the refusal
	}{
		{"run.json edited to time scale 1", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, steps.RunFile), `"timeScale":0.01`, `"timeScale":1`)
		}, nil, []string{filepath.Join(dir0, steps.RunFile), "breaks A4-F", "a file changed after the run", "run the suite again"}},
		{"cucumber.json edited to pass a failed scenario", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, steps.CucumberFile), `"failed"`, `"passed"`)
		}, nil, []string{filepath.Join(dir0, steps.CucumberFile), "a file changed after the run", "run the suite again"}},
		{"the seal removed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, runseal.File))
		}, nil, []string{filepath.Join(dir0, runseal.File), "no seal", "run the suite again"}},
		{"resealed with another key after editing", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, steps.RunFile), `"timeScale":0.01`, `"timeScale":1`)
			if _, err := runseal.Seal(dir, other, steps.RunFile, steps.CucumberFile); err != nil {
				t.Fatal(err)
			}
		}, nil, []string{"a seal by the harness key " + runseal.Fingerprint(other.Public()), "--harness-key"}},
		{"verified with another key", func(*testing.T, string) {}, []string{"--harness-key", otherKey},
			[]string{"expected a seal by the harness key " + runseal.Fingerprint(other.Public()), "--harness-key"}},
		{"no harness key to verify with", func(*testing.T, string) {}, []string{"--harness-key", filepath.Join(t.TempDir(), "none.pem")},
			[]string{"none.pem: breaks A4-F: expected the harness key that sealed the run; observed no such file", "--harness-key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := shrunkRun(t)
			c.tamper(t, dir)
			args := append(actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123", "--state", t.TempDir()), c.extra...)
			code, out := shepconf(t, args...)
			if code != exitError {
				t.Errorf("exit %d, want %d\n%s", code, exitError, out)
			}
			for _, w := range c.want {
				if w = strings.ReplaceAll(w, dir0, dir); !strings.Contains(out, w) {
					t.Errorf("the refusal does not say %q:\n%s", w, out)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, ActXMLFile)); err == nil {
				t.Error("an act was formed from a run that does not verify")
			}
		})
	}

	// The same run untouched is formed into an act, not ready (time scale 0.01), and verifies with
	// the public key alone, as a tester who received only the results holds it.
	dir := shrunkRun(t)
	pub := filepath.Join(t.TempDir(), runseal.PublicKeyFile)
	pemPub, _ := runseal.PublicPEM(harnessKey(t).Public())
	if err := os.WriteFile(pub, pemPub, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := shepconf(t, actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123", "--state", t.TempDir(), "--harness-key", pub)...)
	if code != exitConformant || !strings.Contains(out, "time scale 0.01") || !strings.Contains(out, "sealed on") {
		t.Errorf("an untouched run, verified with the public key: exit %d\n%s", code, out)
	}
}

// dir0 stands for each case's run folder in the refusals expected.
const dir0 = "<run>"

// shepconf run seals its outputs with the harness key given by --harness-key, prints the key's
// fingerprint and writes it in run.json; shepconf act verifies them with that key.
func TestRunSealsItsOutputs(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(t.TempDir(), "keys", runseal.KeyFile)
	code, out := shepconf(t, "run", "--out", dir, "--tags", "@R-6 && @sync", "--time-scale", "0.01",
		"--key-algorithm", "ecdsa-p256", "--harness-key", keyPath)
	if code == exitError {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	key, err := runseal.LoadPrivate(keyPath)
	if err != nil {
		t.Fatalf("the harness key was not made at --harness-key: %v", err)
	}
	fp := runseal.Fingerprint(key.Public())
	if !strings.Contains(out, "by the harness key "+fp) {
		t.Errorf("the summary does not print the harness key's fingerprint %s:\n%s", fp, out)
	}
	if ri, _ := os.ReadFile(filepath.Join(dir, steps.RunFile)); !bytes.Contains(ri, []byte(`"harnessKey": "`+fp+`"`)) {
		t.Errorf("run.json does not name the harness key:\n%s", ri)
	}
	m, err := runseal.Verify(dir, key.Public(), steps.RunFile, steps.CucumberFile, steps.JUnitFile, steps.ReportFile)
	if err != nil || m.Key != fp {
		t.Fatalf("the run's seal: %v", err)
	}
	code, out = shepconf(t, actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123", "--harness-key", keyPath)...)
	if code != exitConformant {
		t.Errorf("act on the sealed run: exit %d\n%s", code, out)
	}
	// Without --harness-key the act looks for $SHEPCONF_HARNESS_KEY: another key, refused.
	if code, out := shepconf(t, actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123")...); code != exitError || !strings.Contains(out, fp) {
		t.Errorf("act with another harness key: exit %d\n%s", code, out)
	}
}

// shep.Run called from Go seals with the harness key of $SHEPCONF_HARNESS_KEY, which the act
// then finds on its own.
func TestRunSealsWithTheDefaultKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := shep.Run(context.Background(), shep.Options{OutDir: dir, Tags: "@R-6 && @sync", TimeScale: 0.01, Output: io.Discard, KeyAlgorithm: pki.ECDSAP256}); err != nil {
		t.Fatal(err)
	}
	if _, err := runseal.Verify(dir, harnessKey(t).Public(), steps.RunFile, steps.CucumberFile); err != nil {
		t.Fatal(err)
	}
}
