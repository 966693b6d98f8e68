package container_test

import (
	"context"
	"fmt"

	"github.com/shepconf/shepconf/simulators/shep/gateway/container"
)

// A test suite of an agency starts the simulated gateway with its own system registered, then
// calls it with the certificate the gateway's NCA issued that system.
func ExampleRun() {
	ctx := context.Background()
	gw, err := container.Run(ctx, "shepconf:latest",
		container.WithSystem("AGENCY_SYS", "secret", "100000000001"),
		container.WithSystem("OWNER_SYS", "owner-secret", "100000000002"),
		container.WithService("TEST_SERVICE_ID", "OWNER_SYS", "reference", "AGENCY_SYS"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer gw.Terminate(ctx)
	url, _ := gw.GatewayURL(ctx)
	id, _ := gw.Identity(ctx, "AGENCY_SYS")
	fmt.Println(url+"/bip-sync-wss-gost/", id.Certificate.Subject)
}
