// Package interop checks the standalone gateway with a SOAP client that is not ours: client.py, built
// on the Debian packages python3-zeep and python3-xmlsec. It loads the WSDL from the gateway's
// endpoints, signs with its own WS-Security code and the exported RSA key, and verifies the gateway's
// signed answers against the exported CA chain.
package interop

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"github.com/shepconf/shepconf/internal/upstreamtest"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/assembly/standalone"
	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/simulators/nca"
)

// The Debian interpreter: it sees Debian's dist-packages, where python3-zeep and python3-xmlsec are.
const python = "/usr/bin/python3"

// The registry of the gateway under test. PULL_SYS, the owner of ASYNC_SERVICE, has no push endpoint:
// it takes its messages with getMessages.
const (
	initiator    = "INITIATOR_SYS:init-secret"
	puller       = "PULL_SYS:pull-secret"
	syncService  = "SYNC_SERVICE"
	asyncService = "ASYNC_SERVICE"
)

// needClient skips when the client's libraries are missing on a developer's machine, and fails under
// CI, where a skipped interoperability check would pass unnoticed.
func needClient(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import zeep, xmlsec, lxml").CombinedOutput()
	if err == nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	msg := "the independent client needs " + python + " with python3-zeep and python3-xmlsec; run scripts/deps (" +
		lines[len(lines)-1] + ")"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + ": the interoperability check did NOT run")
}

