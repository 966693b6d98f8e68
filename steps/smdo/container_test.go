package smdo_test

import (
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/dockertest"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps/smdo"
	"github.com/shepconf/shepconf/steps/stepstest"
)

// TestSMDORunCertifiesASEDInAContainer certifies the sample agency system's СЭД in its container
// image, as an agency's image is certified: the harness issues its certificate, registers it for
// the system's subscriber in the router and triggers the container, which runs its threads at the
// periods the harness gives it. The conforming image is CONFORMANT and no demonstration, with the
// image's ID in run.json and its logs beside the reports; the same image with a defect is NOT
// CONFORMANT, naming the rule it breaks.
func TestSMDORunCertifiesASEDInAContainer(t *testing.T) {
	dockertest.RequireEngine(t)
	const image = "shepconf-sample-agency:smdo-test"
	dockertest.BuildImage(t, "./cmd/sample-agency", "sample-agency-linux-static", "cmd/sample-agency/Dockerfile", image)

	cases := []struct {
		name, tags string
		sut        smdo.SUT
		verdict    string
		failure    string
	}{
		{name: "conforming in both roles", tags: "@SMDO-ACK && @SMDO-CONFIRM,@SMDO-RECEIPT",
			sut: smdo.SUT{Container: sut.AgencyImage{Image: image, Health: "/healthz"}}, verdict: reports.Conformant},
		{name: "a defect given through the container's environment", tags: "@SMDO-CONFIRM && @SMDO-ACK",
			sut:     smdo.SUT{Container: sut.AgencyImage{Image: image, Health: "/healthz", Env: map[string]string{"SHEPCONF_DEFECTS": "no-confirm"}}},
			verdict: reports.NotConformant, failure: "breaks SMDO-CONFIRM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, feats := run(t, smdo.Options{Tags: c.tags, SUT: c.sut})
			stepstest.Verdict(t, res, feats, c.verdict, c.failure)
			stepstest.ContainerRecorded(t, res, image, smdo.SUTLogFile, "sample СЭД listening")
		})
	}
}
