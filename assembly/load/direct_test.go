package load_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/assembly/load"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/racedetect"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

const (
	directGatewayBIN = "100000000000"
	directOwnerBIN   = "100000000002"
)

// directOwner serves the reference owner on loopback as an owner system under test: its own
// certificate from the run's NCA, checking the gateway's signature (A6-S1), and returns the direct
// target that loads it.
func directOwner(t *testing.T, b owner.Behaviour, signs bool) (*owner.Owner, load.Target) {
	t.Helper()
	ca, err := nca.New("shepconf NCA")
	if err != nil {
		t.Fatal(err)
	}
	caSrv, err := ca.Serve("127.0.0.1:0") // OCSP for both sides' checks
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = caSrv.Close(context.Background()) })
	issue := func(cn, bin string) *pki.Identity {
		id, err := ca.Issue(nca.Subject{CommonName: cn, BIN: bin}, pki.ECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	checker := &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()}
	o := owner.New("AGENCY_OWNER")
	o.Checker, o.GatewayID = checker, directGatewayBIN
	if signs {
		o.Identity = issue("AGENCY_OWNER", directOwnerBIN)
	}
	o.Handle("LOAD_SERVICE", b)
	srv, err := server.Start("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	target, err := load.DirectTarget(load.Hop{
		Owner:   load.System{ID: "AGENCY_OWNER", BIN: directOwnerBIN, Endpoint: srv.URL() + "/sync"},
		Gateway: issue("SHEP gateway", directGatewayBIN), Checker: checker, SenderID: "LOAD_INITIATOR_SYS", ServiceID: "LOAD_SERVICE"})
	if err != nil {
		t.Fatal(err)
	}
	return o, target
}

func runDirect(t *testing.T, target load.Target, scale float64) load.Result {
	t.Helper()
	r, err := load.Run(context.Background(), target, shortPeak, rule.ScaledLimits(scale), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return r
}

// A direct load reaches the owner as the gateway forwards a request (its sessionId, no password,
// the gateway's signature, which the owner checks), judges the owner's times it measured itself,
// and leaves acceptance, the gateway's, unjudged.
func TestDirectPeakPasses(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("judges timing at 1/100 of the Rules' limits: under -race the detector's slowdown, not the owner, would miss them")
	}
	o, target := directOwner(t, owner.Behaviour{}, true)
	r := runDirect(t, target, scale)
	if !r.Passed() || !r.Direct || r.Owner.Count != int(r.Metrics.Requests) || r.Metrics.Requests < shortPeak.Requests() {
		t.Fatalf("%+v faults %v", r.Verdicts, r.Faults)
	}
	if v := verdict(r, "R-47"); v.Rule != "" || len(r.NotJudged) != 1 || r.NotJudged[0].Rule != "R-47" {
		t.Fatalf("R-47 judged without a gateway: %+v, not judged %+v", v, r.NotJudged)
	}
	if there, all := r.Routed(target.URL); there != len(r.Samples) || all != there {
		t.Fatalf("%d of %d requests reached the owner", there, len(r.Samples))
	}
	received := o.Received()
	if len(received) != len(r.Samples) {
		t.Fatalf("the owner received %d requests, the load sent %d", len(received), len(r.Samples))
	}
	for _, x := range received {
		info := x.Request.Request.RequestInfo
		if x.Err != nil || info.SessionID == "" || info.Sender.Password != "" || x.Signature.Certificate.BIN != directGatewayBIN {
			t.Fatalf("the owner received %+v (signature %+v): %v", info, x.Signature.Certificate, x.Err)
		}
	}
}

// The verdicts are the times measured: an owner answering in 11 s (Rules time) breaks the 10 s
// mean and keeps the 30 s maximum, and one answer after 31 s breaks the maximum with SCE008, as
// the gateway would have answered it.
func TestDirectSlowOwnerFails(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("judges timing at a fraction of the Rules' limits: under -race the detector's slowdown, not the owner, would miss them")
	}
	// At 1/20 of the Rules' time an 11 s answer takes 550 ms, 950 ms inside the 30 s maximum.
	_, target := directOwner(t, owner.Behaviour{Latency: 550 * time.Millisecond}, true)
	r := runDirect(t, target, 0.05)
	if v := verdict(r, "A2-T1 row 2"); v.Passed || r.Owner.Min < 550*time.Millisecond {
		t.Fatalf("a mean of 11 s passed: %+v, owner's times %+v", v, r.Owner)
	}
	if v := verdict(r, "A2-T1 row 1"); !v.Passed {
		t.Fatalf("11 s answers broke the 30 s maximum: %+v", v)
	}

	_, target = directOwner(t, owner.Behaviour{FirstLatency: 310 * time.Millisecond}, true) // one 31 s answer
	r = runDirect(t, target, scale)
	if v := verdict(r, "A2-T1 row 1"); v.Passed || r.Faults["SCE008"] != 1 {
		t.Fatalf("a 31 s answer passed the maximum: %+v, faults %v", v, r.Faults)
	}
}

// The owner's answers are checked as the gateway checks them: an unsigned answer is refused
// and the run has errors.
func TestDirectRefusesAnUnsignedAnswer(t *testing.T) {
	_, target := directOwner(t, owner.Behaviour{}, false)
	r := runDirect(t, target, 1)
	if v := verdict(r, "A2-T2"); v.Passed || r.Faults[envelope.SCE007.ID] != len(r.Samples) || len(r.Samples) == 0 {
		t.Fatalf("unsigned answers taken: %+v, faults %v", v, r.Faults)
	}
}

// A load that cannot keep its rate proves nothing at that rate: with two requests in flight and
// an owner taking 100 ms, 33 requests planned in a second are not all sent, and A2-T2 fails
// although none failed.
func TestALoadBehindItsRateFailsA2T2(t *testing.T) {
	_, target := directOwner(t, owner.Behaviour{Latency: 100 * time.Millisecond}, true)
	target.Workers = 2
	r := runDirect(t, target, 1)
	v := verdict(r, "A2-T2")
	if v.Passed || r.Metrics.Requests >= shortPeak.Requests()*9/10 || !strings.Contains(v.Measured.String(), "fell behind") {
		t.Fatalf("%d of %d sent: %+v", r.Metrics.Requests, shortPeak.Requests(), v)
	}
	for _, s := range r.Samples {
		if !s.OK() {
			t.Fatalf("a request failed: %+v", s)
		}
	}
}
