package gateway_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// The portal grants access during a run while the gateway serves requests: granting
// must not race with the handlers reading the service (run with -race).
func TestRegistryGrantWhileServing(t *testing.T) {
	r, reg := registryRig(t, ":memory:")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := fmt.Sprint("IS-NEW-", i)
			reg.AddSystem(gateway.System{ID: id, Password: "pw"})
			reg.Grant("S1", id)
		}
	}()
	for range 20 {
		if _, fault := r.send(t, "S1"); fault != nil {
			t.Errorf("fault while access is granted to others: %+v", fault.Detail)
		}
	}
	close(stop)
	wg.Wait()
}

// What the registry hands out is a copy: changing it does not change the registry, and a grant does
// not change a copy handed out before.
func TestRegistryHandsOutCopies(t *testing.T) {
	reg := gateway.NewRegistry()
	routes := map[string]string{"r1": "http://a"}
	reg.AddService(gateway.Service{ID: "S1", Owner: "O", Routes: routes})
	routes["r2"] = "http://evil" // the caller's map stays the caller's
	before, _ := reg.Service("S1")
	reg.Grant("S1", "IS-A")
	if before.Granted["IS-A"] {
		t.Error("a grant changed a copy handed out before it")
	}
	before.Granted["IS-B"] = true
	before.Routes["r3"] = "http://evil"
	after, _ := reg.Service("S1")
	if !after.Granted["IS-A"] || after.Granted["IS-B"] || len(after.Routes) != 1 {
		t.Errorf("the registry's service changed through a copy: granted %v routes %v", after.Granted, after.Routes)
	}
}

// registryRig is newRig with the registry and the journal's path in the test's hands.
func registryRig(t *testing.T, journalPath string) (*rig, *gateway.Registry) {
	t.Helper()
	j, err := journal.Open(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	osrv, err := server.Start("127.0.0.1:0", owner.New("IS-OWNER"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { osrv.Close(context.Background()) })
	reg := gateway.NewRegistry()
	reg.AddSystem(gateway.System{ID: "IS-A", Password: "pw"})
	reg.AddSystem(gateway.System{ID: "IS-OWNER", Password: "pw2"})
	reg.AddService(gateway.Service{ID: "S1", Owner: "IS-OWNER", Endpoint: osrv.URL() + "/sync"})
	reg.Grant("S1", "IS-A")
	gw, err := gateway.New(reg, j, gateway.WithLimits(rule.RulesLimits()))
	if err != nil {
		t.Fatal(err)
	}
	gsrv, err := server.Start("127.0.0.1:0", gw.Handler())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gsrv.Close(context.Background()) })
	r := &rig{journal: j, initiator: &owner.Initiator{SystemID: "IS-A", Password: "pw", Gateway: gsrv.URL()}}
	return r, reg
}
