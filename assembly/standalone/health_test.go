package standalone

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// /healthz reports the gateway's load, and answers 503 "saturated" while every exchange slot is
// taken: a balancer or an operator sees the gateway full before its clients are refused.
func TestHealthReportsSaturation(t *testing.T) {
	b := newBench(t, "ecdsa-p256") // the cheaper key: the test signs MaxInFlight messages
	// Every client of the test is 127.0.0.1: the per-client cap must not stop it filling the slots.
	b.cfg.Listen.ConnsPerClient = 2 * gateway.MaxInFlight
	b.start()
	defer b.stop()
	status, body := get(t, b.s.GatewayURL()+HealthPath)
	if status != http.StatusOK || !strings.Contains(body, "capacity: ok 0/256 exchanges in flight") {
		t.Fatalf("an idle gateway's health: HTTP %d\n%s", status, body)
	}

	// Fill every slot with a legitimate exchange that the owner holds.
	b.s.Owners["OWNER_SYS"].Handle("TEST_SERVICE_ID", owner.Behaviour{Hang: true})
	id := b.identity("INITIATOR_SYS")
	in := &owner.Initiator{SystemID: "INITIATOR_SYS", Password: "init-secret", Gateway: b.s.GatewayURL(), Identity: id,
		HTTP: &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: gateway.MaxInFlight}}}
	bodies := make([][]byte, gateway.MaxInFlight)
	for i := range bodies {
		body, err := envelope.Marshal(in.Request("TEST_SERVICE_ID", envelope.StringData("<q>hold</q>")))
		if err == nil {
			body, err = xsig.Sign(body, id)
		}
		if err != nil {
			t.Fatal(err)
		}
		bodies[i] = body
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // the clients give up: the gateway frees its slots
	for _, body := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.Send(ctx, body)
		}()
	}
	eventually(t, "health reports the gateway saturated", func() bool {
		status, body = get(t, b.s.GatewayURL()+HealthPath)
		return status == http.StatusServiceUnavailable
	})
	if !strings.HasPrefix(body, "saturated\n") || !strings.Contains(body, "capacity: saturated 256/256 exchanges in flight") {
		t.Fatalf("a saturated gateway's health:\n%s", body)
	}
	t.Logf("saturated:\n%s", body)
}

// serve caps the connections of one client address (listen.connsPerClient): the one beyond the cap
// is closed at once, and /healthz counts it.
func TestServeCapsConnectionsPerClient(t *testing.T) {
	b := newBench(t, "ecdsa-p256")
	b.cfg.Listen.ConnsPerClient = 2
	b.start()
	defer b.stop()
	addr := strings.TrimPrefix(b.s.GatewayURL(), "http://")
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	eventually(t, "a connection refused by the per-client cap", func() bool {
		return b.s.gatewaySrv.Stats().Refused > 0
	})
}
