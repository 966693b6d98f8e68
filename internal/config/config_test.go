package config

import (
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/pki"
)

func TestConfigExampleLoads(t *testing.T) {
	c, err := Load("../../fixtures/shep/shepconf.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Systems) != 3 || len(c.Services) != 3 || c.SUT.System != "AGENCY_OWNER" || c.Listen.NCA != "127.0.0.1:8081" {
		t.Fatalf("example read as %+v", c)
	}
	// Every channel is documented: REST over HTTPS, a REST service, a push endpoint, the key.
	if c.Listen.REST != "127.0.0.1:8443" || c.Listen.RESTOwner != "127.0.0.1:8444" || c.KeyType() != pki.RSA2048 {
		t.Fatalf("listen %+v, keyAlgorithm %q", c.Listen, c.KeyAlgorithm)
	}
	if sys, _ := c.System("AGENCY_OWNER"); sys.Push == "" {
		t.Fatal("the example documents no push endpoint")
	}
	rest := false
	for _, s := range c.Services {
		rest = rest || s.REST
	}
	if !rest {
		t.Fatal("the example documents no REST service")
	}
}

func TestConfigDefaults(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, rest, restOwner string }{
		"fixed ports":     {"{}", "127.0.0.1:8443", ""},
		"free ports":      {"listen: {gateway: \"127.0.0.1:0\"}", "127.0.0.1:0", ""},
		"all interfaces":  {"listen: {gateway: \":8080\"}", ":8443", ""},
		"REST reference":  {"systems: [{id: A, password: p, bin: \"100000000001\"}]\nservices: [{id: S, owner: A, endpoint: reference, rest: true}]", "127.0.0.1:8443", "127.0.0.1:8444"},
		"given REST port": {"listen: {rest: \"127.0.0.1:9443\"}", "127.0.0.1:9443", ""},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), name)
			if err != nil {
				t.Fatal(err)
			}
			if c.Listen.REST != tc.rest || c.Listen.RESTOwner != tc.restOwner {
				t.Fatalf("listen %+v, want rest %q and restOwner %q", c.Listen, tc.rest, tc.restOwner)
			}
			if c.KeyType() != pki.RSA2048 {
				t.Fatalf("default key %s, want RSA-2048", c.KeyType())
			}
		})
	}
}

func TestConfigBind(t *testing.T) {
	c, err := Parse([]byte("listen: {gateway: \"127.0.0.1:8080\", nca: \"127.0.0.1:8081\"}"), "bind")
	if err != nil {
		t.Fatal(err)
	}
	c.Bind("0.0.0.0")
	if c.Listen.Gateway != "0.0.0.0:8080" || c.Listen.REST != "0.0.0.0:8443" || c.Listen.NCA != "0.0.0.0:8081" || c.Listen.Owner != "" {
		t.Fatalf("bound to %+v", c.Listen)
	}
}

func TestBadConfigurationsNameTheField(t *testing.T) {
	base := "systems:\n  - {id: A, password: p, bin: \"100000000001\"}\n"
	for name, tc := range map[string]struct{ yaml, want string }{
		"short BIN":         {"systems:\n  - {id: A, password: p, bin: \"123\"}\n", "bin \"123\" is not 12 digits"},
		"no password":       {"systems:\n  - {id: A, bin: \"100000000001\"}\n", "password is empty"},
		"unknown owner":     {base + "services:\n  - {id: S, owner: B, endpoint: reference}\n", `owner "B" is not among systems`},
		"unknown grantee":   {base + "services:\n  - {id: S, owner: A, endpoint: reference, granted: [C]}\n", `granted system "C"`},
		"bad endpoint":      {base + "services:\n  - {id: S, owner: A, endpoint: ftp://x}\n", "neither an http(s) URL"},
		"REST over HTTP":    {base + "services:\n  - {id: S, owner: A, rest: true, endpoint: http://x/rest}\n", "neither an https URL"},
		"push not a URL":    {"systems:\n  - {id: A, password: p, bin: \"100000000001\", push: \"127.0.0.1:9/async\"}\n", `systems[0] A: push "127.0.0.1:9/async" is not an http(s) URL`},
		"unknown key":       {"keyAlgorithm: gost2012\n", "keyAlgorithm: key algorithm \"gost2012\" is not known: use rsa-2048 (the default, as the national CA issues), ecdsa-p256 or gost2004"},
		"REST host w/ port": {"listen: {restHosts: [\"gw:8443\"]}\n", `listen.restHosts[0] "gw:8443"`},
		"typo":              {base + "sevrices: []\n", "sevrices"},
		"url and image":     {base + "sut: {url: http://x, image: y}\n", "not both"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), name)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	for _, ok := range []string{"keyAlgorithm: ecdsa-p256\n", "keyAlgorithm: gost2004\n", "listen: {restHosts: [\"::1\", gw.example]}\n",
		base + "services:\n  - {id: S, owner: A, rest: true, endpoint: https://x/rest}\n"} {
		if _, err := Parse([]byte(ok), "good"); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}
