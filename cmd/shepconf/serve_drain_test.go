package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
)

// SIGTERM drains serve within a bounded time and exits 0, however many clients are connected
// without an exchange in flight: idle kept-alive connections, silent ones, and clients trickling
// their headers or their body, over HTTP and HTTPS.
func TestServeDrainsSlowClientsOnSIGTERM(t *testing.T) {
	cfgPath, _ := serveConfig(t)
	p := startServe(t, cfgPath, "OWNER_SYS")
	plain := strings.TrimPrefix(p.gateway, "http://")
	u, err := url.Parse(p.startup["gateway https"])
	if err != nil {
		t.Fatal(err)
	}
	secure := u.Host

	const each = 5 // of every kind, on each listener
	dials := map[string]func() (net.Conn, error){
		"http": func() (net.Conn, error) { return net.Dial("tcp", plain) },
		"https": func() (net.Conn, error) {
			return tls.Dial("tcp", secure, &tls.Config{InsecureSkipVerify: true})
		},
	}
	kinds := map[string]string{
		"silent":          "",
		"slow headers":    "POST " + envelope.SyncPath + " HTTP/1.1\r\nHost: x\r\n",
		"slow body":       "POST " + envelope.SyncPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n<",
		"idle keep-alive": "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for listener, dial := range dials {
		for kind, send := range kinds {
			for range each {
				c, err := dial()
				if err != nil {
					t.Fatalf("%s %s: %v", listener, kind, err)
				}
				conns = append(conns, c)
				if _, err := io.WriteString(c, send); err != nil {
					t.Fatalf("%s %s: %v", listener, kind, err)
				}
			}
		}
	}
	// The kept-alive clients have their answers; the others are where they stay until cut.
	time.Sleep(500 * time.Millisecond)
	if code, body := get(t, p.gateway+"/healthz"); code != http.StatusOK {
		t.Fatalf("health before the drain: %d\n%s", code, body)
	}

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Well under the 30 s an exchange in flight may take (A2-T1); generous against a busy machine.
	const bound = 15 * time.Second
	select {
	case err := <-p.done:
		took := time.Since(start)
		t.Logf("serve exited %v after SIGTERM with %d clients connected", took.Round(time.Millisecond), len(conns))
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM:\n%s", err, p.out)
		}
		if took > bound {
			t.Fatalf("serve took %v to drain clients that had no exchange in flight", took)
		}
	case <-time.After(bound + 30*time.Second):
		t.Fatalf("serve still running %v after SIGTERM", bound+30*time.Second)
	}
	if !strings.Contains(p.out.String(), "stopped") {
		t.Fatalf("serve did not report a graceful stop:\n%s", p.out)
	}
}
