package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// actArgs are the fields of Appendix 4 that a run does not know.
func actArgs(dir string, extra ...string) []string {
	return append([]string{"act", "--out", dir,
		"--owner", "Ministry of Justice", "--initiator", "Ministry of Finance",
		"--owner-system", "MJ_IS", "--initiator-system", "INITIATOR_SYS",
		"--service", "OWN_SERVICE=Reference service"}, extra...)
}

func shepconf(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), args, &out, &out)
	return code, out.String()
}

// TestActFromRunIsSignedAndVerifies forms the act from a real run, verifies its EDS, and shows that
// an act changed after signing no longer verifies.
func TestActFromRunIsSignedAndVerifies(t *testing.T) {
	dir := t.TempDir()
	res, err := steps.Run(context.Background(), steps.Options{OutDir: dir, Tags: "@R-6", TimeScale: 0.01, Output: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Scenarios == 0 {
		t.Fatal("the run had no scenario")
	}

	code, out := shepconf(t, actArgs(dir)...)
	if code != exitError || strings.Contains(out, "A4-F field") || !strings.Contains(out, "--tester-iin") {
		t.Fatalf("an act without the tester's EDS: exit %d\n%s", code, out)
	}
	code, out = shepconf(t, "act", "--out", dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123")
	for _, want := range []string{"A4-F field 1.1", "--owner", "A4-F field 3.1/3.2", "OWN_SERVICE"} {
		if code != exitError || !strings.Contains(out, want) {
			t.Errorf("an act without its fields: exit %d, want %q in\n%s", code, want, out)
		}
	}

	code, out = shepconf(t, actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123")...)
	if code != exitConformant {
		t.Fatalf("form the act: exit %d\n%s", code, out)
	}
	xmlPath := filepath.Join(dir, ActXMLFile)
	signed, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, ActHTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	// The run was at a shrunk time scale: whatever its verdict, it cannot support commissioning.
	wantDecision := "(time scale 1) certifies"
	for _, want := range []string{"<key>OWN_SERVICE</key>", wantDecision, "[A1-P4, R-2.23, R-6, R-53]", "<productionDate/>", "ds:Signature"} {
		if !bytes.Contains(signed, []byte(want)) {
			t.Errorf("act.xml lacks %q", want)
		}
	}
	assertInOrder(t, string(page), "1.1", "1.2", "2.1", "2.2", "3.1", "3.2", ">4<", ">5<", ">6<", "Aigerim Tester")

	code, out = shepconf(t, "act", "--out", dir, "--verify", xmlPath)
	if code != exitConformant || !strings.Contains(out, "1 valid EDS") || !strings.Contains(out, "Aigerim Tester (IIN 900101300123") {
		t.Fatalf("verify the act: exit %d\n%s", code, out)
	}

	forged := filepath.Join(dir, "forged.xml")
	if err := os.WriteFile(forged, bytes.Replace(signed, []byte("Ministry of Finance"), []byte("Ministry of Energy"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = shepconf(t, "act", "--out", dir, "--verify", forged)
	if code != exitFailed || !strings.Contains(out, "NOT VALID") || !strings.Contains(out, "R-8") {
		t.Fatalf("an act changed after signing: exit %d\n%s", code, out)
	}

	// The simulated NCA persists in its state folder: a second act is signed under the same root.
	root, _ := os.ReadFile(filepath.Join(dir, "nca", nca.RootCertFile))
	if code, out := shepconf(t, actArgs(dir, "--tester", "Aigerim Tester", "--tester-iin", "900101300123", "--id", "act-2")...); code != exitConformant {
		t.Fatalf("second act: exit %d\n%s", code, out)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "nca", nca.RootCertFile)); len(root) == 0 || !bytes.Equal(root, again) {
		t.Error("the simulated NCA was replaced between two acts")
	}
	if code, out := shepconf(t, "act", "--out", dir, "--verify", forged, "--state", t.TempDir()); code != exitError || !strings.Contains(out, "--roots") {
		t.Errorf("verify without an NCA: exit %d\n%s", code, out)
	}
}

// TestActWithSuppliedKey signs with a key and certificate the agency brings, and refuses a
// certificate from outside the NCA whose roots are given.
func TestActWithSuppliedKey(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, steps.CucumberFile), []byte(`[{"uri":"s.feature","name":"The synchronous channel","elements":[
		{"name":"A request is answered","tags":[{"name":"@R-47"}],"steps":[{"name":"it is answered","result":{"status":"passed"}}]},
		{"name":"A late answer is refused","tags":[{"name":"@A2-T1"}],"steps":[{"name":"it is refused","result":{"status":"failed"}}]}]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	ca, _ := nca.New("agency NCA")
	id, err := ca.Issue(nca.Subject{CommonName: "Daniyar Tester", IIN: "850505300456", BIN: "100140000002"}, nca.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath, rootsPath := filepath.Join(dir, "tester.pem"), filepath.Join(dir, "tester.key"), filepath.Join(dir, "roots.pem")
	if err := nca.SaveIdentity(id, certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rootsPath, nca.PEM(ca.Root()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := shepconf(t, actArgs(dir, "--key", keyPath, "--cert", certPath, "--roots", rootsPath)...)
	if code != exitConformant || !strings.Contains(out, "not ready for commissioning") {
		t.Fatalf("form the act: exit %d\n%s", code, out)
	}
	signed, _ := os.ReadFile(filepath.Join(dir, ActXMLFile))
	if !bytes.Contains(signed, []byte("- failed: The synchronous channel / A late answer is refused [A2-T1]")) {
		t.Errorf("the decision does not name the failed scenario and its clause:\n%s", signed)
	}
	code, out = shepconf(t, "act", "--out", dir, "--verify", filepath.Join(dir, ActXMLFile), "--roots", rootsPath)
	if code != exitConformant || !strings.Contains(out, "Daniyar Tester (IIN 850505300456, BIN 100140000002)") {
		t.Fatalf("verify: exit %d\n%s", code, out)
	}

	other, _ := nca.New("another CA")
	if err := os.WriteFile(rootsPath, nca.PEM(other.Root()), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := shepconf(t, actArgs(dir, "--key", keyPath, "--cert", certPath, "--roots", rootsPath)...); code != exitError || !strings.Contains(out, "R-60") {
		t.Errorf("a certificate outside the NCA: exit %d\n%s", code, out)
	}
	if code, out := shepconf(t, "act", "--out", dir, "--verify", filepath.Join(dir, ActXMLFile), "--roots", rootsPath); code != exitFailed || !strings.Contains(out, "R-60") {
		t.Errorf("verify against another NCA: exit %d\n%s", code, out)
	}
}

func assertInOrder(t *testing.T, s string, parts ...string) {
	t.Helper()
	at := 0
	for _, p := range parts {
		i := strings.Index(s[at:], p)
		if i < 0 {
			t.Errorf("%q missing or out of order in the printable act", p)
			return
		}
		at += i + len(p)
	}
}
