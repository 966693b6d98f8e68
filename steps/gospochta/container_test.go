package gospochta_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/dockertest"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
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
			if res.Summary.Verdict != c.verdict || res.Summary.Scenarios == 0 {
				t.Fatalf("verdict %s, %d of %d passed; want %s\n%s", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios,
					c.verdict, stepstest.Failures(feats))
			}
			if c.failure != "" && !strings.Contains(stepstest.Failures(feats), c.failure) {
				t.Errorf("no failure says %q; failures:\n%s", c.failure, stepstest.Failures(feats))
			}
			dir := filepath.Dir(res.Report)
			raw, err := os.ReadFile(filepath.Join(dir, steps.RunFile))
			if err != nil {
				t.Fatal(err)
			}
			var info steps.RunInfo
			if err := json.Unmarshal(raw, &info); err != nil {
				t.Fatal(err)
			}
			if s := info.SUT; s.Demonstration || s.Kind != sut.Container || s.Image != image || !strings.HasPrefix(s.Digest, "sha256:") {
				t.Errorf("run.json names the system under test as %+v, want the container of %s with its image ID", s, image)
			}
			logs, err := os.ReadFile(filepath.Join(dir, gospochta.SUTLogFile))
			if err != nil || !strings.Contains(string(logs), "sample Gospochta system listening") || !strings.Contains(string(logs), "trigger") {
				t.Errorf("the container's logs are not kept beside the reports (%v):\n%s", err, logs)
			}
		})
	}
}
