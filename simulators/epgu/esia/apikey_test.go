package esia_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// Each refusal of the API-key service (ESIA-B12) is provoked by the request that breaks it. The
// service's parameter is signature: no message of it may speak of client_secret.
func TestAPIKeyTokenRefusals(t *testing.T) {
	f := newFixture(t)
	file, err := f.e.IssueAPIKey(sysA)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := esia.ParseAPIKey(file)
	signed := func(id *pki.Identity, data string) string {
		sig, err := cms.SignDetached(id, []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		return encode(sig)
	}
	cases := []struct {
		name   string
		key    string
		query  url.Values
		status int
		code   string // ESIA code; "" with status 404 or 501
		oauth  string
		detail string // in error_description
	}{
		{name: "key unknown", key: uuid.NewString(), query: url.Values{"signature": {signed(shared.idA, key.Key)}}, status: 404, oauth: "not_found", detail: "not known"},
		{name: "key a placeholder", key: "abcd", query: url.Values{"signature": {signed(shared.idA, "abcd")}}, status: 404, oauth: "not_found", detail: "not known"},
		{name: "signature missing", key: key.Key, query: url.Values{}, status: 400, code: "ESIA-007014", oauth: "invalid_request", detail: "signature"},
		{name: "signature twice", key: key.Key, query: url.Values{"signature": {"a", "b"}}, status: 400, code: "ESIA-007003", oauth: "invalid_request"},
		{name: "signature not base64", key: key.Key, query: url.Values{"signature": {"%%%"}}, status: 400, code: "ESIA-007053", oauth: "invalid_client", detail: "signature is malformed"},
		{name: "signature over another text", key: key.Key, query: url.Values{"signature": {signed(shared.idA, uuid.NewString())}}, status: 400, code: "ESIA-007053", oauth: "invalid_client", detail: "signature is malformed"},
		{name: "signature tampered", key: key.Key, query: url.Values{"signature": {tamper(signed(shared.idA, key.Key))}}, status: 400, code: "ESIA-007053", oauth: "invalid_client", detail: "signature is malformed"},
		{name: "signature attached (openssl -nodetach)", key: key.Key, query: url.Values{"signature": {encode(attachedSignature(t, shared.idA, []byte(key.Key)))}},
			status: 400, code: "ESIA-007053", oauth: "invalid_client", detail: "a detached signature is expected"},
		{name: "signed by another system's certificate", key: key.Key, query: url.Values{"signature": {signed(shared.idB, key.Key)}}, status: 400, code: "ESIA-007002", oauth: "invalid_client"},
		{name: "signed by a certificate of another CA", key: key.Key, query: url.Values{"signature": {signed(shared.idForeign, key.Key)}}, status: 400, code: "ESIA-007002", oauth: "invalid_client"},
		{name: "GOST signature", key: key.Key, query: url.Values{"signature": {gostSecret(t, key.Key)}}, status: 501, oauth: "server_error", detail: "GOST R 34.10-2012"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := f.url + strings.Replace(esia.PathAPIKeyToken, "{apiKey}", url.PathEscape(c.key), 1) + "?" + c.query.Encode()
			resp, err := f.http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			got := decodeError(t, b)
			if resp.StatusCode != c.status || got.Error != c.oauth || (c.code != "" && !strings.HasPrefix(got.ErrorDescription, c.code+":")) ||
				!strings.Contains(got.ErrorDescription, c.detail) {
				t.Fatalf("%d %q %q, want %d %s %s %q", resp.StatusCode, got.Error, got.ErrorDescription, c.status, c.oauth, c.code, c.detail)
			}
			ev := f.lastEvent(t)
			if ev.Grant != esia.GrantAPIKey || ev.Outcome == esia.Issued || ev.Breach == nil || ev.Breach.Rule != esia.RuleB12 || ev.Code != c.code {
				t.Fatalf("event %+v (breach %+v), want a refusal under %s with code %q", ev, ev.Breach, esia.RuleB12, c.code)
			}
			for _, text := range []string{got.ErrorDescription, ev.Breach.Field.String(), ev.Breach.Expected.String(), ev.Breach.Observed.String(), ev.Breach.Note.String(), ev.Breach.Fix.String()} {
				if strings.Contains(text, "client_secret") {
					t.Errorf("%q speaks of client_secret; Б.12's parameter is signature", text)
				}
			}
		})
	}
}

