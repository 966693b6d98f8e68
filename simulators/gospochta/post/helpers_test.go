package post

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
	"github.com/shepconf/shepconf/simulators/nca"
)

// The test CA and the identities it issued are made once: key generation is the slow part.
var (
	caOnce   sync.Once
	testCA   *nca.Authority
	idents   map[string]*pki.Identity // agency, other (another system), stranger (registered nowhere), service, server
	foreign  *pki.Identity            // issued by another CA
	caFailed error
)

func authority(t *testing.T) (*nca.Authority, map[string]*pki.Identity) {
	t.Helper()
	caOnce.Do(func() {
		testCA, caFailed = nca.New("Test Gospochta CA")
		if caFailed != nil {
			return
		}
		idents = map[string]*pki.Identity{}
		for _, n := range []string{"agency", "other", "stranger", "service"} {
			if idents[n], caFailed = testCA.Issue(nca.Subject{CommonName: n + " system", Organization: n}, pki.ECDSAP256); caFailed != nil {
				return
			}
		}
		if idents["server"], caFailed = testCA.IssueServer(nca.Subject{CommonName: "gospochta"}, pki.ECDSAP256, "127.0.0.1", "localhost"); caFailed != nil {
			return
		}
		other, err := nca.New("Other CA")
		if err != nil {
			caFailed = err
			return
		}
		foreign, caFailed = other.Issue(nca.Subject{CommonName: "agency system"}, pki.ECDSAP256)
	})
	if caFailed != nil {
		t.Fatal(caFailed)
	}
	return testCA, idents
}

// Tokens the stub Authenticate knows.
const (
	tokOperator = "operator-token"
	tokAdmin    = "admin-token"
	tokClient   = "client-token"
	tokExpired  = "expired-token"
	tokOther    = "other-system-token"
	tokOtherOp  = "other-operator-token"
	tokPanic    = "panic-token"
)

func stubAuth(token string) (wire.Caller, error) {
	switch token {
	case tokOperator:
		return wire.Caller{System: "GP_AGENCY", Roles: []string{wire.RoleOperator}}, nil
	case tokAdmin:
		return wire.Caller{System: "GP_AGENCY", Roles: []string{wire.RoleAdministrator}}, nil
	case tokClient:
		return wire.Caller{System: "GP_AGENCY", Roles: []string{wire.RoleClient}}, nil
	case tokExpired:
		return wire.Caller{}, fmt.Errorf("token of GP_AGENCY: %w", wire.ErrTokenExpired)
	case tokOther, tokOtherOp:
		return wire.Caller{System: "GP_OTHER", Roles: []string{wire.RoleOperator}}, nil
	case tokPanic:
		panic("the stub Authenticate fails")
	}
	return wire.Caller{}, fmt.Errorf("not a token ESIA issued")
}

var (
	agencyKey = bytes.Repeat([]byte{0xA1}, wire.KeySize)
	otherKey  = bytes.Repeat([]byte{0xB2}, wire.KeySize)
	rcptKey   = bytes.Repeat([]byte{0xC3}, wire.KeySize)
)

type env struct {
	t      *testing.T
	s      *Service
	clock  *clock.Virtual
	url    string
	ids    map[string]*pki.Identity
	agency *http.Client // TLS 1.3 with the agency's certificate
	other  *http.Client // TLS 1.3 with the other system's certificate
	roots  *x509.CertPool
	notify *notifySink
}

// fast are the delays of most tests: short, so a message's life takes a fraction of a second.
func fast() []Option {
	return []Option{WithDeliveryDelay(30 * time.Millisecond), WithReadDelay(30 * time.Millisecond), WithRetryPause(10 * time.Millisecond)}
}

