package steps_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/sut"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
)

const restRoles = "@role-rest-owner,@role-rest-initiator"

// roleOutcome is how a role's scenarios ended in a run: status by scenario name, and the error of
// every failed step.
type roleOutcome struct {
	status map[string]string
	errors []string
}

// runRoles runs the scenarios of tags against the demonstration's sample agency system, broken with
// defects, and sorts the scenarios by the role they certify.
func runRoles(t *testing.T, tags string, defects ...string) map[string]roleOutcome {
	t.Helper()
	res, err := steps.Run(context.Background(), steps.Options{OutDir: t.TempDir(), TimeScale: testScale, Output: progress(t),
		Tags: tags, SUT: sut.Config{Defects: defects}})
	if err != nil {
		t.Fatal(err)
	}
	feats, err := reports.ReadCucumber(res.Cucumber)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]roleOutcome{}
	for _, f := range feats {
		for _, tag := range f.Tags {
			r, ok := sut.RoleOfTag(tag.Name)
			if !ok {
				continue
			}
			o := out[string(r)]
			if o.status == nil {
				o.status = map[string]string{}
			}
			for _, s := range f.Scenarios {
				o.status[s.Name] = s.Status()
				for _, st := range s.Steps {
					if st.Result.Status == "failed" {
						o.errors = append(o.errors, st.Result.Error)
					}
				}
			}
			out[string(r)] = o
		}
	}
	return out
}

func (o roleOutcome) passed() bool {
	for _, s := range o.status {
		if s != "passed" {
			return false
		}
	}
	return len(o.status) > 0
}

func TestRoleRESTDemonstrationPasses(t *testing.T) {
	got := runRoles(t, restRoles)
	for _, role := range []string{"rest-owner", "rest-initiator"} {
		if o := got[role]; !o.passed() {
			t.Errorf("%s: %v\n%s", role, o.status, strings.Join(o.errors, "\n"))
		}
	}
}

// Each defect of the sample agency system breaks its own role, with the rule named in the failing
// check, and leaves the other REST role passing.
func TestRoleRESTDefectsFailTheirRole(t *testing.T) {
	cases := []struct {
		defect, role, other, rule string
	}{
		{"rest-omit-response-field", "rest-owner", "rest-initiator", "A1-T23 row 4"},
		{"rest-accept-any-client", "rest-owner", "rest-initiator", "R-2.7"},
		{"rest-slow", "rest-owner", "rest-initiator", "A2-T1 row 1"},
		{"rest-no-auth", "rest-initiator", "rest-owner", "R-53"},
		{"rest-error-as-answer", "rest-initiator", "rest-owner", "A1-T23"},
		{"rest-reused-message-id", "rest-initiator", "rest-owner", "R-61"},
	}
	for _, c := range cases {
		t.Run(c.defect, func(t *testing.T) {
			got := runRoles(t, restRoles, c.defect)
			broken := got[c.role]
			if broken.passed() || len(broken.status) == 0 {
				t.Fatalf("%s: the %s scenarios passed with the defect: %v", c.defect, c.role, broken.status)
			}
			if !slices.ContainsFunc(broken.errors, func(e string) bool { return strings.Contains(e, "breaks "+c.rule+":") }) {
				t.Errorf("%s: no failing check names %s:\n%s", c.defect, c.rule, strings.Join(broken.errors, "\n"))
			}
			if o := got[c.other]; !o.passed() {
				t.Errorf("%s: the %s scenarios failed too: %v\n%s", c.defect, c.other, o.status, strings.Join(o.errors, "\n"))
			}
		})
	}
}
