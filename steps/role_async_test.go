package steps_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/sut"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
)

// asyncRoleTags selects the scenarios of the three asynchronous roles.
const asyncRoleTags = "@role-async-sender,@role-async-receiver-pull,@role-async-receiver-push"

// roleOutcomes runs the asynchronous roles' scenarios against the sample agency system with the
// given defects and returns, per role tag, the status of each of its scenarios and the error
// messages of the failed steps.
func roleOutcomes(t *testing.T, defects ...string) (map[string][]string, string) {
	t.Helper()
	o := steps.Options{Tags: asyncRoleTags, SUT: sut.Config{Defects: defects}}
	o.OutDir, o.TimeScale, o.Output = t.TempDir(), testScale, progress(t)
	res, err := steps.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := reports.ReadCucumber(res.Cucumber)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string][]string{}
	var failures strings.Builder
	for _, f := range feats {
		for _, s := range f.Scenarios {
			for _, tag := range s.Tags {
				if strings.HasPrefix(tag.Name, "@role-") {
					statuses[tag.Name] = append(statuses[tag.Name], s.Status())
				}
			}
			for _, st := range s.Steps {
				if st.Result.Status == "failed" {
					failures.WriteString(s.Name + ": " + st.Result.Error + "\n")
				}
			}
		}
	}
	return statuses, failures.String()
}

func allAre(statuses []string, want string) bool {
	for _, s := range statuses {
		if s != want {
			return false
		}
	}
	return len(statuses) > 0
}

func anyIs(statuses []string, want string) bool {
	for _, s := range statuses {
		if s == want {
			return true
		}
	}
	return false
}

func TestAsyncRolesPassAgainstTheSampleAgency(t *testing.T) {
	statuses, failures := roleOutcomes(t)
	for _, role := range []string{"@role-async-sender", "@role-async-receiver-pull", "@role-async-receiver-push"} {
		if !allAre(statuses[role], "passed") {
			t.Errorf("%s: %v\n%s", role, statuses[role], failures)
		}
	}
}

// Each defect of an asynchronous role fails that role's scenarios with the rule it breaks named,
// while a role it does not touch still passes.
func TestAsyncRoleDefectsFailTheirRole(t *testing.T) {
	cases := []struct {
		defect, role, rule, untouched string
	}{
		{"unsigned-async-message", "@role-async-sender", "R-59", "@role-async-receiver-push"},
		{"no-status-follow", "@role-async-sender", "A1-T7", "@role-async-receiver-pull"},
		{"no-acknowledgement", "@role-async-receiver-pull", "A1-T4", "@role-async-sender"},
		{"accept-unverified-messages", "@role-async-receiver-pull", "A6-S1", "@role-async-receiver-push"},
		{"accept-unsigned-push", "@role-async-receiver-push", "A6-S1", "@role-async-receiver-pull"},
		{"unsigned-async-answer", "@role-async-receiver-push", "R-59", "@role-async-receiver-pull"},
	}
	for _, c := range cases {
		t.Run(c.defect, func(t *testing.T) {
			statuses, failures := roleOutcomes(t, c.defect)
			t.Logf("%v\n%s", statuses, failures)
			if !anyIs(statuses[c.role], "failed") {
				t.Errorf("with %s, %s scenarios are %v, want one failed", c.defect, c.role, statuses[c.role])
			}
			if !strings.Contains(failures, c.rule) {
				t.Errorf("with %s, no failed step names %s:\n%s", c.defect, c.rule, failures)
			}
			if !allAre(statuses[c.untouched], "passed") {
				t.Errorf("with %s, %s scenarios are %v, want all passed:\n%s", c.defect, c.untouched, statuses[c.untouched], failures)
			}
		})
	}
}
