package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// slowSenders opens n connections to the gateway's synchronous channel that announce a body and
// then send it one byte a second: the classic slow-body attack. Stop closes them.
type slowSenders struct {
	conns []net.Conn
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startSlowSenders(t testing.TB, gatewayURL string, n int) *slowSenders {
	t.Helper()
	u, err := url.Parse(gatewayURL)
	if err != nil {
		t.Fatal(err)
	}
	s := &slowSenders{stop: make(chan struct{})}
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml; charset=utf-8\r\n"+
		"SOAPAction: \"\"\r\nContent-Length: 100000\r\n\r\n<", envelope.SyncPath, u.Host)
	for range n {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			s.Stop()
			t.Fatalf("slow sender %d: %v", len(s.conns), err)
		}
		if _, err := c.Write([]byte(head)); err != nil {
			s.Stop()
			t.Fatalf("slow sender %d: %v", len(s.conns), err)
		}
		s.conns = append(s.conns, c)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-s.stop:
					return
				case <-tick.C:
					if _, err := c.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		}()
	}
	// Give the gateway time to read every request's headers and hand it to its handler.
	time.Sleep(time.Second)
	return s
}

func (s *slowSenders) Stop() {
	close(s.stop)
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.wg.Wait()
}

// signedRequest is a new signed synchronous message of the testbed's initiator.
func signedRequest(t testing.TB, bed *testbed.Bed) []byte {
	t.Helper()
	b, err := envelope.Marshal(bed.Initiator.Request(testbed.ServiceID, envelope.StringData("legitimate")))
	if err == nil {
		b, err = bed.Initiator.Sign(b)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Slow senders cost the gateway a connection and a goroutine each, never one of its MaxInFlight
// exchange slots: the slot is taken once the whole body has arrived, so 256 connections trickling
// their bodies do not keep a legitimate message from being served.
func TestSlowSendersHoldNoSlot(t *testing.T) {
	bed, err := testbed.Start(testbed.Options{Limits: rule.RulesLimits(), JournalPath: filepath.Join(t.TempDir(), "journal.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close(context.Background())
	slow := startSlowSenders(t, bed.Gateway.URL(), 256)
	defer slow.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	x := bed.Initiator.Send(ctx, signedRequest(t, bed))
	elapsed := time.Since(start)
	if x.Err != nil {
		t.Fatalf("a legitimate message got no answer while 256 slow senders were connected: %v", x.Err)
	}
	if x.Status != http.StatusOK {
		t.Fatalf("a legitimate message was answered HTTP %d while 256 slow senders were connected: %s", x.Status, x.Response)
	}
	if _, fault, err := x.Answer(); err != nil || fault != nil {
		t.Fatalf("a legitimate message was refused while 256 slow senders were connected: %v %+v", err, fault)
	}
	t.Logf("a legitimate message served in %v beside 256 slow senders", elapsed.Round(time.Millisecond))
}

// BenchmarkServedUnderSlowSenders measures legitimate exchanges per second on a quiet gateway and
// on one that 256 slow senders are attacking, in one run, for the README:
//
//	go test ./simulators/shep/gateway/ -run '^$' -bench ServedUnderSlowSenders -benchtime 200x
func BenchmarkServedUnderSlowSenders(b *testing.B) {
	for _, attackers := range []int{0, 256} {
		b.Run(fmt.Sprintf("slow_senders=%d", attackers), func(b *testing.B) {
			bed, err := testbed.Start(testbed.Options{Limits: rule.RulesLimits(), JournalPath: filepath.Join(b.TempDir(), "journal.sqlite")})
			if err != nil {
				b.Fatal(err)
			}
			defer bed.Close(context.Background())
			if attackers > 0 {
				slow := startSlowSenders(b, bed.Gateway.URL(), attackers)
				defer slow.Stop()
			}
			bodies := make([][]byte, b.N) // each a new message: a replay would be refused
			for i := range bodies {
				bodies[i] = signedRequest(b, bed)
			}
			client := &http.Client{Timeout: time.Minute}
			refused := 0
			b.ResetTimer()
			for _, body := range bodies {
				resp, err := client.Post(bed.Gateway.URL()+envelope.SyncPath, "text/xml; charset=utf-8", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					refused++
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N-refused)/b.Elapsed().Seconds(), "served/s")
			b.ReportMetric(float64(refused), "refused")
		})
	}
}

// The gateway counts a request as reading while its body arrives and takes its slot only once the
// body is whole; Saturation reports both.
func TestCapacityCountsBodiesBeforeSlots(t *testing.T) {
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	o := owner.New("IS-OWNER")
	o.Handle("S1", owner.Behaviour{Latency: 2 * time.Second})
	osrv, err := server.Start("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	defer osrv.Close(context.Background())
	reg := gateway.NewRegistry()
	reg.AddSystem(gateway.System{ID: "IS-A", Password: "pw"})
	reg.AddSystem(gateway.System{ID: "IS-OWNER", Password: "pw2"})
	reg.AddService(gateway.Service{ID: "S1", Owner: "IS-OWNER", Endpoint: osrv.URL() + "/sync"})
	reg.Grant("S1", "IS-A")
	gw, err := gateway.New(reg, j)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Start("127.0.0.1:0", gw.Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())

	slow := startSlowSenders(t, srv.URL(), 3)
	defer slow.Stop()
	if s := gw.Saturation(); s.Reading != 3 || s.InFlight != 0 || s.Capacity != gateway.MaxInFlight || s.Full() {
		t.Fatalf("three slow senders: %+v, want 3 reading and no slot taken", s)
	}
	if st := srv.Stats(); st.Open != 3 || st.Reading != 3 {
		t.Fatalf("the listener under three slow senders: %+v", st)
	}

	// An exchange that has arrived whole holds a slot until the owner answers.
	in := &owner.Initiator{SystemID: "IS-A", Password: "pw", Gateway: srv.URL()}
	body, err := envelope.Marshal(in.Request("S1", envelope.StringData("ping")))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan owner.Exchange, 1)
	go func() { done <- in.Send(context.Background(), body) }()
	waitUntil(t, "the exchange takes a slot", func() bool { return gw.Saturation().InFlight == 1 })
	if s := gw.Saturation(); s.Reading != 3 {
		t.Fatalf("during the exchange: %+v, want the 3 slow senders still reading", s)
	}
	if x := <-done; x.Status != http.StatusOK {
		t.Fatalf("the exchange: HTTP %d %v %s", x.Status, x.Err, x.Response)
	}
	if s := gw.Saturation(); s.InFlight != 0 {
		t.Fatalf("after the exchange: %+v, want its slot given back", s)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within 10 s", what)
}
