package shep_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/racedetect"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps/shep"
)

// The @load scenarios of the sync-owner role load the system under test (in a demonstration, the
// in-process sample agency system) and judge its times; the journal shows every request went to it.

// loadKey is the key of the load tests: what they judge is the owner under load, and ECDSA keeps
// the harness's own signing cost low on a shared two-core machine (make conformance loads with RSA).
const loadKey = pki.ECDSAP256

func TestLoadJudgesTheOwnerUnderTest(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("judges timing at 1/100 of the Rules' limits: under -race the detector's slowdown, not the gateway, would miss them")
	}
	res, status := runStatuses(t, shep.Options{Tags: "@load && " + sut.SyncOwner.Tag(), KeyAlgorithm: loadKey})
	if res.Summary.Verdict != reports.Conformant || len(status) != 2 {
		t.Fatalf("verdict %s, scenarios %v", res.Summary.Verdict, status)
	}
	for name, st := range status {
		if st != "passed" {
			t.Errorf("%s: %s", name, st)
		}
	}
	for _, r := range res.Info.Roles {
		if r.Role == string(sut.SyncOwner) && (r.Passed != 2 || !slices.Contains(r.Services, testbed.ServiceID)) {
			t.Errorf("sync-owner role: %+v", r)
		}
	}
}

// An owner under test that answers HTTP 503 fails both load scenarios of its role, the failing
// check naming A2-T2; the negative cases on the reference owner are not its role's and still pass.
func TestLoadFailsAnUnavailableOwnerUnderTest(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("judges timing at 1/100 of the Rules' limits: under -race the detector's slowdown, not the gateway, would miss them")
	}
	res, status := runStatuses(t, shep.Options{Tags: "@load && ~@R-46", SUT: sut.Config{Defects: []string{"unavailable"}}, KeyAlgorithm: loadKey})
	feats, err := reports.ReadCucumber(res.Cucumber)
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]string{}
	for _, f := range feats {
		for _, s := range f.Scenarios {
			for _, st := range s.Steps {
				if st.Result.Status == "failed" {
					failed[s.Name] = st.Result.Error
				}
			}
		}
	}
	for name, st := range status {
		role := strings.HasPrefix(name, "The owner system under test")
		switch {
		case role && (st != "failed" || !strings.Contains(failed[name], "A2-T2")):
			t.Errorf("%s: %s, %q; want failed naming A2-T2", name, st, failed[name])
		case !role && st != "passed":
			t.Errorf("%s: %s (%s); the reference owner's scenarios do not meet the system under test", name, st, failed[name])
		}
	}
	if len(status) != 4 {
		t.Errorf("scenarios %v, want the 2 of the role and the 2 negative cases", status)
	}
}
