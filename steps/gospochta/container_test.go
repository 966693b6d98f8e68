package gospochta_test

import (
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/dockertest"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps/gospochta"
	"github.com/shepconf/shepconf/steps/stepstest"
)

// TestGospochtaRunCertifiesASystemInAContainer certifies the sample agency system in its container
// image, as an agency's image is certified: the harness issues its certificate, registers it in
// each scenario's ESIA and Gospochta and triggers the container, which takes Gospochta's pushes at
// the address it is triggered at. The conforming image is CONFORMANT and no demonstration, with
// the image's ID in run.json and its logs beside the reports; the same image with a defect is NOT
// CONFORMANT, naming the rule it breaks.
func TestGospochtaRunCertifiesASystemInAContainer(t *testing.T) {
	dockertest.RequireEngine(t)
	const image = "shepconf-sample-agency:gospochta-test"
	dockertest.BuildImage(t, "./cmd/sample-agency", "sample-agency-linux-static", "cmd/sample-agency/Dockerfile", image)

	cases := []struct {
		name, tags string
		sut        gospochta.SUT
		verdict    string
		failure    string
	}{
		{name: "conforming in both roles", tags: "@GP-W-STATES,@GP-R-LEGAL",
			sut: gospochta.SUT{Container: sut.AgencyImage{Image: image, Health: "/healthz"}}, verdict: reports.Conformant},
		{name: "a defect given through the container's environment", tags: "@GP-W-STATES",
			sut:     gospochta.SUT{Container: sut.AgencyImage{Image: image, Health: "/healthz", Env: map[string]string{"SHEPCONF_DEFECTS": "bad-hmac"}}},
			verdict: reports.NotConformant, failure: "breaks GP-W-STATES"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, feats := run(t, gospochta.Options{Tags: c.tags, SUT: c.sut})
			stepstest.Verdict(t, res, feats, c.verdict, c.failure)
			stepstest.ContainerRecorded(t, res, image, gospochta.SUTLogFile, "sample Gospochta system listening")
		})
	}
}
