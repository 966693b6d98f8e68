package shep_test

import (
	"slices"
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/shep"
)

// syncOwnerTags selects the sync-owner scenarios a demonstration runs (the load scenarios have
// their own test; the fault scenarios need a container).
var syncOwnerTags = sut.SyncOwner.Tag() + " && ~@load"

// The sample agency system, as it is, passes every sync-owner scenario of a demonstration, and
// run.json counts them for the role with the service it was exercised on.
func TestRoleSyncOwnerDemonstrationPasses(t *testing.T) {
	res, _ := runStatuses(t, shep.Options{Tags: syncOwnerTags})
	owner, failed, _ := roleScenarios(t, res, sut.SyncOwner)
	if res.Summary.Verdict != reports.Conformant || len(owner) == 0 {
		t.Fatalf("verdict %s, sync-owner scenarios %v, failed checks %v", res.Summary.Verdict, owner, failed)
	}
	i := slices.IndexFunc(res.Info.Roles, func(r steps.RoleResult) bool { return r.Role == string(sut.SyncOwner) })
	if i < 0 {
		t.Fatalf("run.json has no sync-owner role: %+v", res.Info.Roles)
	}
	if r := res.Info.Roles[i]; r.Passed != len(owner) || !slices.Contains(r.Services, "SUT_SERVICE") {
		t.Errorf("sync-owner in run.json: %+v, want %d passed on SUT_SERVICE", r, len(owner))
	}
}

// Each defect of the sync-owner role fails its scenarios with the rule it breaks named in a failed
// check; the defect leaves the rest-owner role of the same system passing.
func TestRoleSyncOwnerDefectsFailTheRole(t *testing.T) {
	for _, tc := range []struct {
		defect, rule string
		also         string // another role's scenarios, run alongside, which must still pass
	}{
		{"omit-response-date", "A1-T20", sut.RESTOwner.Tag()},
		{"unsigned-answer", "R-59", ""},
		{"accept-unsigned-request", "R-59", ""},
	} {
		t.Run(tc.defect, func(t *testing.T) {
			tags := syncOwnerTags
			if tc.also != "" {
				tags = sut.SyncOwner.Tag() + "," + tc.also + " && ~@load"
			}
			res, _ := runStatuses(t, shep.Options{Tags: tags, SUT: sut.Config{Defects: []string{tc.defect}}})
			owner, failed, others := roleScenarios(t, res, sut.SyncOwner)
			if res.Summary.Verdict != reports.NotConformant {
				t.Errorf("verdict %s, want NOT CONFORMANT", res.Summary.Verdict)
			}
			named := false
			for name, st := range owner {
				if st == "failed" {
					named = named || slices.Contains(failed[name], tc.rule)
				}
			}
			if !named {
				t.Errorf("no failed sync-owner scenario names %s: statuses %v, failed checks %v", tc.rule, owner, failed)
			}
			if tc.also == "" {
				return
			}
			if len(others) == 0 {
				t.Errorf("no %s scenario ran", tc.also)
			}
			for name, st := range others {
				if st != "passed" {
					t.Errorf("%s scenario %q is %s: the %s defect must break only the sync-owner role", tc.also, name, st, tc.defect)
				}
			}
		})
	}
}

// An owner that answers HTTP 503 to every SendMessage fails every sync-owner scenario, the probes
// it "refuses" included: each first checks that the system answers what the gateway signed. The
// scenarios are counted on the conforming system, run alike.
func TestRoleSyncOwnerUnavailableFailsEveryScenario(t *testing.T) {
	conforming, _ := runStatuses(t, shep.Options{Tags: syncOwnerTags})
	all, _, _ := roleScenarios(t, conforming, sut.SyncOwner)
	res, _ := runStatuses(t, shep.Options{Tags: syncOwnerTags, SUT: sut.Config{Defects: []string{"unavailable"}}})
	owner, failed, _ := roleScenarios(t, res, sut.SyncOwner)
	if len(all) == 0 || len(owner) != len(all) {
		t.Fatalf("%d sync-owner scenarios ran against the unavailable owner, %d against the conforming one", len(owner), len(all))
	}
	for name, st := range owner {
		if st != "failed" {
			t.Errorf("%q is %s against an owner that answers HTTP 503", name, st)
		} else if !slices.Contains(failed[name], "A6-S1") {
			t.Errorf("%q failed without naming A6-S1: %v", name, failed[name])
		}
	}
	if res.Summary.Failed != len(all) {
		t.Errorf("%d of the %d sync-owner scenarios failed", res.Summary.Failed, len(all))
	}
}
