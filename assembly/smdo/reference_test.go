package smdo

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/smdo/router"
	"github.com/shepconf/shepconf/simulators/smdo/sed"
)

// The short periods of these tests: the rules' 5 minutes and 10 seconds shrunk.
const (
	refPoll    = 50 * time.Millisecond
	refRestart = 50 * time.Millisecond
)

var (
	refAgency      = trigger.Party{ID: "1001", Code: "SMDO-AGENCY", Name: "Агентство по делам тестов"}
	refCounterpart = trigger.Party{ID: "1002", Code: "SMDO-MINISTRY", Name: "Министерство проверок"}
)

// refContour is a contour with the agency (the reference СЭД) and a counterpart (a second
// client); it gives their identities and credentials too.
type refContour struct {
	*Contour
	ca           *nca.Authority
	agencyID     *pki.Identity
	counterID    *pki.Identity
	agencyCreds  string
	counterCreds router.Subscriber
}

func startRefContour(t *testing.T) *refContour {
	t.Helper()
	ca, err := nca.New("SMDO reference test CA")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(Config{NCA: ca, Key: pki.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	rc := &refContour{Contour: c, ca: ca}
	var agency router.Subscriber
	rc.agencyID, agency = rc.register(t, refAgency)
	rc.agencyCreds = agency.Username + ":" + agency.Password
	rc.counterID, rc.counterCreds = rc.register(t, refCounterpart)
	return rc
}

func (rc *refContour) register(t *testing.T, p trigger.Party) (*pki.Identity, router.Subscriber) {
	t.Helper()
	id, err := rc.ca.Issue(nca.Subject{CommonName: "СЭД " + p.Code, Organization: p.Name}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rc.Register(router.Subscriber{ID: p.ID, Code: p.Code, Name: p.Name,
		Certificates: []*x509.Certificate{id.Certificate}})
	if err != nil {
		t.Fatal(err)
	}
	return id, s
}

// caPEM is the contour's CA chain as a trigger request brings it.
func (rc *refContour) caPEM() string { return string(pki.PEM(rc.ca.Intermediate(), rc.ca.Root())) }

// receive is the trigger request for the agency's receiving thread, for a window.
func (rc *refContour) receive(ca, window string) trigger.Request {
	return trigger.Request{Action: trigger.Receive, Channel: trigger.SMDO, Gateway: rc.URL, CA: ca,
		SMDO: &trigger.SMDORequest{Credentials: rc.agencyCreds, Subscriber: refAgency, Window: window}}
}

// counterpart is the counterpart's СЭД as a client, sending to the agency.
func (rc *refContour) counterpart() *sed.Client {
	s := rc.counterCreds
	return sed.New(sed.Config{RouterURL: rc.URL, Username: s.Username, Password: s.Password,
		Subscriber: sed.Party{ID: s.ID, Code: s.Code, Name: s.Name}, Identity: rc.counterID,
		HTTPClient:   &http.Client{Transport: &http.Transport{TLSClientConfig: rc.ClientTLS()}, Timeout: 10 * time.Second},
		PollInterval: refPoll, RestartPause: refRestart})
}

func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// systemRootsEnv marks the child process of TestReferenceTrustsSystemRoots.
const systemRootsEnv = "SHEPCONF_TEST_SYSTEM_ROOTS"

// A trigger request without ca leaves the system's own roots in force, for a router whose
// certificate a public CA issued; an empty pool would refuse every server. The system's roots are
// read once per process, so the check runs in a child process whose roots (SSL_CERT_FILE) are the
// contour's CA alone.
func TestReferenceTrustsSystemRoots(t *testing.T) {
	if os.Getenv(systemRootsEnv) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReferenceTrustsSystemRoots$", "-test.v")
		cmd.Env = append(os.Environ(), systemRootsEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("in a process trusting the contour's CA as a system root: %v\n%s", err, out)
		}
		return
	}
	rc := startRefContour(t)
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, []byte(rc.caPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", roots)
	t.Setenv("SSL_CERT_DIR", t.TempDir())
	ref := &Reference{Identity: rc.agencyID, PollInterval: refPoll, RestartPause: refRestart}
	res, err := ref.Fire(within(t, 10*time.Second), rc.receive("", "200ms"))
	if err != nil || res.Outcome != trigger.Received || res.Error != "" {
		t.Fatalf("receive without ca: %+v, %v; want the router trusted by the system's roots", res, err)
	}
	if n := len(rc.Router.Requests()); n == 0 {
		t.Error("no call reached the router")
	}
}

// What the system keeps of a received document is what a reply needs, not its files; the reply
// still names the original (SMDO-REPLY), which the router checks before it routes it.
func TestReferenceKeepsNoReceivedFiles(t *testing.T) {
	rc := startRefContour(t)
	ctx := within(t, 20*time.Second)
	counterpart := rc.counterpart()
	sent := make(chan error, 1)
	var original sed.Sent
	go func() {
		var err error
		original, err = counterpart.Send(ctx, sed.Outgoing{To: []sed.Party{{ID: refAgency.ID, Code: refAgency.Code, Name: refAgency.Name}},
			Title: "Запрос", Files: []sed.File{{Name: "запрос.txt", Data: []byte("содержание запроса")}}})
		sent <- err
	}()
	ref := &Reference{Identity: rc.agencyID, PollInterval: refPoll, RestartPause: refRestart}
	res, err := ref.Fire(ctx, rc.receive(rc.caPEM(), "1s"))
	if err != nil || res.Outcome != trigger.Received || len(res.Taken) != 1 {
		t.Fatalf("receive: %+v, %v", res, err)
	}
	if err := <-sent; err != nil {
		t.Fatalf("the counterpart's send: %v", err)
	}
	s, err := ref.system(rc.receive(rc.caPEM(), "1s"))
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	kept, ok := s.received.get(res.Taken[0].MessageID)
	s.mu.Unlock()
	if !ok || kept.Files != nil || kept.Raw != nil || kept.IDNumber != original.IDNumber || kept.MsgID != original.MsgID {
		t.Fatalf("kept %v: files %d, raw %d bytes, idnumber %q msg_id %q; want no files, the original's ids",
			ok, len(kept.Files), len(kept.Raw), kept.IDNumber, kept.MsgID)
	}
	reply := trigger.Request{Action: trigger.Send, Channel: trigger.SMDO, Gateway: rc.URL, CA: rc.caPEM(),
		Files: map[string]string{"ответ.txt": base64.StdEncoding.EncodeToString([]byte("ответ"))},
		SMDO: &trigger.SMDORequest{Credentials: rc.agencyCreds, Subscriber: refAgency, To: []trigger.Party{refCounterpart},
			Title: "Ответ", RegNumber: "исх-1", ReplyTo: res.Taken[0].MessageID}}
	// The counterpart's receiving thread confirms the reply, so that its receipt comes.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _, _ = counterpart.Run(runCtx) }()
	got, err := ref.Fire(ctx, reply)
	if err != nil || got.Outcome != trigger.Accepted {
		t.Fatalf("reply: %+v, %v", got, err)
	}
	if p, _ := rc.Router.Package(got.MessageID); p.ParentID != res.Taken[0].MessageID {
		t.Errorf("the reply's parentId %q, want the original's package %s", p.ParentID, res.Taken[0].MessageID)
	}
}

// The reference keeps at most maxSystems installations, dropping the least recently used: a
// long-running sample agency meets new credentials in every scenario.
func TestReferenceKeepsFewSystems(t *testing.T) {
	rc := startRefContour(t)
	ref := &Reference{Identity: rc.agencyID}
	request := func(i int) trigger.Request {
		req := rc.receive("", "1s")
		req.SMDO.Credentials = "sed-" + strings.Repeat("x", i) + ":secret"
		return req
	}
	first, err := ref.system(request(0))
	if err != nil {
		t.Fatal(err)
	}
	second, _ := ref.system(request(1))
	for i := 2; i < maxSystems; i++ {
		if _, err := ref.system(request(i)); err != nil {
			t.Fatal(err)
		}
	}
	if again, _ := ref.system(request(0)); again != first {
		t.Fatal("the first installation was not kept while the limit was not reached")
	}
	if _, err := ref.system(request(maxSystems)); err != nil { // one over: the second, least recently used, goes
		t.Fatal(err)
	}
	if n := ref.systems.len(); n != maxSystems {
		t.Errorf("%d installations kept, want %d", n, maxSystems)
	}
	if again, _ := ref.system(request(0)); again != first {
		t.Error("the recently used first installation was dropped")
	}
	if again, _ := ref.system(request(1)); again == second {
		t.Error("the least recently used installation was kept beyond the limit")
	}
}
