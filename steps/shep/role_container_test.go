package shep_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/dockertest"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps/shep"
)

// TestEveryRoleAgainstTheSampleAgencyContainer certifies the sample agency system in its container
// image in every role, made to act through its HTTP trigger: the verdict is CONFORMANT, every role
// ran scenarios and passed them all, and every exchange in the gateway's journal came from the
// system under test or went to a service it was exercised on. It runs with the national CA's
// RSA-2048 keys and with GOST 34.310-2004 keys, where the container gets a GOST signing key and an
// ECDSA HTTPS certificate (JOSE and TLS have no GOST) and must sign with GOST.
func TestEveryRoleAgainstTheSampleAgencyContainer(t *testing.T) {
	dockertest.RequireEngine(t)
	const image = "shepconf-sample-agency:roles-test"
	dockertest.BuildImage(t, "./cmd/sample-agency", "sample-agency-linux-static", "cmd/sample-agency/Dockerfile", image)
	for _, key := range []pki.KeyType{pki.RSA2048, pki.GOST2004} {
		t.Run(key.String(), func(t *testing.T) { everyRoleInTheContainer(t, image, key) })
	}
}

func everyRoleInTheContainer(t *testing.T, image string, key pki.KeyType) {
	res, err := shep.Run(context.Background(), shep.Options{OutDir: t.TempDir(), TimeScale: testScale, Output: progress(t),
		KeyAlgorithm: key, SUT: sut.Config{Image: image, Health: "/healthz", Roles: sut.AllRoles, Trigger: sut.Trigger{URL: "/trigger"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Verdict != reports.Conformant {
		t.Fatalf("verdict %s: %d of %d passed (report %s)", res.Summary.Verdict, res.Summary.Passed, res.Summary.Scenarios, res.Report)
	}
	info := res.Info
	if info.SUT.Demonstration || info.SUT.Kind != sut.Container || info.SUT.Digest == "" {
		t.Errorf("run.json names the system under test as %+v, want a container with its image ID", info.SUT)
	}
	var services []string
	for _, r := range info.Roles {
		if !r.Certified() {
			t.Errorf("role %s: %d passed, %d failed, %d skipped", r.Role, r.Passed, r.Failed, r.Skipped)
		}
		services = append(services, r.Services...)
	}
	if len(info.Roles) != len(sut.AllRoles) {
		t.Errorf("%d roles in run.json, want %d", len(info.Roles), len(sut.AllRoles))
	}

	db, err := sql.Open("sqlite", res.Journal)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT DISTINCT sender_id, service_id FROM events WHERE sender_id != ''`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var sender, service string
		if err := rows.Scan(&sender, &service); err != nil {
			t.Fatal(err)
		}
		n++
		if sender != info.SUT.SystemID && !slices.Contains(services, service) {
			t.Errorf("the journal holds an exchange of %s on %s, neither from the system under test %s nor to a service it was exercised on %v",
				sender, service, info.SUT.SystemID, services)
		}
	}
	if n == 0 {
		t.Error("the journal holds no exchange")
	}
	if key != pki.GOST2004 {
		return
	}
	// The gateway checked the container's own transport signatures, and found them GOST.
	var gostSigned int
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE sender_id = ? AND kind = 'ACCEPTED' AND detail LIKE ?`,
		info.SUT.SystemID, `%transport signature {"algorithm":"`+xsig.GOST3410GOST34+`"%`).Scan(&gostSigned); err != nil {
		t.Fatal(err)
	}
	if gostSigned == 0 {
		t.Errorf("the journal shows no message of %s accepted on a %s signature", info.SUT.SystemID, xsig.GOST3410GOST34)
	}
}

// TestARoleDefectInTheContainerFailsThatRoleAlone: the same image broken in one role (by the
// environment, as an agency would misconfigure it) leaves that role uncertified and the others
// certified, and the verdict NOT CONFORMANT.
func TestARoleDefectInTheContainerFailsThatRoleAlone(t *testing.T) {
	dockertest.RequireEngine(t)
	const image = "shepconf-sample-agency:roles-test"
	dockertest.BuildImage(t, "./cmd/sample-agency", "sample-agency-linux-static", "cmd/sample-agency/Dockerfile", image)

	res, err := shep.Run(context.Background(), shep.Options{OutDir: t.TempDir(), TimeScale: testScale, Output: progress(t),
		SUT: sut.Config{Image: image, Health: "/healthz", Roles: []sut.Role{sut.SyncOwner, sut.AsyncReceiverPull},
			Trigger: sut.Trigger{URL: "/trigger"}, Env: map[string]string{"SAMPLE_AGENCY_DEFECT": "no-acknowledgement"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Verdict != reports.NotConformant {
		t.Fatalf("verdict %s, want %s", res.Summary.Verdict, reports.NotConformant)
	}
	for _, r := range res.Info.Roles {
		if want := r.Role != string(sut.AsyncReceiverPull); r.Certified() != want {
			t.Errorf("role %s certified %v, want %v (%d passed, %d failed)", r.Role, r.Certified(), want, r.Passed, r.Failed)
		}
	}
}
