package post

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

const recipientPath = "/gospochta/api/v1/recipients/R-0001"

func TestRecipient(t *testing.T) {
	e := newEnv(t)
	r := e.do(e.agency, e.request(http.MethodGet, recipientPath, nil))
	var got wire.Recipient
	if r.status != http.StatusOK || json.Unmarshal(r.body, &got) != nil {
		t.Fatalf("answered %d %s", r.status, r.body)
	}
	if got.ID != "R-0001" || got.Kind != KindPerson || got.KeyID != "K-1" || got.Name != "Иванов Иван Иванович" {
		t.Errorf("recipient %+v", got)
	}
	// The key it gives opens what is sealed with it.
	f := seal(t, "R-0001", "inn", "7707083893")
	key, _ := decodeB64(got.Key)
	if v, err := wire.OpenField(key, "R-0001", "inn", f); err != nil || v != "7707083893" {
		t.Errorf("the key answered does not open a field: %v", err)
	}
	r = e.do(e.agency, e.request(http.MethodGet, "/gospochta/api/v1/recipients/R-9999", nil))
	e.refusal(r, http.StatusNotFound, wire.CodeRecipientUnknown, "GP-W-KIND", "recipientId")
}

// The five checks of every request, each refused with its rule, and in their order.
func TestAdmission(t *testing.T) {
	e := newEnv(t)
	_, ids := authority(t)
	tls12 := e.client(ids["agency"], tls.VersionTLS12)
	noCert := e.client(nil, tls.VersionTLS13)
	stranger := e.client(ids["stranger"], tls.VersionTLS13)
	forged := e.client(foreign, tls.VersionTLS13)
	repeated := uuid.NewString()
	e.do(e.agency, resign(withHeader(e.request(http.MethodGet, recipientPath, nil), wire.HeaderRequestID, repeated), agencyKey, nil))

	cases := []struct {
		name   string
		client *http.Client
		req    func() *http.Request
		status int
		code   string
		rule   string
		field  string
	}{
		{"TLS 1.2", tls12, get(e), 401, wire.CodeClientCert, "GP-W-MTLS", "TLS"},
		{"no client certificate", noCert, get(e), 401, wire.CodeClientCert, "GP-W-MTLS", "TLS"},
		{"unregistered certificate", stranger, get(e), 401, wire.CodeClientCert, "GP-W-MTLS", "TLS"},
		{"another CA's certificate of the same name", forged, get(e), 401, wire.CodeClientCert, "GP-W-MTLS", "TLS"},
		{"the checks' order: the certificate first", noCert, func() *http.Request {
			return withHeader(withHeader(get(e)(), "Authorization", ""), wire.HeaderRequestID, "")
		}, 401, wire.CodeClientCert, "GP-W-MTLS", "TLS"},
		{"no request id", e.agency, func() *http.Request { return withHeader(get(e)(), wire.HeaderRequestID, "") },
			400, wire.CodeRequestID, "GP-W-AUDIT", wire.HeaderRequestID},
		{"request id not a UUID", e.agency, func() *http.Request { return withHeader(get(e)(), wire.HeaderRequestID, "req-1") },
			400, wire.CodeRequestID, "GP-W-AUDIT", wire.HeaderRequestID},
		{"request id without hyphens", e.agency, func() *http.Request {
			return withHeader(get(e)(), wire.HeaderRequestID, strings.ReplaceAll(uuid.NewString(), "-", ""))
		}, 400, wire.CodeRequestID, "GP-W-AUDIT", wire.HeaderRequestID},
		{"request id repeated", e.agency, func() *http.Request {
			return resign(withHeader(get(e)(), wire.HeaderRequestID, strings.ToUpper(repeated)), agencyKey, nil)
		}, 400, wire.CodeRequestID, "GP-W-AUDIT", wire.HeaderRequestID},
		{"no token", e.agency, func() *http.Request { return withHeader(get(e)(), "Authorization", "") },
			401, wire.CodeUnauthorized, "GP-W-AUTH", "Authorization"},
		{"Basic, not Bearer", e.agency, func() *http.Request { return withHeader(get(e)(), "Authorization", "Basic dXNlcjpwYXNz") },
			401, wire.CodeUnauthorized, "GP-W-AUTH", "Authorization"},
		{"unknown token", e.agency, func() *http.Request { return withHeader(get(e)(), "Authorization", "Bearer forged") },
			401, wire.CodeUnauthorized, "GP-W-AUTH", "Authorization"},
		{"expired token", e.agency, func() *http.Request { return withHeader(get(e)(), "Authorization", "Bearer "+tokExpired) },
			401, wire.CodeTokenExpired, "GP-W-REFRESH", "Authorization"},
		{"another system's token", e.agency, func() *http.Request { return withHeader(get(e)(), "Authorization", "Bearer "+tokOther) },
			401, wire.CodeUnauthorized, "GP-W-AUTH", "Authorization"},
		{"client's role", e.agency, func() *http.Request { return withHeader(get(e)(), "Authorization", "Bearer "+tokClient) },
			403, wire.CodeAccessDenied, "GP-W-ROLE", "Authorization"},
		{"the checks' order: the role before the HMAC", e.agency, func() *http.Request {
			return withHeader(withHeader(get(e)(), "Authorization", "Bearer "+tokClient), wire.HeaderHMAC, "")
		}, 403, wire.CodeAccessDenied, "GP-W-ROLE", "Authorization"},
		{"no HMAC", e.agency, func() *http.Request { return withHeader(get(e)(), wire.HeaderHMAC, "") },
			401, wire.CodeHMAC, "GP-W-HMAC", wire.HeaderHMAC},
		{"HMAC under another key", e.agency, func() *http.Request { return resign(get(e)(), otherKey, nil) },
			401, wire.CodeHMAC, "GP-W-HMAC", wire.HeaderHMAC},
		{"HMAC of another request id", e.agency, func() *http.Request {
			return withHeader(get(e)(), wire.HeaderRequestID, uuid.NewString())
		}, 401, wire.CodeHMAC, "GP-W-HMAC", wire.HeaderHMAC},
		{"HMAC over another body", e.agency, func() *http.Request {
			body := mustJSON(t, e.outgoing("подписанное"))
			req := e.request(http.MethodPost, wire.PathMessages, body)
			resign(req, agencyKey, append(body, ' '))
			return req
		}, 401, wire.CodeHMAC, "GP-W-HMAC", wire.HeaderHMAC},
		{"HMAC of another path", e.agency, func() *http.Request {
			req := get(e)()
			wire.SignPacket(agencyKey, req, nil)
			req.URL.Path = "/gospochta/api/v1/recipients/R-0002"
			return req
		}, 401, wire.CodeHMAC, "GP-W-HMAC", wire.HeaderHMAC},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			r := e.do(c.client, c.req())
			e.refusal(r, c.status, c.code, c.rule, c.field)
			if c.status == http.StatusUnauthorized && c.code != wire.CodeClientCert && c.code != wire.CodeHMAC &&
				r.header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	e.t = t

	// The administrator's role sends too; the audit names the token by fingerprint and role.
	r := e.do(e.agency, withHeader(e.request(http.MethodGet, recipientPath, nil), "Authorization", "Bearer "+tokAdmin))
	if r.status != http.StatusOK {
		t.Fatalf("administrator answered %d %s", r.status, r.body)
	}
	last := e.lastIn()
	if last.TokenRole != wire.RoleAdministrator || last.TokenID == "" || strings.Contains(last.TokenID, tokAdmin) ||
		last.System != "GP_AGENCY" || last.Endpoint != "recipient" {
		t.Errorf("audit entry %+v", last)
	}
}

// Plain HTTP (a contour behind no TLS) is refused: the channel is not the system's.
func TestPlainHTTPRefused(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.s.Handler())
	t.Cleanup(srv.Close)
	req := e.request(http.MethodGet, recipientPath, nil)
	req.URL.Scheme, req.URL.Host = "http", strings.TrimPrefix(srv.URL, "http://")
	r := e.do(srv.Client(), req)
	e.refusal(r, http.StatusUnauthorized, wire.CodeClientCert, "GP-W-MTLS", "TLS")
}