func newEnv(t *testing.T, opts ...Option) *env {
	t.Helper()
	ca, ids := authority(t)
	vc := clock.NewVirtual(time.Now().Truncate(time.Second))
	all := append([]Option{WithClock(vc), WithSigner(ids["service"]),
		WithVerifier(cms.Verifier{Roots: ca.Roots(), Intermediates: ca.Intermediates()}),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	s, err := New(stubAuth, all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.AddSystem(System{Mnemonic: "GP_AGENCY", Certificates: []*x509.Certificate{ids["agency"].Certificate}, HMACKey: agencyKey}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSystem(System{Mnemonic: "GP_OTHER", Certificates: []*x509.Certificate{ids["other"].Certificate}, HMACKey: otherKey}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRecipient(Recipient{ID: "R-0001", Name: "Иванов Иван Иванович", Kind: KindPerson, KeyID: "K-1", Key: rcptKey}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	// TLS 1.2 is allowed here so that the service's own refusal of it (GP-W-MTLS) is tested.
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ids["server"].TLSCertificate()}, ClientAuth: tls.RequestClientCert,
		MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e := &env{t: t, s: s, clock: vc, url: srv.URL, ids: ids, roots: ca.Roots(), notify: newNotifySink(t)}
	e.agency = e.client(ids["agency"], tls.VersionTLS13)
	e.other = e.client(ids["other"], tls.VersionTLS13)
	return e
}

// client is an HTTPS client trusting the test CA, presenting id (nil: no certificate), with at
// most TLS version max.
func (e *env) client(id *pki.Identity, max uint16) *http.Client {
	cfg := &tls.Config{RootCAs: e.roots, MaxVersion: max}
	if id != nil {
		cfg.Certificates = []tls.Certificate{id.TLSCertificate()}
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	e.t.Cleanup(c.CloseIdleConnections)
	return c
}

// request is a request as a good client makes it: a new request id, the operator's token and the
// packet's HMAC under the agency's key.
func (e *env) request(method, path string, body []byte) *http.Request {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set(wire.HeaderRequestID, uuid.NewString())
	req.Header.Set("Authorization", "Bearer "+tokOperator)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	wire.SignPacket(agencyKey, req, body)
	return req
}

// resign sets a request's HMAC again after a change (its id, its path).
func resign(req *http.Request, key, body []byte) *http.Request {
	wire.SignPacket(key, req, body)
	return req
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(c *http.Client, req *http.Request) reply {
	e.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// refusal checks an error answer: its status and code, and the rule and field its audit entry
// names.
func (e *env) refusal(r reply, status int, code, ruleID, field string) {
	e.t.Helper()
	var body wire.Error
	if err := json.Unmarshal(r.body, &body); err != nil {
		e.t.Fatalf("answer %d is not the error body: %v: %s", r.status, err, r.body)
	}
	if r.status != status || body.Code != code {
		e.t.Fatalf("answered %d %s (%s), want %d %s", r.status, body.Code, body.Message, status, code)
	}
	if !strings.Contains(body.Message, "breaks "+ruleID) || !strings.Contains(body.Message, "Fix: ") {
		e.t.Errorf("the message does not name rule %s and the fix: %s", ruleID, body.Message)
	}
	last := e.lastIn()
	if last.Status != status || last.Code != code || last.Rule != ruleID || last.Breach == nil {
		e.t.Errorf("audit entry %+v, want status %d code %s rule %s", last, status, code, ruleID)
	}
	if field != "" && (last.Breach == nil || last.Breach.Field.String() != field) {
		e.t.Errorf("the breach names field %q, want %q", last.Breach.Field, field)
	}
}

// lastIn is the newest audit entry of a request (pushes may have come after it).
func (e *env) lastIn() AuditEntry {
	e.t.Helper()
	a := e.s.Audit()
	for i := len(a) - 1; i >= 0; i-- {
		if a[i].Direction == DirectionIn {
			return a[i]
		}
	}
	e.t.Fatal("no request audited")
	return AuditEntry{}
}

// settled says the service holds message id settled: read, every push finished.
func (e *env) settled(id string) bool {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	m := e.s.messages[id]
	return m != nil && m.settled()
}

// outgoing is a good message to R-0001: a signed document, sealed personal data.
func (e *env) outgoing(doc string) wire.OutgoingMessage {
	e.t.Helper()
	content := []byte(doc)
	sig, err := cms.SignDetached(e.ids["agency"], content)
	if err != nil {
		e.t.Fatal(err)
	}
	return wire.OutgoingMessage{Kind: wire.KindCourtNotice, RecipientID: "R-0001", Subject: "Судебное извещение",
		Document: wire.Document{FileName: "notice.pdf", MimeType: "application/pdf",
			Content: base64.StdEncoding.EncodeToString(content), Signature: base64.StdEncoding.EncodeToString(sig)},
		PersonalData: wire.PersonalData{KeyID: "K-1", Fields: map[string]wire.EncryptedField{
			wire.FieldFullName: seal(e.t, "R-0001", wire.FieldFullName, "Иванов Иван Иванович"),
			"snils":            seal(e.t, "R-0001", "snils", "112-233-445 95"),
		}},
		NotifyURL: e.notify.url + "/notify/GP_AGENCY"}
}

func seal(t *testing.T, recipient, field, text string) wire.EncryptedField {
	t.Helper()
	f, err := wire.SealField(rcptKey, recipient, field, text)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sendOK sends m and returns the service's answer.
func (e *env) sendOK(m wire.OutgoingMessage) wire.Accepted {
	e.t.Helper()
	body := mustJSON(e.t, m)
	r := e.do(e.agency, e.request(http.MethodPost, wire.PathMessages, body))
	if r.status != http.StatusCreated {
		e.t.Fatalf("send answered %d: %s", r.status, r.body)
	}
	var a wire.Accepted
	if err := json.Unmarshal(r.body, &a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// notifySink is a sender's notifyUrl: it checks each push's HMAC and request id, and answers the
// first fail pushes with 503.
type notifySink struct {
	url  string
	mu   sync.Mutex
	got  []wire.Notification
	ids  []string
	bad  []string // why a push was not as it should be
	fail int
}

func newNotifySink(t *testing.T) *notifySink {
	n := &notifySink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n.mu.Lock()
		defer n.mu.Unlock()
		if !wire.VerifyPacket(agencyKey, r, body) {
			n.bad = append(n.bad, "HMAC does not verify")
		}
		if _, err := uuid.Parse(r.Header.Get(wire.HeaderRequestID)); err != nil {
			n.bad = append(n.bad, "request id "+r.Header.Get(wire.HeaderRequestID))
		}
		n.ids = append(n.ids, r.Header.Get(wire.HeaderRequestID))
		if n.fail > 0 {
			n.fail--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var got wire.Notification
		if err := json.Unmarshal(body, &got); err != nil {
			n.bad = append(n.bad, "body "+string(body))
		}
		n.got = append(n.got, got)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	n.url = srv.URL
	return n
}

func (n *notifySink) received() []wire.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]wire.Notification(nil), n.got...)
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// withHeader sets (or, with "", removes) a header without signing the packet again.
func withHeader(req *http.Request, name, value string) *http.Request {
	if value == "" {
		req.Header.Del(name)
	} else {
		req.Header.Set(name, value)
	}
	return req
}

// get makes the good GET of the recipient.
func get(e *env) func() *http.Request {
	return func() *http.Request { return e.request(http.MethodGet, "/gospochta/api/v1/recipients/R-0001", nil) }
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func (e *env) agencyCerts() []*x509.Certificate {
	return []*x509.Certificate{e.ids["agency"].Certificate}
}
