package agency

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/gospochta/geps"
	"github.com/shepconf/shepconf/simulators/gospochta/post"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
	"github.com/shepconf/shepconf/simulators/nca"
)

// The short periods of these tests: the rules' hour, 30 seconds and 2 minutes shrunk.
const (
	testSearchWait = 300 * time.Millisecond
	testDelivery   = 150 * time.Millisecond
	testRead       = 150 * time.Millisecond
	testPoll       = 350 * time.Millisecond
	testStatus     = 50 * time.Millisecond
)

const (
	testMnemonic  = "GP_AGENCY"
	testRecipient = "R-0001"
)

// world is a contour of the real simulated services on one TLS 1.3 server, as the lead's
// assembly/gospochta puts them together, and the agency's registration in it.
type world struct {
	ca       *nca.Authority
	esia     *esia.ESIA
	geps     *geps.Service
	post     *post.Service
	url      string
	id       *pki.Identity // the agency system's
	apiKey   []byte
	hmacKey  []byte
	org      string
	notifier *httptest.Server // serves the client's NotificationHandler, once set
}

func newWorld(t *testing.T, opts ...geps.Option) *world {
	t.Helper()
	ca, err := nca.New("Gospochta agency test CA")
	if err != nil {
		t.Fatal(err)
	}
	e, err := esia.New(esia.WithTrust(ca.Roots(), ca.Intermediates()))
	if err != nil {
		t.Fatal(err)
	}
	auth := func(token string) (wire.Caller, error) {
		at, err := e.VerifyAccessToken(token)
		if errors.Is(err, esia.ErrTokenExpired) {
			return wire.Caller{}, errors.Join(wire.ErrTokenExpired, err)
		}
		if err != nil {
			return wire.Caller{}, err
		}
		return wire.Caller{System: at.ClientID, OrgOID: at.OrgOID, Subject: at.Subject, Roles: at.Roles}, nil
	}
	signer, err := ca.Issue(nca.Subject{CommonName: "Госпочта", Organization: "Минцифры"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	g := geps.New(auth, append([]geps.Option{geps.WithSearchWait(testSearchWait)}, opts...)...)
	p, err := post.New(auth, post.WithSigner(signer), post.WithVerifier(cms.Verifier{Roots: ca.Roots(), Intermediates: ca.Intermediates()}),
		post.WithDeliveryDelay(testDelivery), post.WithReadDelay(testRead), post.WithRetryPause(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	mux := http.NewServeMux()
	mux.Handle("/aas/", e.Handler())
	mux.Handle("/esia-rs/", e.Handler())
	mux.Handle(wire.ReadBase+"/", g.Handler())
	mux.Handle(wire.SendBase+"/", p.Handler())
	srv := httptest.NewUnstartedServer(mux)
	serverID, err := ca.IssueServer(nca.Subject{CommonName: "127.0.0.1"}, pki.ECDSAP256, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverID.TLSCertificate()}, MinVersion: tls.VersionTLS13,
		ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	w := &world{ca: ca, esia: e, geps: g, post: p, url: srv.URL}
	if w.id, err = ca.Issue(nca.Subject{CommonName: "ИС " + testMnemonic, Organization: "Агентство"}, pki.ECDSAP256); err != nil {
		t.Fatal(err)
	}
	if err := e.Register(esia.System{Mnemonic: testMnemonic, Certificates: []*x509.Certificate{w.id.Certificate},
		Roles: []string{wire.RoleOperator, wire.RoleClient, wire.RoleHead}}); err != nil {
		t.Fatal(err)
	}
	sys, _ := e.System(testMnemonic)
	w.org = sys.OrgOID
	if w.apiKey, err = e.IssueAPIKey(testMnemonic); err != nil {
		t.Fatal(err)
	}
	w.hmacKey = randomKey(t)
	if err := p.AddSystem(post.System{Mnemonic: testMnemonic, Certificates: []*x509.Certificate{w.id.Certificate}, HMACKey: w.hmacKey}); err != nil {
		t.Fatal(err)
	}
	if err := p.AddRecipient(post.Recipient{ID: testRecipient, Name: "Иванов Иван Иванович", Kind: post.KindPerson,
		KeyID: "K-0001", Key: randomKey(t)}); err != nil {
		t.Fatal(err)
	}
	return w
}

func randomKey(t *testing.T) []byte {
	k := make([]byte, wire.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// client is the agency's client in the world, with its notifications served.
func (w *world) client(t *testing.T, defects ...string) *Client {
	t.Helper()
	c, err := New(Config{ESIAURL: w.url, APIURL: w.url, Mnemonic: testMnemonic, Identity: w.id, APIKey: w.apiKey,
		HMACKey: w.hmacKey, Roots: w.ca.Roots(), PollPause: testPoll, StatusPause: testStatus, Defects: defects})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	w.notifier = httptest.NewServer(c.NotificationHandler())
	t.Cleanup(w.notifier.Close)
	return c
}

func (w *world) outgoing() Outgoing {
	return Outgoing{Kind: wire.KindCourtNotice, RecipientID: testRecipient, Subject: "Судебное извещение",
		FileName: "notice.pdf", MimeType: "application/pdf", Document: []byte("%PDF-1.7 извещение"),
		PersonalData: map[string]string{wire.FieldFullName: "Иванов Иван Иванович", "snils": "112-233-445 95"},
		NotifyURL:    w.notifier.URL + "/notify/" + testMnemonic}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
