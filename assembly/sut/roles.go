package sut

import (
	"fmt"
	"slices"
	"strings"
)

// Role is a part an agency's system plays on the gateway. Each role is certified by its own
// scenarios, tagged @role-<name>, which talk to the system under test and never to a reference
// system.
type Role string

// The roles of the Rules and Appendices 1, 2 and 6.
const (
	SyncOwner         Role = "sync-owner"          // serves a service on the synchronous channel (A1-P4)
	SyncInitiator     Role = "sync-initiator"      // calls services on the synchronous channel (A1-T19)
	AsyncSender       Role = "async-sender"        // sends on the asynchronous channel and follows delivery (A1-P1)
	AsyncReceiverPull Role = "async-receiver-pull" // takes its messages with getMessages (A1-T4, A1-T7)
	AsyncReceiverPush Role = "async-receiver-push" // is pushed its messages by the gateway (A1-T13)
	RESTOwner         Role = "rest-owner"          // serves a REST service (A1-T22, A1-T23)
	RESTInitiator     Role = "rest-initiator"      // calls REST services (A1-T22)
)

// AllRoles are every role, in the order the report lists them; "all" selects them.
var AllRoles = []Role{SyncOwner, SyncInitiator, AsyncSender, AsyncReceiverPull, AsyncReceiverPush, RESTOwner, RESTInitiator}

// Tag is the feature tag of the role's scenarios.
func (r Role) Tag() string { return "@role-" + string(r) }

// RoleOfTag is the role a scenario tag names, if any.
func RoleOfTag(tag string) (Role, bool) {
	r := Role(strings.TrimPrefix(tag, "@role-"))
	return r, strings.HasPrefix(tag, "@role-") && slices.Contains(AllRoles, r)
}

// NeedsTrigger says whether the harness must make the system act in this role: an initiator or a
// sender does not act on its own when the harness wants it to.
func (r Role) NeedsTrigger() bool {
	switch r {
	case SyncInitiator, AsyncSender, AsyncReceiverPull, RESTInitiator:
		return true
	}
	return false
}

// ParseRoles reads role names as given on the command line or in the configuration ("all" for
// every role), each at most once.
func ParseRoles(names []string) ([]Role, error) {
	var out []Role
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if part == "all" {
				return slices.Clone(AllRoles), nil
			}
			r := Role(part)
			if !slices.Contains(AllRoles, r) {
				return nil, fmt.Errorf("role %q: no such role; the roles are all, %s", part, joinRoles(AllRoles))
			}
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// TagExpression selects the scenarios of the roles, e.g. "@role-sync-owner,@role-async-sender".
func TagExpression(rs []Role) string {
	tags := make([]string, len(rs))
	for i, r := range rs {
		tags[i] = r.Tag()
	}
	return strings.Join(tags, ",")
}
