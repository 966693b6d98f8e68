package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/racedetect"

	"github.com/shepconf/shepconf/assembly/load"
	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/agency"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// loadSUT is an agency's owner system at a URL as shepconf serve would have prepared it: its
// certificate issued by the NCA saved in the state folder that the configuration names.
type loadSUT struct {
	cfgPath string
	sys     *agency.System
	id      *pki.Identity // the system's certificate, issued by the NCA in the state folder
	checker *xsig.Checker // that NCA's
}

func newLoadSUT(t *testing.T) loadSUT {
	t.Helper()
	state := t.TempDir()
	addr := freeAddr(t)
	ca, err := nca.New("shepconf NCA")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Serve(addr) // the certificates name the NCA's address, where the load serves it again
	if err != nil {
		t.Fatal(err)
	}
	subject := nca.Subject{CommonName: "AGENCY_OWNER", BIN: "100000000003"}
	id, err := ca.Issue(subject, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	tlsID, err := ca.IssueServer(subject, pki.ECDSAP256, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.Save(filepath.Join(state, "nca")); err != nil {
		t.Fatal(err)
	}
	_ = srv.Close(context.Background())
	checker := &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()}
	sys, err := agency.New(agency.Config{SystemID: "AGENCY_OWNER", Password: "agency-secret", Identity: id, TLS: tlsID,
		Checker: checker, GatewayBIN: config.DefaultGatewayBIN})
	if err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`state: %s
listen: {gateway: "127.0.0.1:0", nca: %q}
systems:
  - {id: AGENCY_OWNER, password: agency-secret, bin: "100000000003"}
sut: {system: AGENCY_OWNER}
`, state, addr)
	path := filepath.Join(state, "shepconf.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return loadSUT{cfgPath: path, sys: sys, id: id, checker: checker}
}

// serveAt serves h on loopback for the test's duration and returns its base URL.
func serveAt(t *testing.T, h http.Handler) string {
	t.Helper()
	srv, err := server.Start("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	return srv.URL()
}

// loadAgainst runs shepconf load against the owner at url: a minute at 3600/h (60 requests) in a
// second, limits shrunk a hundredfold (10 s mean is 100 ms); more flags in extra.
func loadAgainst(t *testing.T, cfgPath, url string, extra ...string) (int, load.Result, string) {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"load", "--config", cfgPath, "--sut-url", url, "--profile", "custom",
		"--rate", "3600", "--duration", "1m", "--compress", "60", "--time-scale", "0.01", "--out", out,
		// What is judged is the owner under load; ECDSA keeps the harness's own signing cost low
		// on a shared two-core machine.
		"--key-algorithm", "ecdsa-p256"}, extra...), &stdout, &stderr)
	name := "sync-custom-"
	if slices.Contains(extra, "--direct-to-owner") {
		name = "direct-custom-"
	}
	var res load.Result
	raw, err := os.ReadFile(filepath.Join(out, name+load.SummaryFile))
	if err == nil {
		err = json.Unmarshal(raw, &res)
	}
	if err == nil {
		raw, err = os.ReadFile(filepath.Join(out, name+load.SamplesFile))
		if err == nil {
			err = json.Unmarshal(raw, &res.Samples)
		}
	}
	if err != nil {
		t.Fatalf("exit %d, no results: %v\n%s%s", code, err, stdout.String(), stderr.String())
	}
	return code, res, stdout.String() + stderr.String()
}

func verdictOf(r load.Result, ruleID string) load.Verdict {
	for _, v := range r.Verdicts {
		if v.Rule == ruleID {
			return v
		}
	}
	return load.Verdict{Rule: ruleID + " (missing)"}
}

// The load judges the agency's owner at its URL: every exchange of the journal went to it.
func TestLoadJudgesTheOwnerAtAURL(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("judges timing at 1/100 of the Rules' limits: under -race the detector's slowdown, not the gateway, would miss them")
	}
	s := newLoadSUT(t)
	base := serveAt(t, s.sys.Handler())
	code, res, out := loadAgainst(t, s.cfgPath, base)
	if code != exitConformant || !res.Passed() {
		t.Fatalf("exit %d, verdicts %+v\n%s", code, res.Verdicts, out)
	}
	if res.OwnerSystem.ID != "AGENCY_OWNER" || res.OwnerSystem.Demonstration || !strings.Contains(out, "owner: AGENCY_OWNER") {
		t.Fatalf("owner system %+v\n%s", res.OwnerSystem, out)
	}
	// Every request goes to the owner under test. The count is the pacer's: 60 planned in the
	// compressed second, of which a busy machine may start a few too late to count.
	if there, all := res.Routed(base + "/sync"); there != len(res.Samples) || there < 54 || all != there {
		t.Fatalf("%d of %d requests routed to the owner under test (%d routed at all)", there, len(res.Samples), all)
	}
}

