package sut_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/shepconf/shepconf/assembly/standalone"
	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// TestURLOwner is an agency's path: shepconf serve exports the owner system's certificate, the
// agency's system signs with it, and shepconf run --config --sut-url tests it at its URL.
func TestURLOwner(t *testing.T) {
	state := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ncaAddr := ln.Addr().String()
	ln.Close()
	yaml := fmt.Sprintf(`state: %s
listen: {gateway: "127.0.0.1:0", nca: %q}
systems:
  - {id: AGENCY_OWNER, password: agency-secret, bin: "100000000003"}
sut: {system: AGENCY_OWNER}
`, state, ncaAddr)
	cfg, err := config.Parse([]byte(yaml), "test")
	if err != nil {
		t.Fatal(err)
	}
	// shepconf serve issues and exports the certificate, then stops (freeing the NCA's address).
	s, err := standalone.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// The agency's owner system, configured with the exported files.
	id, err := pki.LoadIdentity(filepath.Join(state, "systems", "AGENCY_OWNER", "cert.pem"), filepath.Join(state, "systems", "AGENCY_OWNER", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := pki.ReadCertificates(filepath.Join(state, "systems", "AGENCY_OWNER", nca.ChainFile))
	if err != nil || len(chain) != 2 {
		t.Fatalf("CA chain: %v", err)
	}
	o := owner.New("AGENCY_OWNER")
	o.Identity = id
	o.Checker = &xsig.Checker{Roots: pool(chain[1]), Intermediates: pool(chain[0])}
	o.GatewayID = config.DefaultGatewayBIN
	srv, err := server.Start("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())

	c, err := sut.FromFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.URL = srv.URL() // its synchronous endpoint is below it, at /sync
	res, out := runAgainst(t, c)
	if res.Summary.Verdict != reports.Conformant || len(res.Info.Roles) != 1 || res.Info.Roles[0].Passed != res.Summary.Scenarios {
		t.Fatalf("verdict %s, %d of %d passed, roles %+v\n%s", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios, res.Info.Roles, out)
	}
	// Every sync-owner scenario first sends it a request the gateway signed.
	if n := len(o.Received()); n < 2*res.Summary.Scenarios {
		t.Fatalf("the owner at the URL received %d requests in %d scenarios", n, res.Summary.Scenarios)
	}

	// The same owner, signing with a certificate of another NCA, fails the run.
	stranger, _ := nca.New("Unknown CA")
	o.Identity, _ = stranger.Issue(nca.Subject{CommonName: "AGENCY_OWNER", BIN: "100000000003"}, pki.ECDSAP256)
	if res, out := runAgainst(t, c); res.Summary.Verdict == reports.Conformant {
		t.Fatalf("an owner signing with an untrusted certificate passed:\n%s", out)
	} else if !bytes.Contains([]byte(out), []byte("SCE013")) {
		t.Fatalf("the failure does not name the untrusted signature (SCE013):\n%s", out)
	}
}
