package nca_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// TestTSAWithOpenSSL has openssl, an independent RFC 3161 implementation, make the query and verify
// the reply against the root: the TSA certificate's critical time-stamping usage and the token's
// imprint are checked by it, not by our code.
func TestTSAWithOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on PATH")
	}
	a, base := servedCA(t, "OpenSSL TSA")
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(path("data"), []byte("a file of the archive"), 0o600))
	must(os.WriteFile(path("root.pem"), pki.PEM(a.Root()), 0o600))
	must(os.WriteFile(path("chain.pem"), pki.PEM(a.Intermediate()), 0o600))
	run := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
		return out
	}
	run("ts", "-query", "-data", path("data"), "-sha256", "-cert", "-out", path("query.tsq"))
	query, err := os.ReadFile(path("query.tsq"))
	must(err)
	must(os.WriteFile(path("reply.tsr"), post(t, base+nca.TSPPath, cms.TimestampQueryType, query), 0o600))
	out := run("ts", "-verify", "-data", path("data"), "-in", path("reply.tsr"), "-CAfile", path("root.pem"), "-untrusted", path("chain.pem"))
	if !bytes.Contains(out, []byte("Verification: OK")) {
		t.Fatalf("openssl did not verify the reply:\n%s", out)
	}
}
