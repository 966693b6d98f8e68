package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// The bus profiles sign with CMS and JOSE and connect over TLS, none of which carries a GOST key
// here: --key-algorithm gost2004 is refused by every command that reads it, before anything runs,
// naming the flag, the profile's protocols and the fix.
func TestBusProfilesRefuseGOSTKeys(t *testing.T) {
	for _, c := range []struct {
		args      []string
		protocols string
	}{
		{[]string{"run", "--profile", "epgu", "--tags", "@NO-SUCH-TAG", "--out", t.TempDir()}, epguBus.protocols},
		{[]string{"serve", "--profile", "epgu", "--state", t.TempDir()}, epguBus.protocols},
		{[]string{"load", "--profile", "epgu", "--duration", "1s", "--out", t.TempDir()}, epguBus.protocols},
		{[]string{"run", "--profile", "smdo", "--tags", "@NO-SUCH-TAG", "--out", t.TempDir()}, smdoBus.protocols},
		{[]string{"serve", "--profile", "smdo", "--state", t.TempDir()}, smdoBus.protocols},
		{[]string{"run", "--profile", "gospochta", "--tags", "@NO-SUCH-TAG", "--out", t.TempDir()}, gospochtaBus.protocols},
		{[]string{"serve", "--profile", "gospochta", "--state", t.TempDir()}, gospochtaBus.protocols},
	} {
		args := append(c.args, "--key-algorithm", "gost2004")
		name := strings.Join(c.args[:3], " ")
		// A command that does not refuse would run or serve: the deadline ends it.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var out bytes.Buffer
		code := run(ctx, args, &out, &out)
		cancel()
		for _, want := range []string{"--key-algorithm", c.protocols, "GOST 34.310-2004", "rsa-2048 or ecdsa-p256"} {
			if code != exitError || !strings.Contains(out.String(), want) {
				t.Errorf("%s: exit %d, want %d with %q:\n%s", name, code, exitError, want, out.String())
				break
			}
		}
	}
	for _, p := range []busRun{epguBus, smdoBus, gospochtaBus} {
		if !strings.Contains(p.protocols, "CMS") || !strings.Contains(p.protocols, "TLS") {
			t.Errorf("%s: protocols %q do not name CMS and TLS", p.name, p.protocols)
		}
	}
}
