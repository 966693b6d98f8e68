package shep_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/shep"
)

// roleOutcome is how one role's scenarios ended in a run.
type roleOutcome struct {
	status      map[string]string   // by scenario name
	failedRules map[string][]string // the rules of the failed checks, by scenario name
	errors      []string            // the error of every failed step
}

// passed says every scenario of the role passed, and at least one ran.
func (o roleOutcome) passed() bool {
	for _, s := range o.status {
		if s != "passed" {
			return false
		}
	}
	return len(o.status) > 0
}

func (o roleOutcome) anyFailed() bool {
	for _, s := range o.status {
		if s == "failed" {
			return true
		}
	}
	return false
}

// runRoles runs the scenarios of tags against the demonstration's sample agency system, broken
// with defects, and sorts them by role.
func runRoles(t *testing.T, tags string, defects ...string) (steps.Result, map[sut.Role]roleOutcome) {
	t.Helper()
	res, err := shep.Run(context.Background(), shep.Options{OutDir: t.TempDir(), TimeScale: testScale, Output: progress(t),
		Tags: tags, SUT: sut.Config{Defects: defects}})
	if err != nil {
		t.Fatal(err)
	}
	return res, rolesOf(t, res)
}

// rolesOf reads a run's scenarios by the role each certifies (its @role- tag, on the feature or
// the scenario); a scenario of no role is under "".
func rolesOf(t *testing.T, res steps.Result) map[sut.Role]roleOutcome {
	t.Helper()
	feats, err := reports.ReadCucumber(res.Cucumber)
	if err != nil {
		t.Fatal(err)
	}
	out := map[sut.Role]roleOutcome{}
	for _, f := range feats {
		for _, sc := range f.Scenarios {
			var role sut.Role
			for _, tag := range append(f.Tags, sc.Tags...) {
				if r, ok := sut.RoleOfTag(tag.Name); ok {
					role = r
				}
			}
			o, ok := out[role]
			if !ok {
				o = roleOutcome{status: map[string]string{}, failedRules: map[string][]string{}}
			}
			o.status[sc.Name] = sc.Status()
			for _, st := range sc.Steps {
				if st.Result.Status == "failed" {
					o.errors = append(o.errors, sc.Name+": "+st.Result.Error)
				}
				for _, e := range st.Embeddings {
					var c reports.Check
					if e.MimeType == reports.CheckMediaType && json.Unmarshal(e.Data, &c) == nil && !c.Passed {
						o.failedRules[sc.Name] = append(o.failedRules[sc.Name], c.Rule)
					}
				}
			}
			out[role] = o
		}
	}
	return out
}

// roleScenarios is the scenarios of role with their status and failed rules, and the status of
// every other scenario of the run.
func roleScenarios(t *testing.T, res steps.Result, role sut.Role) (inRole map[string]string, failedRules map[string][]string, others map[string]string) {
	t.Helper()
	all := rolesOf(t, res)
	others = map[string]string{}
	for r, o := range all {
		if r != role {
			for name, st := range o.status {
				others[name] = st
			}
		}
	}
	o := all[role]
	if o.status == nil {
		o.status = map[string]string{}
	}
	return o.status, o.failedRules, others
}
