package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/assembly/epgu"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/steps"
)

func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), args, &out, &out)
	return code, out.String()
}

// --profile epgu reaches the EPGU suite from every command, and its exit codes follow the verdict.
func TestEPGUProfileFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	code, out := runCLI(t, "run", "--profile", "epgu", "--out", dir, "--time-scale", "0.01", "--key-algorithm", "ecdsa-p256", "--tags", "@ESIA-B12")
	if code != exitConformant || !strings.Contains(out, "CONFORMANT") || !strings.Contains(out, "profile epgu") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var info steps.RunInfo
	raw, err := os.ReadFile(filepath.Join(dir, steps.RunFile))
	if err != nil || json.Unmarshal(raw, &info) != nil || info.Profile != steps.ProfileEPGU {
		t.Errorf("run.json: profile %q (%v)", info.Profile, err)
	}
	code, out = runCLI(t, "run", "--profile=epgu", "--out", t.TempDir(), "--time-scale", "0.01", "--key-algorithm", "ecdsa-p256",
		"--tags", "@WALK-SIG", "--sample-defect", "no-sig")
	if code != exitFailed || !strings.Contains(out, "NOT CONFORMANT") {
		t.Errorf("a client without signatures: exit %d:\n%s", code, out)
	}
	for name, args := range map[string][]string{
		"unknown defect":            {"run", "--profile", "epgu", "--sample-defect", "forgetful"},
		"trigger without its cert":  {"run", "--profile", "epgu", "--sut-trigger", "http://127.0.0.1:1/trigger"},
		"the act is a form of ShEP": {"act", "--profile", "epgu"},
		"no such bus":               {"run", "--profile"},
	} {
		if code, out := runCLI(t, args...); code != exitError {
			t.Errorf("%s: exit %d, want %d:\n%s", name, code, exitError, out)
		}
	}
}

// The rate profiles of ShEP's load keep their --profile.
func TestBusProfileLeavesLoadRateProfilesAlone(t *testing.T) {
	p, rest, err := busProfile([]string{"--profile", "peak", "--compress", "60"})
	if err != nil || p != steps.ProfileShep || strings.Join(rest, " ") != "--load-profile=peak --compress 60" {
		t.Errorf("got %q %q %v", p, rest, err)
	}
	p, rest, err = busProfile([]string{"--out", "x", "--profile=epgu"})
	if err != nil || p != steps.ProfileEPGU || strings.Join(rest, " ") != "--out x" {
		t.Errorf("got %q %q %v", p, rest, err)
	}
}

// load --profile epgu judges the API's per-minute limit (EPGU-A3): at 6 000 a minute for 3 s
// against a limit of 100, the first 100 are served and the rest refused with 429.
func TestEPGULoadJudgesThePerMinuteLimit(t *testing.T) {
	res, err := epgu.Load(context.Background(), epgu.LoadPlan{PerMinute: 6000, Duration: 3 * time.Second, Limit: 100}, pki.ECDSAP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed() || res.Served != 100 || res.Refused != res.Requests-100 || res.MostInMin != 100 {
		t.Fatalf("%+v", res)
	}
	code, out := runCLI(t, "load", "--profile", "epgu", "--rate", "6000", "--duration", "2s", "--limit", "50", "--out", t.TempDir(),
		"--key-algorithm", "ecdsa-p256")
	if code != exitConformant || !strings.Contains(out, "50 served") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