// startGateway runs shepconf serve in-process over real HTTP, with RSA keys, the NCA's state in a
// temporary folder, a service routed to the reference owner and one whose owner pulls.
func startGateway(t *testing.T) *standalone.Standalone {
	t.Helper()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
state: %q
keyAlgorithm: rsa-2048
listen: {gateway: "127.0.0.1:0", rest: "127.0.0.1:0", nca: "127.0.0.1:0", owner: "127.0.0.1:0"}
systems:
  - {id: INITIATOR_SYS, password: init-secret, bin: "100000000001"}
  - {id: OWNER_SYS, password: owner-secret, bin: "100000000002"}
  - {id: PULL_SYS, password: pull-secret, bin: "100000000003"}
services:
  - {id: %s, owner: OWNER_SYS, endpoint: reference, granted: [INITIATOR_SYS]}
  - {id: %s, owner: PULL_SYS, endpoint: reference, granted: [INITIATOR_SYS]}
`, t.TempDir(), syncService, asyncService)), "interop")
	if err != nil {
		t.Fatal(err)
	}
	s, err := standalone.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// runClient runs client.py against the gateway at gatewayURL (the gateway itself, or a proxy in
// front of it) with the systems' keys and CA chain from the state folder; it returns the client's
// output and exit status.
func runClient(t *testing.T, gatewayURL, state string, extra ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"client.py", "--gateway", gatewayURL, "--state", state,
		"--gateway-bin", config.DefaultGatewayBIN, "--initiator", initiator, "--owner", puller,
		"--sync-service", syncService, "--async-service", asyncService}, extra...)
	cmd := exec.CommandContext(ctx, python, args...)
	out, err := cmd.CombinedOutput()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("client.py did not run: %v", err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// The calls the client makes, each on a line of its own.
var calls = []string{
	"sync SendMessage",
	"async sendMessage",
	"async getMessageStatus",
	"async getMessages",
	"async sendDeliveryNotification",
	"async getMessageStatus (after)",
}

// Every way a client names its certificate is accepted on both channels, and every answer verifies.
func TestIndependentClient(t *testing.T) {
	needClient(t)
	s := startGateway(t)
	for _, ref := range []string{"keyidentifier", "bst", "x509data", "zeep"} {
		t.Run(ref, func(t *testing.T) {
			out, code := runClient(t, s.GatewayURL(), s.Config.State, "--key-reference", ref)
			if code != 0 {
				t.Fatalf("client.py --key-reference %s exited %d:\n%s", ref, code, out)
			}
			alg := "rsa-sha256" // the exported key is RSA: RSA-SHA256 by default
			if ref == "zeep" {
				alg = "rsa-sha1" // zeep's own Signature signs with RSA-SHA1 unless told otherwise
			}
			for _, c := range calls {
				if want := fmt.Sprintf("ok   %-34s [%s, %s]: ", c, ref, alg); !strings.Contains(out, want) {
					t.Errorf("no line %q in the client's output:\n%s", want, out)
				}
			}
			t.Logf("client.py --key-reference %s:\n%s", ref, out)
		})
	}
}

// A client generated from the real gateway's published WSDL (read from ../shared/upstream, never
// copied here), not from ours, works unchanged against serve on both channels.
func TestIndependentClientFromTheRealContract(t *testing.T) {
	needClient(t)
	dir := filepath.Join(upstreamtest.Dir(t), "shep", "shep-service", "shep")
	s := startGateway(t)
	out, code := runClient(t, s.GatewayURL(), s.Config.State,
		"--sync-wsdl", filepath.Join(dir, "SyncChannel", "v10", "Interfaces", "SyncChannelHttp_Service.wsdl"),
		"--async-wsdl", filepath.Join(dir, "AsyncChannel", "v10", "Interfaces", "AsyncChannelHttp_Service.wsdl"))
	if code != 0 {
		t.Fatalf("client.py from the real contract's WSDL exited %d:\n%s", code, out)
	}
	for _, c := range calls {
		if want := "ok   " + c; !strings.Contains(out, want) {
			t.Errorf("no line %q in the client's output:\n%s", want, out)
		}
	}
}

// A Body altered after signing is refused with SCE006 on both channels: the client's success above
// rests on signatures the gateway really checks.
func TestIndependentClientTamperedBody(t *testing.T) {
	needClient(t)
	s := startGateway(t)
	out, code := runClient(t, s.GatewayURL(), s.Config.State, "--tamper")
	if code == 0 {
		t.Fatalf("client.py --tamper succeeded; the gateway accepted an altered Body:\n%s", out)
	}
	for _, c := range []string{"sync SendMessage", "async sendMessage"} {
		if !lineHas(out, "FAIL "+c+" ", "signed fault verified SCE006") {
			t.Errorf("%s with an altered Body: want a signed fault SCE006, got:\n%s", c, out)
		}
	}
}

// An answer altered on its way back, an answer signed by anyone but the gateway and a gateway
// certificate from another CA fail the client's own checks: its success above rests on answers it
// really verifies.
func TestIndependentClientChecksAnswers(t *testing.T) {
	needClient(t)
	s := startGateway(t)
	target, err := url.Parse(s.GatewayURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(r *http.Response) error {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		if r.Request.Method == http.MethodPost { // the WSDL passes unchanged, the answers do not
			b = bytes.ReplaceAll(b, []byte("interop "), []byte("altered "))
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	altering := httptest.NewServer(proxy)
	defer altering.Close()

	out, code := runClient(t, altering.URL, s.Config.State, "--async-service", "")
	if code == 0 || !lineHas(out, "FAIL sync SendMessage ", "does not verify") {
		t.Errorf("an answer altered after the gateway signed it: want the client to refuse its signature, got exit %d:\n%s", code, out)
	}
	out, code = runClient(t, s.GatewayURL(), s.Config.State, "--async-service", "", "--gateway-bin", "999999999999")
	if code == 0 || !lineHas(out, "FAIL sync SendMessage ", "not by the gateway (BIN 999999999999)") {
		t.Errorf("an answer signed by another BIN than the gateway's: want the client to refuse it, got exit %d:\n%s", code, out)
	}
	out, code = runClient(t, s.GatewayURL(), foreignCA(t, s.Config.State, "INITIATOR_SYS"), "--async-service", "")
	if code == 0 || !lineHas(out, "FAIL sync SendMessage ", "does not chain to") {
		t.Errorf("a gateway certificate from a CA the client does not trust: want the client to refuse it, got exit %d:\n%s", code, out)
	}
}

// foreignCA is a state folder with the system's exported certificate and key but the certificate
// of another CA in ca-chain.pem.
func foreignCA(t *testing.T, state, systemID string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), standalone.SystemsDir, systemID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{standalone.CertFile, standalone.KeyFile} {
		b, err := os.ReadFile(filepath.Join(state, standalone.SystemsDir, systemID, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, nca.ChainFile), chain, 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(dir))
}

func lineHas(out, prefix, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, want) {
			return true
		}
	}
	return false
}
