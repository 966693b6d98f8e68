package esia_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// Each /ac refusal is provoked by the request that breaks it. Until client_id and redirect_uri are
// known good ESIA answers the error itself (no redirect to an unchecked URI); after, it sends the
// user back to redirect_uri with error, error_description and state.
func TestAuthorizeRefusals(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name      string
		by        func() *pki.Identity // signer; nil: system A's
		pre, post func(url.Values)
		code      string // ESIA code, "" for not supported
		oauth     string
		redirect  bool
	}{
		{name: "client_id missing", post: del("client_id"), code: "ESIA-007014", oauth: "invalid_request"},
		{name: "client_id unknown", pre: set("client_id", "NOBODY"), code: "ESIA-008010", oauth: "invalid_client"},
		{name: "redirect_uri missing", post: del("redirect_uri"), code: "ESIA-007014", oauth: "invalid_request"},
		{name: "redirect_uri not registered", pre: set("redirect_uri", "https://evil.example/cb"), code: "ESIA-007023", oauth: "invalid_request"},
		{name: "scope sent twice", post: func(v url.Values) { v.Add("scope", "openid") }, code: "ESIA-007003", oauth: "invalid_request"},
		{name: "timestamp missing", post: del("timestamp"), code: "ESIA-007014", oauth: "invalid_request", redirect: true},
		{name: "client_secret missing", post: del("client_secret"), code: "ESIA-007014", oauth: "invalid_request", redirect: true},
		{name: "state missing", post: del("state"), code: "ESIA-007014", oauth: "invalid_request", redirect: true},
		{name: "response_type missing", post: del("response_type"), code: "ESIA-007014", oauth: "invalid_request", redirect: true},
		{name: "scope missing", post: del("scope"), code: "ESIA-007013", oauth: "invalid_request", redirect: true},
		{name: "response_type token", post: set("response_type", "token"), code: "ESIA-007009", oauth: "unsupported_response_type", redirect: true},
		{name: "access_type wrong", post: set("access_type", "always"), code: "ESIA-007003", oauth: "invalid_request", redirect: true},
		{name: "state not a UUID", pre: set("state", "abc123"), code: "ESIA-007003", oauth: "invalid_request", redirect: true},
		{name: "timestamp in RFC 3339", pre: set("timestamp", time.Now().UTC().Format(time.RFC3339)), code: "ESIA-007003", oauth: "invalid_request", redirect: true},
		{name: "timestamp 6 minutes old", pre: set("timestamp", esia.Timestamp(f.clk.Now().Add(-6*time.Minute))), code: "ESIA-007015", oauth: "invalid_request", redirect: true},
		{name: "timestamp 6 minutes ahead", pre: set("timestamp", esia.Timestamp(f.clk.Now().Add(6*time.Minute))), code: "ESIA-007015", oauth: "invalid_request", redirect: true},
		{name: "scope not granted", pre: set("scope", "openid snils_secret"), code: "ESIA-007006", oauth: "invalid_scope", redirect: true},
		{name: "org scope of another organisation", pre: set("scope", "openid http://esia.gosuslugi.ru/org_ogrn?org_oid=999"), code: "ESIA-007194", oauth: "invalid_scope", redirect: true},
		{name: "secret over other data", post: set("redirect_uri", redirectB), code: "ESIA-007053", oauth: "invalid_client", redirect: true},
		{name: "secret not base64", post: set("client_secret", "%%%"), code: "ESIA-007053", oauth: "invalid_client", redirect: true},
		{name: "secret signed by another system's certificate", by: func() *pki.Identity { return shared.idB }, code: "ESIA-007002", oauth: "invalid_client", redirect: true},
		{name: "secret by a certificate not registered", by: func() *pki.Identity { return shared.idOther }, code: "ESIA-007002", oauth: "invalid_client", redirect: true},
		{name: "secret by a certificate of another CA", by: func() *pki.Identity { return shared.idForeign }, code: "ESIA-007002", oauth: "invalid_client", redirect: true},
		{name: "client_certificate_hash of another certificate", post: set("client_certificate_hash", esia.CertificateHash(shared.idB.Certificate)), code: "ESIA-007002", oauth: "invalid_client", redirect: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			by := shared.idA
			if c.by != nil {
				by = c.by()
			}
			v := f.signedRequest(t, f.authorizeParams(), authorizeSigned, by, c.pre, c.post)
			resp := f.authorize(t, v)
			var got errorJSON
			if c.redirect {
				loc, err := resp.Location()
				if resp.StatusCode != http.StatusFound || err != nil {
					t.Fatalf("%s, want a redirect with the error", resp.Status)
				}
				if !strings.HasPrefix(loc.String(), v.Get("redirect_uri")) {
					t.Fatalf("redirect to %s, want %s", loc, v.Get("redirect_uri"))
				}
				q := loc.Query()
				got = errorJSON{Error: q.Get("error"), ErrorDescription: q.Get("error_description"), State: q.Get("state")}
				if q.Get("code") != "" {
					t.Fatalf("a code was issued: %s", loc)
				}
			} else {
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("%s, want 400 answered by ESIA", resp.Status)
				}
				got = decodeJSON(t, resp)
			}
			if !strings.HasPrefix(got.ErrorDescription, c.code+":") || got.Error != c.oauth {
				t.Fatalf("error %q %q, want %s %s", got.Error, got.ErrorDescription, c.oauth, c.code)
			}
			if got.State != v.Get("state") {
				t.Errorf("state %q, want the request's %q echoed", got.State, v.Get("state"))
			}
			f.checkRefusalEvent(t, c.code, esia.RuleOAuth)
		})
	}
}

