package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
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
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// TestServeHelper is the serve process of TestServe: the test binary runs itself as shepconf serve,
// so the test sends a real SIGTERM to a real process.
func TestServeHelper(t *testing.T) {
	cfg := os.Getenv("SHEPCONF_SERVE_CONFIG")
	if cfg == "" {
		t.Skip("runs only as the serve process of TestServe")
	}
	args := append([]string{"serve", "--config", cfg}, strings.Fields(os.Getenv("SHEPCONF_SERVE_ARGS"))...)
	os.Exit(run(context.Background(), args, os.Stdout, os.Stderr))
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
	// startup is what serve listed at start, by the text before the first ": " of each line
	// (gateway, gateway https, sync, async, rest, health, metrics, nca, system X ...).
	startup map[string]string
	out     *bytes.Buffer
	done    chan error
}

// startServe runs serve and waits until it has listed its endpoints, down to the line of the
// system lastSystem.
func startServe(t *testing.T, cfgPath, lastSystem string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelper$")
	cmd.Env = append(os.Environ(), "SHEPCONF_SERVE_CONFIG="+cfgPath, "SHEPCONF_SERVE_ARGS="+strings.Join(args, " "))
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
	listed := make(chan map[string]string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		startup := map[string]string{}
		for sc.Scan() {
			p.out.WriteString(sc.Text() + "\n")
			if startup == nil {
				continue
			}
			if name, value, ok := strings.Cut(sc.Text(), ": "); ok {
				startup[name] = value
			}
			if strings.HasPrefix(sc.Text(), "system "+lastSystem+": ") {
				listed <- startup
				startup = nil
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case p.startup = <-listed:
		p.gateway = p.startup["gateway"]
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

// serveConfig writes the configuration of the serve processes of these tests into a temporary
// folder: an initiator, an owner with the reference owner's sync service TEST_SERVICE_ID, and the
// services given (YAML list items). It returns the file and the state folder.
func serveConfig(t *testing.T, services ...string) (cfgPath, state string) {
	t.Helper()
	dir := t.TempDir()
	state, cfgPath = filepath.Join(dir, "state"), filepath.Join(dir, "shepconf.yaml")
	cfg := fmt.Sprintf(`state: %s
listen: {gateway: "127.0.0.1:0", nca: %q, owner: "127.0.0.1:0", restOwner: "127.0.0.1:0"}
systems:
  - {id: INITIATOR_SYS, password: init-secret, bin: "100000000001"}
  - {id: OWNER_SYS, password: owner-secret, bin: "100000000002"}
services:
  - {id: TEST_SERVICE_ID, owner: OWNER_SYS, endpoint: reference, granted: [INITIATOR_SYS]}
`, state, freeAddr(t))
	for _, s := range services {
		cfg += "  - " + s + "\n"
	}
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, state
}

func TestServe(t *testing.T) {
	cfgPath, state := serveConfig(t, "{id: TEST_REST_SERVICE, owner: OWNER_SYS, rest: true, endpoint: reference, granted: [INITIATOR_SYS]}")
	certPath := filepath.Join(state, "systems", "INITIATOR_SYS", "cert.pem")
	keyPath := filepath.Join(state, "systems", "INITIATOR_SYS", "key.pem")

	p := startServe(t, cfgPath, "OWNER_SYS")
	// The startup lists every endpoint and exported file.
	for name, want := range map[string]string{
		"sync": p.gateway + envelope.SyncPath, "async": p.gateway + envelope.AsyncPath, "rest": "https://127.0.0.1:",
		"health": p.gateway + "/healthz", "metrics": p.gateway + "/metrics", "nca": "http://", "key algorithm": "RSA-2048",
		"ca chain": filepath.Join(state, "nca", "ca-chain.pem"), "gateway certificate": filepath.Join(state, "systems", "SHEP_GATEWAY", "cert.pem"),
		"system INITIATOR_SYS": "certificate " + certPath + ", key " + keyPath,
		"system OWNER_SYS":     "https certificate " + filepath.Join(state, "systems", "OWNER_SYS", "https-cert.pem"),
	} {
		if !strings.Contains(p.startup[name], want) {
			t.Errorf("startup line %q is %q, want it to contain %q", name, p.startup[name], want)
		}
	}
	if code, body := get(t, p.gateway+"/healthz"); code != 200 || !strings.HasPrefix(body, "ok\n") || !strings.Contains(body, "rest: ok https://") {
		t.Fatalf("healthz: %d %q", code, body)
	}
	// An agency's system configures the exported certificate, key and CA chain.
	id, err := pki.LoadIdentity(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := id.Key.(*rsa.PrivateKey); !ok {
		t.Fatalf("the exported key is %T, want RSA-2048 by default", id.Key)
	}
	roots, err := pki.ReadCertificates(filepath.Join(state, "nca", "ca-chain.pem"))
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

	// The asynchronous channel takes a signed message into its store.
	sender := owner.NewParticipant("INITIATOR_SYS", "init-secret", p.gateway)
	sender.Identity = id
	x := sender.Send(context.Background(), sender.Message("TEST_SERVICE_ID", envelope.TypeRequest, "", envelope.StringData("<q>1</q>")))
	var sent envelope.AsyncSendMessageAnswer
	if err := x.Decode(&sent); err != nil || sent.Response.MessageID == "" {
		t.Fatalf("async sendMessage: %v: %s", err, x.Response)
	}

	// The REST channel answers over HTTPS, with a server certificate from the exported CA.
	rest := &owner.RESTInitiator{SystemID: "INITIATOR_SYS", Password: "init-secret",
		HTTP: &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(roots[1])}}}}
	body, _ := json.Marshal(rest.Request("TEST_REST_SERVICE", json.RawMessage(`{"q": 1}`)))
	if rx := rest.Send(context.Background(), p.startup["gateway https"], "application/json", body); rx.Err != nil || rx.Status != http.StatusOK {
		t.Fatalf("REST over HTTPS: %v, HTTP %d: %s", rx.Err, rx.Status, rx.Response)
	}

	_, metrics := get(t, p.gateway+"/metrics")
	for _, want := range []string{
		`shepconf_gateway_requests_total{channel="sync",status="200"} 1`,
		`shepconf_gateway_requests_total{channel="sync",status="500"} 1`,
		`shepconf_gateway_requests_total{channel="async",status="200"} 1`,
		`shepconf_gateway_requests_total{channel="rest",status="200"} 1`,
		`shepconf_gateway_faults_total{code="SCE002"} 1`,
		"shepconf_gateway_acceptance_seconds_count 3",
		`shepconf_gateway_request_duration_seconds_count{channel="sync"} 2`,
		`shepconf_gateway_async_messages{state="ON_DELIVERY"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	p.stop(t)
	before, _ := os.ReadFile(certPath)

	// After a restart the exported certificate is kept and still accepted (OCSP: good), and the
	// accepted message still waits for its recipient.
	p = startServe(t, cfgPath, "OWNER_SYS")
	after, _ := os.ReadFile(certPath)
	if !bytes.Equal(before, after) {
		t.Fatal("the exported certificate changed across the restart")
	}
	if again := exchange(t, p.gateway, id, "init-secret"); again.answer == nil {
		t.Fatalf("the certificate exported before the restart is refused after it: %s", again.body)
	}
	if _, health := get(t, p.gateway+"/healthz"); !strings.Contains(health, "async store: ok messages: 1 ON_DELIVERY") {
		t.Fatalf("the message accepted before the restart is not in the store:\n%s", health)
	}
	p.stop(t)

	// --key-algorithm overrides the file and reissues every certificate with the other key.
	p = startServe(t, cfgPath, "OWNER_SYS", "--key-algorithm", "ecdsa-p256")
	if ec, err := pki.LoadIdentity(certPath, keyPath); err != nil || p.startup["key algorithm"] != "ECDSA P-256" {
		t.Fatalf("%v; key algorithm listed %q", err, p.startup["key algorithm"])
	} else if _, ok := ec.Key.(*ecdsa.PrivateKey); !ok {
		t.Fatalf("--key-algorithm ecdsa-p256 exported a %T key", ec.Key)
	}
	p.stop(t)
}

func TestServeRefusesAnUnknownKeyAlgorithm(t *testing.T) {
	var stdout, stderr bytes.Buffer
	// A value taken by mistake would start the gateway: the deadline stops it, and the check fails.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code := run(ctx, []string{"serve", "--config", "../../fixtures/shep/shepconf.example.yaml", "--key-algorithm", "gost"}, &stdout, &stderr)
	if code != exitError || !strings.Contains(stderr.String(), `--key-algorithm: key algorithm "gost" is not known: use rsa-2048`) {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

type result struct {
	body   []byte
	answer *envelope.SendMessageResponse
	fault  *envelope.Fault
}

func exchange(t *testing.T, gatewayURL string, id *pki.Identity, password string) result {
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
