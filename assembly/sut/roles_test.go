package sut

import (
	"slices"
	"strings"
	"testing"
)

func TestParseRoles(t *testing.T) {
	got, err := ParseRoles([]string{"sync-owner,async-sender", "sync-owner", " rest-owner "})
	if err != nil || !slices.Equal(got, []Role{SyncOwner, AsyncSender, RESTOwner}) {
		t.Errorf("got %v, %v", got, err)
	}
	if all, err := ParseRoles([]string{"all"}); err != nil || len(all) != len(AllRoles) {
		t.Errorf("all: %v, %v", all, err)
	}
	if _, err := ParseRoles([]string{"sync-owner", "owner"}); err == nil || !strings.Contains(err.Error(), `role "owner"`) || !strings.Contains(err.Error(), "sync-owner") {
		t.Errorf("an unknown role must be named with the known ones: %v", err)
	}
}

func TestRoleTags(t *testing.T) {
	if r, ok := RoleOfTag("@role-async-receiver-pull"); !ok || r != AsyncReceiverPull {
		t.Errorf("%v %v", r, ok)
	}
	if _, ok := RoleOfTag("@role-dancer"); ok {
		t.Error("an unknown role tag must not count")
	}
	if got := TagExpression([]Role{SyncOwner, RESTInitiator}); got != "@role-sync-owner,@role-rest-initiator" {
		t.Errorf("tag expression %q", got)
	}
}

func TestCertifiedRoles(t *testing.T) {
	if got := (Config{}).Certified(); len(got) != len(AllRoles) {
		t.Errorf("a demonstration plays every role, got %v", got)
	}
	if got := (Config{Image: "x"}).Certified(); !slices.Equal(got, []Role{SyncOwner}) {
		t.Errorf("an agency system without roles is certified as sync-owner, got %v", got)
	}
}

// A role the harness cannot certify is refused before the run, with the fix named.
func TestCheckNamesWhatARoleLacks(t *testing.T) {
	cases := []struct {
		c    Config
		want string
	}{
		{Config{Image: "x", Roles: []Role{SyncOwner, SyncInitiator, AsyncReceiverPull}}, "sync-initiator, async-receiver-pull without a trigger"},
		{Config{URL: "http://h", State: "s", BIN: "100000000001", Roles: []Role{SyncInitiator}, Trigger: Trigger{URL: "/t"}}, "no password"},
		{Config{URL: "http://h", State: "s", BIN: "100000000001", Roles: []Role{RESTOwner}}, "sut.restUrl"},
		{Config{Roles: []Role{SyncOwner}}, "give the system under test"},
		{Config{URL: "u", Image: "i"}, "not both"},
	}
	for _, c := range cases {
		if err := c.c.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error saying %q", c.c, err, c.want)
		}
	}
	ok := Config{Image: "x", Roles: []Role{SyncOwner, SyncInitiator}, Trigger: Trigger{Command: []string{"/send", "{request}"}}}
	if err := ok.Check(); err != nil {
		t.Errorf("a container with a command trigger: %v", err)
	}
}
