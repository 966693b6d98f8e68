package esia_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/nca"
)

const (
	sysA      = "AGENCY_A"
	sysB      = "AGENCY_B"
	redirectA = "https://agency-a.example/esia/callback"
	redirectB = "https://agency-a.example/esia/other"
	scopeCode = "openid " + esia.ScopeAPIOrder
)

// shared is what every test can reuse: the CA and its identities (key generation is the slow part).
var shared struct {
	once              sync.Once
	ca                *nca.Authority
	server, token     *pki.Identity
	idA, idB, idOther *pki.Identity
	idForeign         *pki.Identity // issued by another CA, registered for no system
	err               error
}

func authority(t *testing.T) {
	t.Helper()
	shared.once.Do(func() {
		s := &shared
		if s.ca, s.err = nca.New("ESIA test"); s.err != nil {
			return
		}
		if s.server, s.err = s.ca.IssueServer(nca.Subject{CommonName: "esia.test"}, pki.ECDSAP256, "127.0.0.1"); s.err != nil {
			return
		}
		if s.token, s.err = s.ca.Issue(nca.Subject{CommonName: "ESIA tokens"}, pki.ECDSAP256); s.err != nil {
			return
		}
		if s.idA, s.err = s.ca.Issue(nca.Subject{CommonName: "Agency A", Organization: "Agency A"}, pki.ECDSAP256); s.err != nil {
			return
		}
		if s.idB, s.err = s.ca.Issue(nca.Subject{CommonName: "Agency B", Organization: "Agency B"}, pki.ECDSAP256); s.err != nil {
			return
		}
		if s.idOther, s.err = s.ca.Issue(nca.Subject{CommonName: "Agency A, second key"}, pki.ECDSAP256); s.err != nil {
			return
		}
		foreign, err := nca.New("Another CA")
		if err != nil {
			s.err = err
			return
		}
		s.idForeign, s.err = foreign.Issue(nca.Subject{CommonName: "Agency A, key from another CA"}, pki.ECDSAP256)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
}

// fixture is an ESIA served over real HTTPS with two registered systems, on a virtual clock.
type fixture struct {
	e      *esia.ESIA
	clk    *clock.Virtual
	url    string
	http   *http.Client // does not follow redirects
	client *esia.Client // system A
	a, b   esia.System
}

func newFixture(t *testing.T, opts ...esia.Option) *fixture {
	t.Helper()
	authority(t)
	clk := clock.NewVirtual(time.Now().Truncate(time.Second))
	base := []esia.Option{esia.WithClock(clk), esia.WithTrust(shared.ca.Roots(), shared.ca.Intermediates()),
		esia.WithSigningIdentity(shared.token)}
	e, err := esia.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []esia.System{
		{Mnemonic: sysA, OGRN: "1027700000001", OrgOID: "1000000101", UserOID: "1000000201",
			Certificates: []*x509.Certificate{shared.idA.Certificate}, RedirectURIs: []string{redirectA, redirectB}},
		{Mnemonic: sysB, OGRN: "1027700000002", Certificates: []*x509.Certificate{shared.idB.Certificate},
			RedirectURIs: []string{"https://agency-b.example/cb", redirectA}}, // redirectA too: a code is bound to its system, not only to its URI
	} {
		if err := e.Register(s); err != nil {
			t.Fatal(err)
		}
	}
	base0 := serve(t, e)
	hc := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: shared.ca.Roots()}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
	a, _ := e.System(sysA)
	b, _ := e.System(sysB)
	return &fixture{e: e, clk: clk, url: base0, http: hc, a: a, b: b,
		client: &esia.Client{BaseURL: base0, Mnemonic: sysA, Identity: shared.idA, HTTPClient: hc, Now: clk.Now}}
}

// serve runs e's handler over HTTPS with the CA's server certificate and returns its URL.
func serve(t *testing.T, e *esia.ESIA) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(e.Handler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{shared.server.TLSCertificate()}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// signedRequest builds the parameters of a request of system A: pre edits them before signing (a
// signed field), signed names the signed parameters in order, post edits them after (a forgery or
// an unsigned field).
func (f *fixture) signedRequest(t *testing.T, v url.Values, signed []string, by *pki.Identity, pre, post func(url.Values)) url.Values {
	t.Helper()
	if pre != nil {
		pre(v)
	}
	parts := make([]string, len(signed))
	for i, k := range signed {
		parts[i] = v.Get(k)
	}
	secret, err := esia.ClientSecret(by, parts...)
	if err != nil {
		t.Fatal(err)
	}
	v.Set("client_secret", secret)
	if post != nil {
		post(v)
	}
	return v
}

var (
	authorizeSigned = []string{"client_id", "scope", "timestamp", "state", "redirect_uri"}
	exchangeSigned  = []string{"client_id", "scope", "timestamp", "state", "redirect_uri", "code"}
)

// authorizeParams are a valid /ac request of system A before signing.
func (f *fixture) authorizeParams() url.Values {
	return url.Values{
		"client_id": {sysA}, "scope": {scopeCode}, "timestamp": {esia.Timestamp(f.clk.Now().UTC())},
		"state": {uuid.NewString()}, "redirect_uri": {redirectA}, "response_type": {"code"}, "access_type": {"online"},
	}
}

// authorize sends v to /ac and returns the response.
func (f *fixture) authorize(t *testing.T, v url.Values) *http.Response {
	t.Helper()
	resp, err := f.http.Get(f.url + esia.PathAuthorize + "?" + v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// code runs /ac for system A with scope and redirect and returns the code.
func (f *fixture) code(t *testing.T, scope, redirect string) string {
	t.Helper()
	u, err := f.client.AuthCodeURL(scope, redirect, uuid.NewString())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize: %s, no redirect: %v", resp.Status, err)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("authorize: redirect without code: %s", loc)
	}
	return code
}

// exchangeParams are a valid /te request of system A for code before signing.
func (f *fixture) exchangeParams(code string) url.Values {
	return url.Values{
		"client_id": {sysA}, "code": {code}, "grant_type": {"authorization_code"}, "scope": {scopeCode},
		"timestamp": {esia.Timestamp(f.clk.Now().UTC())}, "state": {uuid.NewString()}, "redirect_uri": {redirectA},
		"token_type": {"Bearer"},
	}
}

// post sends a form to /te.
func (f *fixture) post(t *testing.T, contentType string, body string) (int, []byte) {
	t.Helper()
	resp, err := f.http.Post(f.url+esia.PathToken, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type errorJSON struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	State            string `json:"state"`
}

func decodeError(t *testing.T, b []byte) errorJSON {
	t.Helper()
	var e errorJSON
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return e
}

// lastEvent is the most recent event.
func (f *fixture) lastEvent(t *testing.T) esia.Event {
	t.Helper()
	ev := f.e.Events()
	if len(ev) == 0 {
		t.Fatal("no event recorded")
	}
	return ev[len(ev)-1]
}

// checkRefusalEvent checks the last event is a refusal with code under ruleID, with a breach that
// says what was expected and observed and how to fix it.
func (f *fixture) checkRefusalEvent(t *testing.T, code, ruleID string) {
	t.Helper()
	ev := f.lastEvent(t)
	if ev.Code != code || ev.Breach == nil || ev.Breach.Rule != ruleID || ev.Breach.Expected.String() == "" || ev.Breach.Observed.String() == "" || ev.Breach.Fix.String() == "" {
		t.Fatalf("event = %+v (breach %+v), want a refusal %s under %s with expected, observed and fix", ev, ev.Breach, code, ruleID)
	}
}

// The DER of two OIDs of equal length: ecdsa-with-SHA256 (1.2.840.10045.4.3.2) and GOST R
// 34.10-2012 with GOST R 34.11-2012, 256 bit (1.2.643.7.1.1.3.2). Swapping the signer info's
// algorithm gives a signature that claims GOST, as a CryptoPro client's does.
var (
	ecdsaWithSHA256 = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}
	gost2012Sig256  = []byte{0x06, 0x08, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x03, 0x02}
)

// gostSecret is a client_secret over data that names the GOST signature algorithm.
func gostSecret(t *testing.T, data string) string {
	t.Helper()
	sig, err := cms.SignDetached(shared.idA, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(sig, ecdsaWithSHA256)
	if i < 0 {
		t.Fatal("no ecdsa-with-SHA256 in the signature")
	}
	copy(sig[i:], gost2012Sig256)
	return encode(sig)
}

func encode(sig []byte) string { return base64.URLEncoding.EncodeToString(sig) }

// attachedSignature is what `openssl cms -sign -nodetach` gives: a signature carrying its content.
func attachedSignature(t *testing.T, id *pki.Identity, data []byte) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(id.Certificate, id.Key, id.Chain, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}
