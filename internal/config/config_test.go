package config

import (
	"strings"
	"testing"
)

func TestExampleLoads(t *testing.T) {
	c, err := Load("../../fixtures/shepconf.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Systems) != 3 || len(c.Services) != 2 || c.SUT.System != "AGENCY_OWNER" || c.Listen.NCA != "127.0.0.1:8081" {
		t.Fatalf("example read as %+v", c)
	}
}

func TestBadConfigurationsNameTheField(t *testing.T) {
	base := "systems:\n  - {id: A, password: p, bin: \"100000000001\"}\n"
	for name, tc := range map[string]struct{ yaml, want string }{
		"short BIN":       {"systems:\n  - {id: A, password: p, bin: \"123\"}\n", "bin \"123\" is not 12 digits"},
		"no password":     {"systems:\n  - {id: A, bin: \"100000000001\"}\n", "password is empty"},
		"unknown owner":   {base + "services:\n  - {id: S, owner: B, endpoint: reference}\n", `owner "B" is not among systems`},
		"unknown grantee": {base + "services:\n  - {id: S, owner: A, endpoint: reference, granted: [C]}\n", `granted system "C"`},
		"bad endpoint":    {base + "services:\n  - {id: S, owner: A, endpoint: ftp://x}\n", "neither an http(s) URL"},
		"typo":            {base + "sevrices: []\n", "sevrices"},
		"url and image":   {base + "sut: {url: http://x, image: y}\n", "not both"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), name)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
