package shep_test

import (
	"slices"
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/shep"
)

// The sample agency system, as it is, passes every sync-initiator scenario, and run.json counts
// them for the role with the service it called.
func TestRoleSyncInitiatorDemonstrationPasses(t *testing.T) {
	res, _ := runStatuses(t, shep.Options{Tags: sut.SyncInitiator.Tag()})
	initiator, failed, _ := roleScenarios(t, res, sut.SyncInitiator)
	if res.Summary.Verdict != reports.Conformant || len(initiator) == 0 {
		t.Fatalf("verdict %s, sync-initiator scenarios %v, failed checks %v", res.Summary.Verdict, initiator, failed)
	}
	i := slices.IndexFunc(res.Info.Roles, func(r steps.RoleResult) bool { return r.Role == string(sut.SyncInitiator) })
	if i < 0 {
		t.Fatalf("run.json has no sync-initiator role: %+v", res.Info.Roles)
	}
	if r := res.Info.Roles[i]; r.Passed != len(initiator) || !slices.Equal(r.Services, []string{"PARTNER_SERVICE"}) {
		t.Errorf("sync-initiator in run.json: %+v, want %d passed on PARTNER_SERVICE only", r, len(initiator))
	}
}

// Each defect of the sync-initiator role fails the scenarios that catch it, with the rule it breaks
// named in a failed check; one defect leaves the sync-owner role of the same system passing.
func TestRoleSyncInitiatorDefectsFailTheRole(t *testing.T) {
	for _, tc := range []struct {
		defect string
		fails  map[string]string // scenario -> the rule its failed check must name
		also   string            // another role's scenarios, run alongside, which must still pass
	}{
		{"reuse-message-id", map[string]string{
			"Every message of the initiator carries a messageId of its own":        "R-61",
			"After a fault of the gateway the initiator sends a new messageId":     "R-61",
			"After the owner's fault the initiator sends a new messageId":          "R-61",
			"After the gateway's 30 s timeout the initiator sends a new messageId": "R-61",
			"After an HTTP error the initiator sends a new messageId":              "R-61",
		}, sut.SyncOwner.Tag()},
		{"accept-unsigned-answer", map[string]string{
			"The initiator refuses an answer that the gateway did not sign":                   "R-59",
			"The initiator refuses an answer altered after the gateway signed it":             "R-53",
			"The initiator refuses a signature wrapping attack on the answer":                 "R-58",
			"The initiator refuses an answer signed by another system instead of the gateway": "R-54",
		}, ""},
		{"resend-after-failure", map[string]string{
			"After a fault of the gateway the initiator sends a new messageId":     "R-61",
			"After the owner's fault the initiator sends a new messageId":          "R-61",
			"After the gateway's 30 s timeout the initiator sends a new messageId": "R-61",
			"After an HTTP error the initiator sends a new messageId":              "R-61",
		}, ""},
	} {
		t.Run(tc.defect, func(t *testing.T) {
			tags := sut.SyncInitiator.Tag()
			if tc.also != "" {
				tags += "," + tc.also + " && ~@load"
			}
			res, _ := runStatuses(t, shep.Options{Tags: tags, SUT: sut.Config{Defects: []string{tc.defect}}})
			initiator, failed, others := roleScenarios(t, res, sut.SyncInitiator)
			if res.Summary.Verdict != reports.NotConformant {
				t.Errorf("verdict %s, want NOT CONFORMANT", res.Summary.Verdict)
			}
			for name, rule := range tc.fails {
				if initiator[name] != "failed" || !slices.Contains(failed[name], rule) {
					t.Errorf("%q is %s with failed checks %v, want failed naming %s", name, initiator[name], failed[name], rule)
				}
			}
			if tc.also == "" {
				return
			}
			if len(others) == 0 {
				t.Errorf("no %s scenario ran", tc.also)
			}
			for name, st := range others {
				if st != "passed" {
					t.Errorf("%s scenario %q is %s: the %s defect must break only the sync-initiator role", tc.also, name, st, tc.defect)
				}
			}
		})
	}
}