// A GOST client_secret is refused as not supported by the simulator, naming the algorithm, never
// as a forged signature.
func TestAuthorizeGOSTSecretNotSupported(t *testing.T) {
	f := newFixture(t)
	v := f.authorizeParams()
	v.Set("client_secret", gostSecret(t, v.Get("client_id")+v.Get("scope")+v.Get("timestamp")+v.Get("state")+v.Get("redirect_uri")))
	resp := f.authorize(t, v)
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("%s: no redirect", resp.Status)
	}
	q := loc.Query()
	if d := q.Get("error_description"); q.Get("error") != "server_error" || !strings.Contains(d, "GOST R 34.10-2012") ||
		!strings.Contains(d, "not supported by the simulator") || strings.Contains(d, "ESIA-007053") {
		t.Fatalf("error %q %q, want server_error naming the GOST algorithm as not supported", q.Get("error"), d)
	}
	ev := f.lastEvent(t)
	if ev.Outcome != esia.NotSupported || ev.Code != "" || ev.Breach == nil || !strings.Contains(ev.Breach.Note.String(), "not a fault") {
		t.Fatalf("event %+v (breach %+v), want NotSupported without an ESIA code", ev, ev.Breach)
	}
}

// The simulated user's refusal comes back as ESIA-007004 access_denied.
func TestAuthorizeConsentDenied(t *testing.T) {
	f := newFixture(t, esia.WithConsent(false))
	v := f.signedRequest(t, f.authorizeParams(), authorizeSigned, shared.idA, nil, nil)
	loc, err := f.authorize(t, v).Location()
	if err != nil {
		t.Fatal("no redirect")
	}
	if q := loc.Query(); q.Get("error") != "access_denied" || !strings.HasPrefix(q.Get("error_description"), "ESIA-007004:") || q.Get("state") != v.Get("state") {
		t.Fatalf("redirect %s, want access_denied ESIA-007004 with the state", loc)
	}
	if ev := f.lastEvent(t); ev.Outcome != esia.Denied || ev.Code != "ESIA-007004" {
		t.Fatalf("event %+v, want Denied ESIA-007004", ev)
	}
	f.e.SetConsent(true)
	f.code(t, scopeCode, redirectA)
}

func set(k, val string) func(url.Values) { return func(v url.Values) { v.Set(k, val) } }
func del(k string) func(url.Values)      { return func(v url.Values) { v.Del(k) } }

func decodeJSON(t *testing.T, resp *http.Response) errorJSON {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json (go-api-epgu reads errors only as JSON)", ct)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return decodeError(t, b)
}
