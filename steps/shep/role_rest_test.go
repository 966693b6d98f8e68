package shep_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/assembly/sut"
)

const restRoles = "@role-rest-owner,@role-rest-initiator"

func TestRoleRESTDemonstrationPasses(t *testing.T) {
	_, got := runRoles(t, restRoles)
	for _, role := range []sut.Role{sut.RESTOwner, sut.RESTInitiator} {
		if o := got[role]; !o.passed() {
			t.Errorf("%s: %v\n%s", role, o.status, strings.Join(o.errors, "\n"))
		}
	}
}

// Each defect of the sample agency system breaks its own role, with the rule named in the failing
// check, and leaves the other REST role passing.
func TestRoleRESTDefectsFailTheirRole(t *testing.T) {
	cases := []struct {
		defect      string
		role, other sut.Role
		rule        string
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
			_, got := runRoles(t, restRoles, c.defect)
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
