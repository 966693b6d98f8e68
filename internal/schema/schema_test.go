package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/upstreamtest"
)

func syncXSD(t testing.TB) *schema.XSD {
	t.Helper()
	x, err := schema.CompileXSD(shepfixtures.XSD(), "sync-channel.xsd", "data")
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// The real gateway's two signed sample envelopes must pass our own schema: that is what makes an
// agency's existing client work against the simulator (wire compatibility, A1-T19/A1-T20).
func TestRealSamplesAreValid(t *testing.T) {
	x := syncXSD(t)
	dir := upstreamtest.Dir(t)
	for _, name := range []string{"request.xml", "response.xml"} {
		b, err := os.ReadFile(filepath.Join(dir, "shep", "shep-service", "example", name))
		if err != nil {
			t.Fatalf("upstream sample: %v", err)
		}
		if v := x.Validate(b); len(v) != 0 {
			t.Errorf("%s: %v", name, v)
		}
	}
}

const valid = `<?xml version="1.0"?>
<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
<ns2:SendMessage xmlns:ns2="http://bip.bee.kz/SyncChannel/v10/Types"><request>
<requestInfo><messageId>m1</messageId><serviceId>S1</serviceId><messageDate>2026-01-05T10:00:00.000+05:00</messageDate>
<sender><senderId>IS-A</senderId><password>p</password></sender></requestInfo>
<requestData><data xmlns:x="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x:Anything"><x:a>1</x:a></data></requestData>
</request></ns2:SendMessage></S:Body></S:Envelope>`

func TestValidateKindsAndLines(t *testing.T) {
	x := syncXSD(t)
	if v := x.Validate([]byte(valid)); len(v) != 0 {
		t.Fatalf("valid message rejected (data must stay opaque, R-2.5): %v", v)
	}
	cases := []struct {
		name, doc string
		kind      schema.Kind
		line      int
		path      string
	}{
		{"missing serviceId", strings.Replace(valid, "<serviceId>S1</serviceId>", "", 1), schema.Unexpected, 4, "Envelope/Body/SendMessage/request/requestInfo/messageDate"},
		{"bad date", strings.Replace(valid, "2026-01-05T10:00:00.000+05:00", "yesterday", 1), schema.Value, 4, "Envelope/Body/SendMessage/request/requestInfo/messageDate"},
		{"not xml", "<S:Envelope", schema.Syntax, 1, ""},
		{"missing sender", strings.Replace(valid, "<sender><senderId>IS-A</senderId><password>p</password></sender>", "", 1), schema.Missing, 4, "Envelope/Body/SendMessage/request/requestInfo"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := x.Validate([]byte(c.doc))
			if len(v) == 0 {
				t.Fatal("no violation")
			}
			if v[0].Kind != c.kind || v[0].Line != c.line || v[0].Path != c.path {
				t.Errorf("got %+v, want kind %s line %d path %q", v[0], c.kind, c.line, c.path)
			}
		})
	}
}

// SOAP 1.1 allows any attribute on Header and Body: older .NET code and some signers put a plain Id
// (not wsu:Id) on Body, and the schema must not refuse it. Attributes on the payload stay checked.
func TestAnyAttributeOnHeaderAndBody(t *testing.T) {
	x := syncXSD(t)
	cases := []struct {
		name, from, to string
		ok             bool
	}{
		{"plain Id on Body", "<S:Body>", `<S:Body Id="body-1">`, true},
		{"wsu:Id on Body", "<S:Body>", `<S:Body xmlns:wsu="urn:wsu" wsu:Id="body-1">`, true},
		{"soap-qualified attribute on Body", "<S:Body>", `<S:Body S:encodingStyle="urn:x">`, true},
		{"plain attribute on Header", "<S:Body>", `<S:Header id="h"/><S:Body>`, true},
		{"plain attribute on the payload", "<request>", `<request Id="r">`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := x.Validate([]byte(strings.Replace(valid, c.from, c.to, 1)))
			if (len(v) == 0) != c.ok {
				t.Errorf("valid = %v, want %v: %v", len(v) == 0, c.ok, v)
			}
		})
	}
}

// External entities must never be fetched or expanded (hostile input, XXE).
func TestNoExternalEntities(t *testing.T) {
	x := syncXSD(t)
	doc := `<?xml version="1.0"?><!DOCTYPE S [<!ENTITY e SYSTEM "file:///etc/passwd">]>` + strings.TrimPrefix(valid, `<?xml version="1.0"?>`)
	doc = strings.Replace(doc, "<messageId>m1</messageId>", "<messageId>&e;</messageId>", 1)
	v := x.Validate([]byte(doc))
	if len(v) == 0 {
		t.Fatal("a document with a DTD was accepted")
	}
	for _, e := range v {
		if strings.Contains(e.Message, "root:") {
			t.Fatalf("entity expanded: %v", e)
		}
	}
}

func TestJSON(t *testing.T) {
	j, err := schema.CompileJSON(shepfixtures.REST(), "request.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	ok := `{"request": {"requestInfo": {"messageId": "m1", "serviceid": "S1", "messegeDate": "2026-01-05T10:00:00+05:00",
  "sender": {"senderId": "IS-A", "password": "p"}}, "requestData": {"data": {"any": 1}}}}`
	if v := j.Validate([]byte(ok)); len(v) != 0 {
		t.Fatalf("valid REST request rejected: %v", v)
	}
	bad := strings.Replace(ok, `"serviceid": "S1", `, "", 1)
	v := j.Validate([]byte(bad))
	if len(v) != 1 || v[0].Kind != schema.Missing || v[0].Path != "request/requestInfo" || v[0].Line != 1 {
		t.Fatalf("got %+v", v)
	}
	if v := j.Validate([]byte(`{"request": `)); len(v) != 1 || v[0].Kind != schema.Syntax {
		t.Fatalf("truncated JSON: %+v", v)
	}
}

func BenchmarkValidateSync(b *testing.B) {
	x := syncXSD(b)
	doc := []byte(valid)
	for b.Loop() {
		if v := x.Validate(doc); len(v) != 0 {
			b.Fatal(v)
		}
	}
}
