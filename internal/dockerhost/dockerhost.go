// Package dockerhost prepares testcontainers-go for the machine the harness runs on.
package dockerhost

import (
	"net"
	"os"
)

// UseLocal prepares testcontainers-go for this machine: the reaper (Ryuk) is turned off,
// being an image from a registry that may be unreachable (what is started is terminated by its
// starter), and published ports are looked for on localhost when the Docker daemon runs in this
// network namespace (a docker0 bridge is here). Inside a container, testcontainers-go otherwise
// assumes the daemon is on the default gateway. Settings already in the environment are kept.
func UseLocal() {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		_ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") != "" {
		return
	}
	if _, err := net.InterfaceByName("docker0"); err == nil {
		_ = os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "localhost")
	}
}