// A certificate registered but expired on the service's clock does not open the channel.
func TestExpiredClientCertificate(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(2 * 365 * 24 * time.Hour)
	r := e.do(e.agency, e.request(http.MethodGet, recipientPath, nil))
	e.refusal(r, http.StatusUnauthorized, wire.CodeClientCert, "GP-W-MTLS", "TLS")
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, WithLimits(Limits{MaxBodyBytes: 1 << 10}))
	body := bytes.Repeat([]byte("x"), 2<<10)
	r := e.do(e.agency, e.request(http.MethodPost, wire.PathMessages, body))
	e.refusal(r, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "GP-W-KIND", "body")
}

func TestUnknownPathAndMethod(t *testing.T) {
	e := newEnv(t)
	r := e.do(e.agency, e.request(http.MethodGet, "/gospochta/api/v1/nothing", nil))
	e.refusal(r, http.StatusNotFound, wire.CodeInvalid, "GP-W-KIND", "path")
	r = e.do(e.agency, e.request(http.MethodDelete, "/gospochta/api/v1/messages/x", nil))
	e.refusal(r, http.StatusMethodNotAllowed, wire.CodeInvalid, "GP-W-KIND", "method")
	if r.header.Get("Allow") != "GET" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
}

// A panic is answered 500 with the error body and audited; the service goes on.
func TestPanicIsAnswered(t *testing.T) {
	e := newEnv(t)
	r := e.do(e.agency, withHeader(e.request(http.MethodGet, recipientPath, nil), "Authorization", "Bearer "+tokPanic))
	var body wire.Error
	if r.status != http.StatusInternalServerError || json.Unmarshal(r.body, &body) != nil || !strings.Contains(body.Message, "panic") {
		t.Fatalf("answered %d %s", r.status, r.body)
	}
	last := e.lastIn()
	if last.Status != http.StatusInternalServerError || !strings.Contains(last.Error, "stub Authenticate") || last.Rule != "" {
		t.Errorf("audit entry %+v", last)
	}
	if r := e.do(e.agency, e.request(http.MethodGet, recipientPath, nil)); r.status != http.StatusOK {
		t.Errorf("after a panic answered %d", r.status)
	}
}

