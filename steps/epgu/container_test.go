package epgu_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	epguassembly "github.com/shepconf/shepconf/assembly/epgu"
	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/dockertest"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps/epgu"
	"github.com/shepconf/shepconf/steps/stepstest"
)

// TestEPGURunCertifiesAClientInAContainer certifies the sample agency system's EPGU client in its
// container image, as an agency's image is certified: the harness issues its certificate, writes
// it into the container, registers it in ESIA and triggers the container. The conforming image is
// CONFORMANT and no demonstration, with the image's ID in run.json and its logs beside the
// reports, through its HTTP trigger and through a command run inside it; the same image with a
// defect is NOT CONFORMANT, naming the rule it breaks.
func TestEPGURunCertifiesAClientInAContainer(t *testing.T) {
	dockertest.RequireEngine(t)
	const image = "shepconf-sample-agency:epgu-test"
	dockertest.BuildImage(t, "./cmd/sample-agency", "sample-agency-linux-static", "cmd/sample-agency/Dockerfile", image)

	port := freePort(t)
	cases := []struct {
		name, tags string
		sut        epgu.SUT
		verdict    string
		trigger    string // what run.json names the trigger
		failure    string // what a failure must say
	}{
		// A citizen's sign-in too: ESIA sends the browser back to the callback the image serves on
		// its port, registered as its redirect_uri.
		{name: "conforming through its HTTP trigger", tags: "@ESIA-B12,@ESIA-OAUTH && ~@EPGU-A4",
			sut: epgu.SUT{Image: image, Health: "/healthz", Port: port,
				RedirectURIs: []string{fmt.Sprintf("http://127.0.0.1:%d%s", port, epguassembly.CallbackPath)}},
			verdict: reports.Conformant, trigger: "/trigger"},
		{name: "conforming through a command in the container", tags: "@ESIA-B12 && ~@EPGU-A4",
			sut:     epgu.SUT{Image: image, Health: "/healthz", ImageTrigger: sut.Trigger{Command: []string{"/sample-agency", "trigger", "{request}"}}},
			verdict: reports.Conformant, trigger: "in the container"},
		{name: "a defect given through the container's environment", tags: "@WALK-SIG",
			sut:     epgu.SUT{Image: image, Health: "/healthz", Env: map[string]string{"SHEPCONF_DEFECTS": "no-sig"}},
			verdict: reports.NotConformant, trigger: "/trigger", failure: "breaks WALK-SIG"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, feats := run(t, epgu.Options{Tags: c.tags, SUT: c.sut})
			stepstest.Verdict(t, res, feats, c.verdict, c.failure)
			s := stepstest.ContainerRecorded(t, res, image, epgu.SUTLogFile, "sample EPGU client listening")
			if !strings.Contains(s.Trigger, c.trigger) || !strings.Contains(s.Describe.String(), image) {
				t.Errorf("run.json names the system under test as %+v, want it triggered by %q and described with its image %s", s, c.trigger, image)
			}
		})
	}
}

// freePort is a port free on the loopback now, for a container whose redirect_uri must be known
// before it starts.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
