package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/server"
)

// serverTLS is a TLS configuration with a throw-away certificate (httptest's own).
func serverTLS(t *testing.T) *tls.Config {
	t.Helper()
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	cert := ts.TLS.Certificates[0]
	ts.Close()
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// listener is what each case starts: the same limits over HTTP and over HTTPS.
type listener struct {
	name string
	url  string
	dial func(t *testing.T) net.Conn
	stop func()
}

func startBoth(t *testing.T, h http.Handler, opts ...server.Option) []listener {
	t.Helper()
	plain, err := server.Start("127.0.0.1:0", h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	secure, err := server.StartTLS("127.0.0.1:0", h, serverTLS(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	closeNow := func(s *server.Server) func() {
		return func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = s.Close(ctx)
		}
	}
	ls := []listener{
		{"http", plain.URL(), func(t *testing.T) net.Conn {
			c, err := net.Dial("tcp", plain.Addr())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, closeNow(plain)},
		{"https", secure.URL(), func(t *testing.T) net.Conn {
			c, err := tls.Dial("tcp", secure.Addr(), &tls.Config{InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, closeNow(secure.Server)},
	}
	t.Cleanup(func() {
		for _, l := range ls {
			l.stop()
		}
	})
	return ls
}

// answer reads what the server sends back on c, up to the first line; an empty line and io.EOF
// mean the server closed the connection without answering.
func firstLine(c net.Conn, within time.Duration) (string, error) {
	_ = c.SetReadDeadline(time.Now().Add(within))
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	_, _ = io.WriteString(w, "ok")
})

// A request whose headers exceed the limit is answered 431 on every listener, HTTPS included.
func TestHeaderSizeLimit(t *testing.T) {
	for _, l := range startBoth(t, ok) {
		t.Run(l.name, func(t *testing.T) {
			c := l.dial(t)
			defer c.Close()
			big := strings.Repeat("a", server.DefaultLimits().MaxHeaderBytes+8<<10)
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Padding: %s\r\n\r\n", big)
			line, err := firstLine(c, 10*time.Second)
			if !strings.Contains(line, "431") {
				t.Fatalf("headers of %d bytes: answered %q (%v), want 431", len(big), line, err)
			}
		})
	}
}

// short are limits a test can wait out.
func short() server.Limits {
	l := server.DefaultLimits()
	l.ReadHeaderTimeout, l.ReadTimeout, l.WriteTimeout, l.IdleTimeout = 300*time.Millisecond, 600*time.Millisecond, 2*time.Second, 600*time.Millisecond
	return l
}

// A connection that falls silent is closed by the server once its deadline has passed, at every
// stage: before its headers, in the middle of its body, and idle between requests.
func TestSilentConnectionsAreClosed(t *testing.T) {
	stages := []struct {
		name string
		send string
	}{
		{"before its headers", "POST / HTTP/1.1\r\nHost: x\r\n"},
		{"in the middle of its body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf"},
		{"idle after an answer", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
	}
	for _, l := range startBoth(t, ok, server.WithLimits(short())) {
		for _, st := range stages {
			t.Run(l.name+" "+st.name, func(t *testing.T) {
				c := l.dial(t)
				defer c.Close()
				if _, err := io.WriteString(c, st.send); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				_ = c.SetReadDeadline(start.Add(10 * time.Second))
				_, err := io.Copy(io.Discard, c) // an answer, if any, then the close
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatalf("the server still holds a connection silent for %v", time.Since(start).Round(time.Millisecond))
				}
				t.Logf("closed after %v", time.Since(start).Round(time.Millisecond))
			})
		}
	}
}

// One client holds at most ConnsPerClient connections: the next one is closed at once, and
// counted; once the client has closed one, it connects again.
func TestConnectionsPerClientAreCapped(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	hold := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = io.WriteString(w, "ok")
	})
	srv, err := server.Start("127.0.0.1:0", hold, server.ConnsPerClient(2))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	defer once.Do(func() { close(release) }) // before Close, which waits for the held exchanges
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		held = append(held, c)
	}
	waitFor(t, "two connections open", func() bool { return srv.Stats().Open == 2 })

	third, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	fmt.Fprint(third, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if line, err := firstLine(third, 5*time.Second); line != "" || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		t.Fatalf("a third connection of the same client was served: %q %v", line, err)
	}
	if st := srv.Stats(); st.Refused != 1 || st.Open != 2 {
		t.Fatalf("stats after one refusal: %+v", st)
	}

	once.Do(func() { close(release) })
	for _, c := range held {
		if line, err := firstLine(c, 5*time.Second); !strings.Contains(line, "200") {
			t.Fatalf("a held connection was not answered: %q %v", line, err)
		}
		c.Close()
	}
	waitFor(t, "the held connections closed", func() bool { return srv.Stats().Open == 0 })
	resp, err := http.Get(srv.URL())
	if err != nil {
		t.Fatalf("the client cannot connect again after closing its connections: %v", err)
	}
	resp.Body.Close()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within 10 s", what)
}

// Close drains without waiting for clients that are not in an exchange: idle connections, a
// connection that never sent its headers, one that trickles them and one that trickles its body
// are all closed at once, while the exchange in flight is finished and answered.
func TestCloseDoesNotWaitForSlowClients(t *testing.T) {
	started := make(chan struct{}, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/exchange" {
			started <- struct{}{}
			time.Sleep(500 * time.Millisecond)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "finished")
	})
	for _, l := range startBoth(t, h) {
		t.Run(l.name, func(t *testing.T) {
			srv := l
			idle := l.dial(t)
			defer idle.Close()
			fmt.Fprint(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if line, err := firstLine(idle, 5*time.Second); !strings.Contains(line, "200") {
				t.Fatalf("idle connection's first answer: %q %v", line, err)
			}
			silent := l.dial(t)
			defer silent.Close()
			headers := l.dial(t)
			defer headers.Close()
			fmt.Fprint(headers, "POST / HTTP/1.1\r\nHost: x\r\n")
			body := l.dial(t)
			defer body.Close()
			fmt.Fprint(body, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")

			exchange := l.dial(t)
			defer exchange.Close()
			fmt.Fprint(exchange, "GET /exchange HTTP/1.1\r\nHost: x\r\n\r\n")
			<-started

			begin := time.Now()
			srv.stop()
			took := time.Since(begin)
			t.Logf("Close took %v", took.Round(time.Millisecond))
			if line, err := firstLine(exchange, 5*time.Second); !strings.Contains(line, "200") {
				t.Fatalf("the exchange in flight was not finished: %q %v", line, err)
			}
			// Well under the 10 s header timeout the slow clients would otherwise be given.
			if took > 5*time.Second {
				t.Fatalf("Close waited %v for clients that were not in an exchange", took)
			}
		})
	}
}
