package esia_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// Each refusal of the API-key service (ESIA-B12) is provoked by the request that breaks it.
func TestAPIKeyTokenRefusals(t *testing.T) {
	f := newFixture(t)
	file, err := f.e.IssueAPIKey(sysA)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := esia.ParseAPIKey(file)
	sign := func(by func() []byte) string { return encode(by()) }
	signed := func(data string) func() []byte {
		return func() []byte {
			sig, err := cms.SignDetached(shared.idA, []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
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
		{name: "key unknown", key: uuid.NewString(), query: url.Values{"signature": {sign(signed(key.Key))}}, status: 404, oauth: "not_found", detail: "not known"},
		{name: "key a placeholder", key: "abcd", query: url.Values{"signature": {sign(signed("abcd"))}}, status: 404, oauth: "not_found", detail: "not known"},
		{name: "signature missing", key: key.Key, query: url.Values{}, status: 400, code: "ESIA-007014", oauth: "invalid_request"},
		{name: "signature twice", key: key.Key, query: url.Values{"signature": {"a", "b"}}, status: 400, code: "ESIA-007003", oauth: "invalid_request"},
		{name: "signature over another text", key: key.Key, query: url.Values{"signature": {sign(signed(uuid.NewString()))}}, status: 400, code: "ESIA-007053", oauth: "invalid_client"},
		{name: "signed by another system's certificate", key: key.Key, query: url.Values{"signature": {sign(func() []byte {
			sig, _ := cms.SignDetached(shared.idB, []byte(key.Key))
			return sig
		})}}, status: 400, code: "ESIA-007002", oauth: "invalid_client"},
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
		})
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
