package shep_test

import (
	"strings"
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
)

// asyncRoleTags selects the scenarios of the three asynchronous roles.
const asyncRoleTags = "@role-async-sender,@role-async-receiver-pull,@role-async-receiver-push"

func TestAsyncRolesPassAgainstTheSampleAgency(t *testing.T) {
	_, roles := runRoles(t, asyncRoleTags)
	for _, role := range []sut.Role{sut.AsyncSender, sut.AsyncReceiverPull, sut.AsyncReceiverPush} {
		if !roles[role].passed() {
			t.Errorf("%s: %v\n%s", role, roles[role].status, strings.Join(roles[role].errors, "\n"))
		}
	}
}

// Each defect of an asynchronous role fails that role's scenarios with the rule it breaks named,
// while a role it does not touch still passes.
func TestAsyncRoleDefectsFailTheirRole(t *testing.T) {
	cases := []struct {
		defect    string
		role      sut.Role
		rule      string
		untouched sut.Role
	}{
		{"unsigned-async-message", sut.AsyncSender, "R-59", sut.AsyncReceiverPush},
		{"no-status-follow", sut.AsyncSender, "A1-T7", sut.AsyncReceiverPull},
		{"no-acknowledgement", sut.AsyncReceiverPull, "A1-T4", sut.AsyncSender},
		{"accept-unverified-messages", sut.AsyncReceiverPull, "A6-S1", sut.AsyncReceiverPush},
		{"accept-unsigned-push", sut.AsyncReceiverPush, "A6-S1", sut.AsyncReceiverPull},
		{"unsigned-async-answer", sut.AsyncReceiverPush, "R-59", sut.AsyncReceiverPull},
	}
	for _, c := range cases {
		t.Run(c.defect, func(t *testing.T) {
			_, roles := runRoles(t, asyncRoleTags, c.defect)
			broken, untouched := roles[c.role], roles[c.untouched]
			failures := strings.Join(broken.errors, "\n")
			if !broken.anyFailed() {
				t.Errorf("with %s, %s scenarios are %v, want one failed", c.defect, c.role, broken.status)
			}
			if !strings.Contains(failures, c.rule) {
				t.Errorf("with %s, no failed step names %s:\n%s", c.defect, c.rule, failures)
			}
			if !untouched.passed() {
				t.Errorf("with %s, %s scenarios are %v, want all passed:\n%s", c.defect, c.untouched, untouched.status, strings.Join(untouched.errors, "\n"))
			}
		})
	}
}