// A slow owner under test breaks the 10 s mean, and an unavailable one (HTTP 503) the no-errors
// verdict: the verdict is the owner's, not the reference owner's.
func TestLoadFailsASlowOrUnavailableOwner(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("judges timing at 1/100 of the Rules' limits: under -race the detector's slowdown, not the gateway, would miss them")
	}
	s := newLoadSUT(t)
	slow := serveAt(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(110 * time.Millisecond) // 11 s in Rules time at scale 0.01
		s.sys.Handler().ServeHTTP(w, r)
	}))
	code, res, out := loadAgainst(t, s.cfgPath, slow)
	if v := verdictOf(res, "A2-T1 row 2"); code != exitFailed || v.Passed {
		t.Fatalf("a slow owner: exit %d, %+v\n%s", code, v, out)
	}
	if there, _ := res.Routed(slow + "/sync"); there != len(res.Samples) {
		t.Fatalf("%d of %d requests reached the slow owner under test", there, len(res.Samples))
	}

	down := serveAt(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}))
	code, res, out = loadAgainst(t, s.cfgPath, down)
	if v := verdictOf(res, "A2-T2"); code != exitFailed || v.Passed {
		t.Fatalf("an unavailable owner: exit %d, %+v\n%s", code, v, out)
	}
	if there, _ := res.Routed(down + "/sync"); there == 0 {
		t.Fatalf("no request reached the unavailable owner:\n%s", out)
	}
}

// --owner-latency programs the reference owner: with a system under test it is an error.
func TestLoadOwnerLatencyIsTheReferenceOwners(t *testing.T) {
	s := newLoadSUT(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"load", "--config", s.cfgPath, "--sut-url", "http://127.0.0.1:1",
		"--owner-latency", "2s", "--out", t.TempDir()}, &stdout, &stderr)
	if code != exitError || !strings.Contains(stderr.String(), "--owner-latency") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

// --direct-to-owner loads the owner under test (here the reference owner, served on loopback as an
// agency's system with the certificate the NCA issued it) as the gateway forwards requests, signed
// with the gateway's certificate of the run's NCA, and judges A2-T1 on the times the load measured:
// an owner answering at once passes, one answering in 11 s (Rules time) breaks the 10 s mean.
// Acceptance is the gateway's and is left unjudged.
func TestDirectLoadJudgesTheOwnersMeasuredTimes(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("judges timing at 1/100 of the Rules' limits: under -race the detector's slowdown, not the owner, would miss them")
	}
	s := newLoadSUT(t)
	serve := func(latency time.Duration) (*owner.Owner, string) {
		ref := owner.New("AGENCY_OWNER")
		ref.Identity, ref.Checker, ref.GatewayID = s.id, s.checker, config.DefaultGatewayBIN
		ref.Handle(testbed.ServiceID, owner.Behaviour{Latency: latency})
		return ref, serveAt(t, ref)
	}

	ref, base := serve(0)
	code, res, out := loadAgainst(t, s.cfgPath, base, "--direct-to-owner")
	if code != exitConformant || !res.Passed() || !res.Direct || verdictOf(res, "R-47").Rule != "R-47 (missing)" ||
		len(res.NotJudged) != 1 || !strings.Contains(out, "R-47         not judged") {
		t.Fatalf("exit %d, verdicts %+v, not judged %+v\n%s", code, res.Verdicts, res.NotJudged, out)
	}
	if there, all := res.Routed(base + "/sync"); there != len(res.Samples) || there < 54 || all != there {
		t.Fatalf("%d of %d requests reached the owner under test (%d at all)", there, len(res.Samples), all)
	}
	for _, x := range ref.Received() { // as the gateway forwards: its session, no password, its signature
		info := x.Request.Request.RequestInfo
		if x.Err != nil || info.SessionID == "" || info.Sender.Password != "" || x.Signature.Certificate.BIN != config.DefaultGatewayBIN {
			t.Fatalf("the owner received %+v, signature %+v: %v", info, x.Signature.Certificate, x.Err)
		}
	}

	_, slow := serve(110 * time.Millisecond) // 11 s in Rules time at scale 0.01
	code, res, out = loadAgainst(t, s.cfgPath, slow, "--direct-to-owner")
	if v := verdictOf(res, "A2-T1 row 2"); code != exitFailed || v.Passed || res.Owner.Min < 110*time.Millisecond {
		t.Fatalf("a slow owner: exit %d, %+v, owner's times %+v\n%s", code, v, res.Owner, out)
	}
}
