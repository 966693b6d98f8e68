package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/owner"
)

// TestServeHelper is the serve process of TestServe: the test binary runs itself as shepconf serve,
// so the test sends a real SIGTERM to a real process.
func TestServeHelper(t *testing.T) {
	cfg := os.Getenv("SHEPCONF_SERVE_CONFIG")
	if cfg == "" {
		t.Skip("runs only as the serve process of TestServe")
	}
	os.Exit(run(context.Background(), []string{"serve", "--config", cfg}, os.Stdout, os.Stderr))
}

// freeAddr finds a free local port: the NCA needs the same address across the restart, since every
// certificate names it.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type serveProc struct {
	cmd     *exec.Cmd
	gateway string
	out     *bytes.Buffer
	done    chan error
}

func startServe(t *testing.T, cfgPath string) *serveProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelper$")
	cmd.Env = append(os.Environ(), "SHEPCONF_SERVE_CONFIG="+cfgPath)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, out: &bytes.Buffer{}, done: make(chan error, 1)}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.out.WriteString(sc.Text() + "\n")
			if u, ok := strings.CutPrefix(sc.Text(), "gateway: "); ok {
				lines <- u
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case p.gateway = <-lines:
	case err := <-p.done:
		t.Fatalf("serve exited before listening (%v): %s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start within a minute: %s", stderr.String())
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("serve did not exit cleanly on SIGTERM: %v\n%s", err, p.out)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve still running 30 s after SIGTERM")
	}
	if !strings.Contains(p.out.String(), "stopped") {
		t.Fatalf("serve did not report a graceful stop:\n%s", p.out)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	cfgPath := filepath.Join(dir, "shepconf.yaml")
	cfg := fmt.Sprintf(`state: %s
listen: {gateway: "127.0.0.1:0", nca: %q, owner: "127.0.0.1:0"}
systems:
  - {id: INITIATOR_SYS, password: init-secret, bin: "100000000001"}
  - {id: OWNER_SYS, password: owner-secret, bin: "100000000002"}
services:
  - {id: TEST_SERVICE_ID, owner: OWNER_SYS, endpoint: reference, granted: [INITIATOR_SYS]}
`, state, freeAddr(t))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	certPath := filepath.Join(state, "systems", "INITIATOR_SYS", "cert.pem")
	keyPath := filepath.Join(state, "systems", "INITIATOR_SYS", "key.pem")

	p := startServe(t, cfgPath)
	if code, body := get(t, p.gateway+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	// An agency's system configures the exported certificate, key and CA chain.
	id, err := nca.LoadIdentity(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := nca.ReadCertificates(filepath.Join(state, "nca", "ca-chain.pem"))
	if err != nil || len(roots) != 2 {
		t.Fatalf("CA chain: %v (%d certificates)", err, len(roots))
	}
	ok := exchange(t, p.gateway, id, "init-secret")
	if ok.answer == nil {
		t.Fatalf("signed request not answered: %s", ok.body)
	}
	// The gateway's answer is signed with a certificate that chains to the exported CA.
	checker := &xsig.Checker{Roots: pool(roots[1]), Intermediates: pool(roots[0])}
	if _, err := checker.CheckMessage(context.Background(), ok.body, "the gateway", "197196233258"); err != nil {
		t.Fatalf("the gateway's answer does not verify against the exported CA chain: %v", err)
	}
	if bad := exchange(t, p.gateway, id, "guessed"); bad.fault == nil || bad.fault.Detail.ErrorCode != "SCE002" {
		t.Fatalf("wrong password: want fault SCE002, got %s", bad.body)
	}

	_, metrics := get(t, p.gateway+"/metrics")
	for _, want := range []string{
		`shepconf_gateway_requests_total{channel="sync",status="200"} 1`,
		`shepconf_gateway_requests_total{channel="sync",status="500"} 1`,
		`shepconf_gateway_faults_total{code="SCE002"} 1`,
		"shepconf_gateway_acceptance_seconds_count 1",
		"shepconf_gateway_owner_processing_seconds_count 1",
		`shepconf_gateway_request_duration_seconds_count{channel="sync"} 2`,
		`shepconf_gateway_acceptance_seconds_bucket{le="60"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	p.stop(t)
	before, _ := os.ReadFile(certPath)

	// After a restart the exported certificate is kept and still accepted (OCSP: good).
	p = startServe(t, cfgPath)
	after, _ := os.ReadFile(certPath)
	if !bytes.Equal(before, after) {
		t.Fatal("the exported certificate changed across the restart")
	}
	if again := exchange(t, p.gateway, id, "init-secret"); again.answer == nil {
		t.Fatalf("the certificate exported before the restart is refused after it: %s", again.body)
	}
	p.stop(t)
}

type result struct {
	body   []byte
	answer *envelope.SendMessageResponse
	fault  *envelope.Fault
}

func exchange(t *testing.T, gatewayURL string, id *nca.Identity, password string) result {
	t.Helper()
	in := &owner.Initiator{SystemID: "INITIATOR_SYS", Password: password, Gateway: gatewayURL, Identity: id}
	body, err := envelope.Marshal(in.Request("TEST_SERVICE_ID", envelope.StringData("<q>1</q>")))
	if err != nil {
		t.Fatal(err)
	}
	if body, err = in.Sign(body); err != nil {
		t.Fatal(err)
	}
	x := in.Send(context.Background(), body)
	a, f, err := x.Answer()
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	return result{body: x.Response, answer: a, fault: f}
}

func pool(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}
