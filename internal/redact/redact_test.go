package redact_test

import (
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/redact"
)

// cases are every form in which evidence or a journal detail carries a secret: each loses its value
// and nothing else changes.
var cases = []struct{ name, in, want string }{
	// <password> elements.
	{"an envelope", `<sender><senderId>A</senderId><password>init-secret</password></sender>`,
		`<sender><senderId>A</senderId><password>[redacted]</password></sender>`},
	{"a namespace prefix and an attribute", `<ns2:password xml:space="preserve">s3cr&amp;t</ns2:password >`,
		`<ns2:password xml:space="preserve">[redacted]</ns2:password >`},
	{"a namespace declaration", `<ns2:password xmlns:ns2="urn:x">s3cr3t-ns</ns2:password>`, `<ns2:password xmlns:ns2="urn:x">[redacted]</ns2:password>`},
	{"CDATA", `<password><![CDATA[a<b]]></password>`, `<password>[redacted]</password>`},
	{"no password sent stays visible", `<password></password><password/>`, `<password></password><password/>`},
	{"an empty element is not the opening of the next", `<password/><x>kept</x><password>s</password>`, `<password/><x>kept</x><password>[redacted]</password>`},
	{"an envelope inside JSON", `{"Detail":"\u003cpassword\u003einit-secret\u003c/password\u003e"}`,
		`{"Detail":"\u003cpassword\u003e[redacted]\u003c/password\u003e"}`},
	{"an envelope escaped in XML text", `<errorData>&lt;tns:password&gt;x&lt;/tns:password&gt;</errorData>`,
		`<errorData>&lt;tns:password&gt;[redacted]&lt;/tns:password&gt;</errorData>`},
	{"an escaped envelope quoted in a detail", `observed "&lt;password&gt;esc-pw&lt;/password&gt;"`, `observed "&lt;password&gt;[redacted]&lt;/password&gt;"`},

	// JSON fields.
	{"a JSON field", "{\n  \"password\": \"init-secret\",\n  \"senderId\": \"A\"\n}", "{\n  \"password\": \"[redacted]\",\n  \"senderId\": \"A\"\n}"},
	{"a JSON field among others", `{"systemId": "SYS", "password": "json-pw"}`, `{"systemId": "SYS", "password": "[redacted]"}`},
	{"a JSON field with escapes", `{"Password":"a\"b\\c"}`, `{"Password":"[redacted]"}`},
	{"a key naming a password", `{"passwordTest":"t1","PasswordProd":"p1"}`, `{"passwordTest":"[redacted]","PasswordProd":"[redacted]"}`},
	{"a key in mixed case", `{"PassWord":"p1"}`, `{"PassWord":"[redacted]"}`},
	{"an empty JSON password stays visible", `{"password":""}`, `{"password":""}`},
	{"JSON inside a JSON string", `{"observed":"{\"password\":\"init-secret\",\"x\":1}"}`, `{"observed":"{\"password\":\"[redacted]\",\"x\":1}"}`},

	// HTTP credentials.
	{"HTTP Basic", "Authorization: Basic SU5JVDppbml0LXNlY3JldA==\r\n", "Authorization: Basic [redacted]\r\n"},
	{"a bearer token in JSON", `{"Authorization":"Bearer abc.def.ghi"}`, `{"Authorization":"Bearer [redacted]"}`},
	{"a bearer token in a header", `Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig`, `Authorization: Bearer [redacted]`},
	{"an authorization without a scheme", `authorization=raw-token-1234`, `authorization=[redacted]`},
	{"an authorization in JSON inside a JSON string", `{"observed":"{\"Authorization\":\"tok-1\"}"}`, `{"observed":"{\"Authorization\":\"[redacted]\"}"}`},
	{"Basic credentials without the header", `header Basic dXNlcjpwYXNz`, `header Basic [redacted]`},
	{"Basic credentials in a JSON string", `{"observed":"Basic dXNlcjpwYXNz\n"}`, `{"observed":"Basic [redacted]\n"}`},
	{"a bearer token without the header", `observed Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig, expected none`, `observed Bearer [redacted], expected none`},
	{"prose about credentials", `expected HTTP Basic credentials (RFC 7617), observed a Bearer token`,
		`expected HTTP Basic credentials (RFC 7617), observed a Bearer token`},

	// A password spelled out.
	{"a step's text", `the system "INITIATOR_SYS" is registered with the password "init-secret"`,
		`the system "INITIATOR_SYS" is registered with the password "[redacted]"`},
	{"in capitals", `PASSWORD "init-secret"`, `PASSWORD "[redacted]"`},
	{"a check's observation", `{"observed":"password \"leaked\""}`, `{"observed":"password \"[redacted]\""}`},
	{"a field path is not a password", `names the field "request/requestInfo/sender/password"`, `names the field "request/requestInfo/sender/password"`},
	{"prose about passwords", `observed a different password. Fix: send the password issued by the operator`,
		`observed a different password. Fix: send the password issued by the operator`},

	// Nothing to redact.
	{"no secret", `SCE002: the transport signature does not verify`, `SCE002: the transport signature does not verify`},
	{"empty", ``, ``},
}

func TestRedact(t *testing.T) {
	for _, c := range cases {
		if got := redact.String(c.in); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
		if got := string(redact.Bytes([]byte(c.in))); got != c.want {
			t.Errorf("%s (bytes):\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// Every form at once, as one detail quoting a whole exchange: one redaction does not hide the next
// secret from another.
func TestRedactAllAtOnce(t *testing.T) {
	var in, want []string
	for _, c := range cases {
		in, want = append(in, c.in), append(want, c.want)
	}
	if got := redact.String(strings.Join(in, "\n")); got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// BenchmarkRedact redacts a signed request as a step attaches it (about 6 KB).
func BenchmarkRedact(b *testing.B) {
	envelope := []byte(`<soap:Envelope><soap:Header>` + strings.Repeat(`<ds:X509Certificate>MIIDdDCCAxqgAwIBAgIQANFKf5nyN2pqCD1v</ds:X509Certificate>`, 80) +
		`</soap:Header><soap:Body><requestInfo><sender><senderId>A</senderId><password>init-secret</password></sender></requestInfo></soap:Body></soap:Envelope>`)
	b.SetBytes(int64(len(envelope)))
	for b.Loop() {
		redact.Bytes(envelope)
	}
}