// A certificate registered for the system but not chaining to ESIA's trusted roots is refused for
// its certificate (ESIA-007053), after the registration check has passed.
func TestAPIKeyTokenRegisteredButUntrusted(t *testing.T) {
	f := newFixture(t)
	if err := f.e.Register(esia.System{Mnemonic: "FOREIGN", Certificates: []*x509.Certificate{shared.idForeign.Certificate}}); err != nil {
		t.Fatal(err)
	}
	file, _ := f.e.IssueAPIKey("FOREIGN")
	key, _ := esia.ParseAPIKey(file)
	c := *f.client
	c.Mnemonic, c.Identity = "FOREIGN", shared.idForeign
	_, err := c.APIKeyToken(t.Context(), key.Key)
	var re *esia.ResponseError
	if !errors.As(err, &re) || re.Code() != "ESIA-007053" {
		t.Fatalf("%v, want ESIA-007053 (the certificate does not chain to a trusted root)", err)
	}
}

// The client reads the refusal as a ResponseError with ESIA's code.
func TestClientAPIKeyRefusal(t *testing.T) {
	f := newFixture(t)
	file, _ := f.e.IssueAPIKey(sysA)
	key, _ := esia.ParseAPIKey(file)
	c := *f.client
	c.Identity = shared.idB
	_, err := c.APIKeyToken(t.Context(), key.Key)
	var re *esia.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || re.Code() != "ESIA-007002" {
		t.Fatalf("%v, want ESIA-007002", err)
	}
}

func TestParseAPIKey(t *testing.T) {
	const k = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
	cases := []struct {
		name string
		file string
		want esia.APIKey
		err  error
	}{
		{name: "the simulator's CSV", file: "mnemonic,ogrn,org_oid,user_oid,api_key,created\r\nSYS,1027700000001,1000000101,1000000201," + k + ",2026-01-02T03:04:05Z\r\n",
			want: esia.APIKey{Key: k, Mnemonic: "SYS", OGRN: "1027700000001", OrgOID: "1000000101", UserOID: "1000000201"}},
		{name: "spreadsheet CSV with ';' and a BOM", file: "\uFEFFФИО;Ключ;Мнемоника ИС\nИванов И.И.;" + k + ";SYS\n", want: esia.APIKey{Key: k, Mnemonic: "SYS"}},
		{name: "CSV without a header", file: "SYS," + k + "\n", want: esia.APIKey{Key: k}},
		{name: "the bare UUID", file: "  " + k + "\n", want: esia.APIKey{Key: k}},
		{name: "a header but no key", file: "api_key,created\n,2026-01-01\n", err: esia.ErrNoAPIKey},
		{name: "no UUID", file: "abcd", err: esia.ErrNoAPIKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := esia.ParseAPIKey([]byte(c.file))
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
				return
			}
			got.Created = got.Created.UTC()
			if err != nil || got.Key != c.want.Key || got.Mnemonic != c.want.Mnemonic || got.OGRN != c.want.OGRN ||
				got.OrgOID != c.want.OrgOID || got.UserOID != c.want.UserOID {
				t.Fatalf("%+v %v, want %+v", got, err, c.want)
			}
		})
	}
}

// An answer without accessTkn is reported with a bounded excerpt of the body, not the whole of it.
func TestClientAPIKeyTokenBadAnswer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("<html>maintenance</html>", 20_000)))
	}))
	defer srv.Close()
	c := esia.Client{BaseURL: srv.URL, Mnemonic: sysA, Identity: func() *pki.Identity { authority(t); return shared.idA }(), HTTPClient: srv.Client()}
	_, err := c.APIKeyToken(t.Context(), uuid.NewString())
	if err == nil || !strings.Contains(err.Error(), "accessTkn") || len(err.Error()) > 1024 {
		t.Fatalf("error of %d bytes: %.200v…, want one under 1 KiB saying there is no accessTkn", len(fmt.Sprint(err)), err)
	}
}
