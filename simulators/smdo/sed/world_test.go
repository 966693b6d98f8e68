package sed

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/smdo/router"
)

// The short periods of the tests: the rules' 5 minutes and 10 seconds shrunk.
const (
	testPoll    = 50 * time.Millisecond
	testRestart = 100 * time.Millisecond
)

// world is the real router over TLS with three subscribers: the agency (the system under test, a
// Client), the ministry (a second Client, for exchanges between two systems) and the registry, whose
// СЭД the router plays (a Script).
type world struct {
	t        *testing.T
	router   *router.Router
	url      string
	hc       *http.Client
	ca       *nca.Authority
	ids      map[string]*pki.Identity
	agency   Party
	ministry Party
	registry Party
}

var (
	agencyParty   = Party{ID: "1001", Code: "SMDO-AGENCY", Name: "Агентство по делам тестов"}
	ministryParty = Party{ID: "1002", Code: "SMDO-MINISTRY", Name: "Министерство проверок"}
	registryParty = Party{ID: "1003", Code: "SMDO-REGISTRY", Name: "Государственный реестр"}
)

func newWorld(t *testing.T, opts ...router.Option) *world {
	t.Helper()
	ca, err := nca.New("SMDO client test")
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]router.Option{router.WithVerifier(cms.Verifier{Roots: ca.Roots(), Intermediates: ca.Intermediates()})}, opts...)
	r, err := router.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, router: r, ca: ca, ids: map[string]*pki.Identity{},
		agency: agencyParty, ministry: ministryParty, registry: registryParty}
	w.subscribe(w.agency, nil)
	w.subscribe(w.ministry, nil)
	w.subscribe(w.registry, &router.Script{RegNumber: "вх-77"})
	srv := httptest.NewTLSServer(r)
	t.Cleanup(srv.Close)
	w.url, w.hc = srv.URL+"/", srv.Client()
	return w
}

func (w *world) subscribe(p Party, s *router.Script) {
	w.t.Helper()
	id, err := w.ca.Issue(nca.Subject{CommonName: "СЭД " + p.Code, Organization: p.Name}, pki.ECDSAP256)
	if err != nil {
		w.t.Fatal(err)
	}
	w.ids[p.ID] = id
	if err := w.router.AddSubscriber(router.Subscriber{ID: p.ID, Code: p.Code, Name: p.Name,
		Username: "user-" + p.ID, Password: "secret-" + p.ID, Certificates: []*x509.Certificate{id.Certificate},
		Script: s}); err != nil {
		w.t.Fatal(err)
	}
}

// config is the client configuration of subscriber p with the tests' short periods.
func (w *world) config(p Party, defects ...string) Config {
	return Config{RouterURL: w.url, Username: "user-" + p.ID, Password: "secret-" + p.ID, Subscriber: p,
		Identity: w.ids[p.ID], HTTPClient: w.hc, PollInterval: testPoll,
		RestartPause: testRestart, Defects: defects}
}

// requests are the router's log of subscriber id's calls, of the ops given (all when none).
func (w *world) requests(id string, ops ...string) []router.Request {
	var out []router.Request
	for _, r := range w.router.Requests() {
		if r.Subscriber == id && (len(ops) == 0 || slices.Contains(ops, r.Op)) {
			out = append(out, r)
		}
	}
	return out
}

func opsOf(rs []router.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Op
	}
	return out
}

// letter is a document of two files to p.
func letter(to ...Party) Outgoing {
	return Outgoing{To: to, Kind: "Письмо", Title: "О проверке связи", RegNumber: "01-12/345",
		Files: []File{{Name: "Письмо.pdf", Data: []byte("%PDF-1.4 письмо")}, {Name: "Приложение.docx", Data: []byte("PK приложение")}}}
}

// within is a context ending after d, so that a client that never gets its answer fails the test
// instead of hanging it.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// bodyOf reads the body of a package the router holds.
func (w *world) bodyOf(id string) (router.Package, *envelop) {
	w.t.Helper()
	p, ok := w.router.Package(id)
	if !ok {
		w.t.Fatalf("the router has no package %s", id)
	}
	var b packetBody
	if err := json.Unmarshal(p.Body, &b); err != nil || b.Envelop == nil {
		w.t.Fatalf("package %s: body %s: %v", id, p.Body, err)
	}
	return p, b.Envelop
}

// post runs the sending sequence of o without waiting for the receipt: the counterpart's side of
// a test of receiving.
func post(t *testing.T, c *Client, o Outgoing) (packageID, msgID string) {
	t.Helper()
	p, files, err := c.compose(o)
	if err != nil {
		t.Fatal(err)
	}
	c.out.add(p.Body.Envelop.MsgID, receiversOf(p))
	id, err := c.transmit(context.Background(), p, files)
	if err != nil {
		t.Fatal(err)
	}
	return id, p.Body.Envelop.MsgID
}

func contextWithCancel(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithCancel(parent)
}
