package gateway_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/gateway"
	"github.com/shepconf/shepconf/simulators/owner"
)

type rig struct {
	journal   *journal.Journal
	gateway   *server.Server
	owner     *owner.Owner
	ownerURL  string
	initiator *owner.Initiator
}

// newRig starts a real gateway, a reference owner serving "S1" and an initiator granted access.
func newRig(tb testing.TB, limits rule.Limits) *rig {
	tb.Helper()
	j, err := journal.Open(filepath.Join(tb.TempDir(), "journal.sqlite"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { j.Close() })
	o := owner.New("IS-OWNER")
	osrv, err := server.Start("127.0.0.1:0", o)
	if err != nil {
		tb.Fatal(err)
	}
	reg := gateway.NewRegistry()
	reg.AddSystem(gateway.System{ID: "IS-A", Password: "pw"})
	reg.AddSystem(gateway.System{ID: "IS-OWNER", Password: "pw2"})
	reg.AddService(gateway.Service{ID: "S1", Owner: "IS-OWNER", Endpoint: osrv.URL() + "/sync"})
	reg.Grant("S1", "IS-A")
	gw, err := gateway.New(reg, j, gateway.WithLimits(limits))
	if err != nil {
		tb.Fatal(err)
	}
	gsrv, err := server.Start("127.0.0.1:0", gw.Handler())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx := context.Background()
		gsrv.Close(ctx)
		osrv.Close(ctx)
	})
	return &rig{journal: j, gateway: gsrv, owner: o, ownerURL: osrv.URL(),
		initiator: &owner.Initiator{SystemID: "IS-A", Password: "pw", Gateway: gsrv.URL()}}
}

func (r *rig) send(tb testing.TB, serviceID string) (*envelope.SendMessageResponse, *envelope.Fault) {
	b, err := envelope.Marshal(r.initiator.Request(serviceID, envelope.StringData("ping")))
	if err != nil {
		tb.Fatal(err)
	}
	resp, fault, err := r.initiator.Send(context.Background(), b).Answer()
	if err != nil {
		tb.Fatal(err)
	}
	return resp, fault
}

func TestRoutesAndJournals(t *testing.T) {
	r := newRig(t, rule.RulesLimits())
	resp, fault := r.send(t, "S1")
	if fault != nil {
		t.Fatalf("fault %v", fault)
	}
	info := resp.Response.ResponseInfo
	if info.SessionID == "" || resp.Response.ResponseData.Text() != "ping" {
		t.Fatalf("answer %+v", resp.Response)
	}
	got := r.owner.Received()
	if len(got) != 1 || got[0].Request.Request.RequestInfo.Sender.Password != "" {
		t.Fatalf("the owner must get the request without the sender's password (R-53): %+v", got)
	}
	x, err := r.journal.Exchange(context.Background(), info.SessionID)
	if err != nil || x.Outcome != journal.Answered || x.SentToOwner.IsZero() {
		t.Fatalf("%+v %v", x, err)
	}
}

func TestSlowOwnerBreaksSyncLimit(t *testing.T) {
	r := newRig(t, rule.ScaledLimits(0.001)) // 30 s becomes 30 ms
	r.owner.Handle("S1", owner.Behaviour{Latency: 100 * time.Millisecond})
	_, fault := r.send(t, "S1")
	if fault == nil || fault.Detail.ErrorCode != envelope.SCE008.ID {
		t.Fatalf("a slow owner must get SCE008 (A2-T1), got %+v", fault)
	}
	if _, fault := r.send(t, "NOPE"); fault == nil || fault.Detail.ErrorCode != envelope.SCE004.ID {
		t.Fatalf("unknown service must get SCE004 (R-6), got %+v", fault)
	}
}

// BenchmarkGatewayRoundTrip measures one synchronous exchange through the gateway (schema check,
// journal with fsync, routing, answer check). The metric gateway-ms/op is the gateway's own share,
// as its journal measured it; compare with BenchmarkDirectOwner for the cost of the extra hop.
func BenchmarkGatewayRoundTrip(b *testing.B) {
	r := newRig(b, rule.RulesLimits())
	var gatewayTime time.Duration
	for b.Loop() {
		resp, fault := r.send(b, "S1")
		if fault != nil {
			b.Fatal(fault)
		}
		x, err := r.journal.Exchange(context.Background(), resp.Response.ResponseInfo.SessionID)
		if err != nil {
			b.Fatal(err)
		}
		gatewayTime += x.GatewayTime()
	}
	b.ReportMetric(float64(gatewayTime.Microseconds())/1000/float64(b.N), "gateway-ms/op")
}

func BenchmarkDirectOwner(b *testing.B) {
	r := newRig(b, rule.RulesLimits())
	direct := &owner.Initiator{SystemID: "IS-A", Gateway: r.ownerURL + "/sync"}
	for b.Loop() {
		body, err := envelope.Marshal(direct.Request("S1", envelope.StringData("ping")))
		if err != nil {
			b.Fatal(err)
		}
		x := direct.Send(context.Background(), body)
		if _, fault, err := x.Answer(); err != nil || fault != nil {
			b.Fatal(err, fault)
		}
	}
}