// The audit log is a bounded ring with bounded entries.
func TestAuditIsBounded(t *testing.T) {
	e := newEnv(t, WithLogLimit(3))
	for range 5 {
		e.do(e.agency, e.request(http.MethodGet, recipientPath, nil))
	}
	long := "/gospochta/api/v1/recipients/" + strings.Repeat("я", 5000)
	e.do(e.agency, e.request(http.MethodGet, long, nil))
	a := e.s.Audit()
	if len(a) != 3 {
		t.Fatalf("%d entries, want 3", len(a))
	}
	if last := a[2]; len(last.Path) > logFieldLimit || last.Status != http.StatusNotFound {
		t.Errorf("last entry: %d bytes of path, status %d", len(last.Path), last.Status)
	}
}

func TestNewAndRegistrations(t *testing.T) {
	_, ids := authority(t)
	if _, err := New(stubAuth); err == nil {
		t.Error("New without a signer succeeded")
	}
	if _, err := New(nil, WithSigner(ids["service"])); err == nil {
		t.Error("New without Authenticate succeeded")
	}
	e := newEnv(t)
	bad := []System{
		{Certificates: e.agencyCerts(), HMACKey: agencyKey},
		{Mnemonic: "X"},
		{Mnemonic: "X", Certificates: e.agencyCerts(), HMACKey: []byte("short")},
		{Mnemonic: "X", Certificates: e.agencyCerts(), HMACKey: agencyKey}, // GP_AGENCY's certificate
	}
	for i, s := range bad {
		if err := e.s.AddSystem(s); err == nil {
			t.Errorf("system %d taken", i)
		}
	}
	for i, r := range []Recipient{
		{Kind: KindPerson, KeyID: "k", Key: rcptKey},
		{ID: "R", Kind: "robot", KeyID: "k", Key: rcptKey},
		{ID: "R", Kind: KindPerson, Key: rcptKey},
		{ID: "R", Kind: KindPerson, KeyID: "k", Key: rcptKey[:16]},
	} {
		if err := e.s.AddRecipient(r); err == nil {
			t.Errorf("recipient %d taken", i)
		}
	}
	// Re-registering a system keeps the request ids it spent (GP-W-AUDIT).
	id := uuid.NewString()
	e.do(e.agency, resign(withHeader(e.request(http.MethodGet, recipientPath, nil), wire.HeaderRequestID, id), agencyKey, nil))
	if err := e.s.AddSystem(System{Mnemonic: "GP_AGENCY", Certificates: e.agencyCerts(), HMACKey: agencyKey}); err != nil {
		t.Fatal(err)
	}
	r := e.do(e.agency, resign(withHeader(e.request(http.MethodGet, recipientPath, nil), wire.HeaderRequestID, id), agencyKey, nil))
	e.refusal(r, http.StatusBadRequest, wire.CodeRequestID, "GP-W-AUDIT", wire.HeaderRequestID)
}

func TestSeenSetIsBounded(t *testing.T) {
	s := seenSet{cap: 2}
	for _, v := range []string{"a", "b", "c", "c"} {
		s.add(v)
	}
	if s.has("a") || !s.has("b") || !s.has("c") || len(s.set) != 2 || len(s.order) != 2 {
		t.Errorf("set %+v", s)
	}
}
