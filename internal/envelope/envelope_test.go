package envelope_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/schema"
)

func request() envelope.SendMessage {
	return envelope.SendMessage{Request: envelope.SyncSendMessageRequest{
		RequestInfo: envelope.SyncMessageInfo{
			MessageID:   envelope.NewGUID(),
			ServiceID:   "GBDFL_Person",
			MessageDate: envelope.Now(),
			Sender:      envelope.SenderInfo{SenderID: "IS-A", Password: "secret"},
			Properties:  []envelope.Property{{Key: "k", Value: "v"}},
		},
		RequestData: envelope.StringData(`<q:person xmlns:q="urn:q"><q:iin>880101300123</q:iin></q:person>`),
	}}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	x, err := schema.CompileXSD(shepfixtures.XSD(), "sync-channel.xsd", "data")
	if err != nil {
		t.Fatal(err)
	}
	in := request()
	b, err := envelope.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if v := x.Validate(b); len(v) != 0 {
		t.Fatalf("marshalled request breaks the channel schema: %v\n%s", v, b)
	}
	m, err := envelope.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != in.Element() || m.IsFault() || !strings.HasPrefix(m.BodyID(), "id-") {
		t.Fatalf("name %v fault %v body id %q", m.Name(), m.IsFault(), m.BodyID())
	}
	var out envelope.SendMessage
	if err := m.Decode(&out); err != nil {
		t.Fatal(err)
	}
	gi, go_ := in.Request.RequestInfo, out.Request.RequestInfo
	if gi.MessageID != go_.MessageID || gi.ServiceID != go_.ServiceID || gi.Sender != go_.Sender ||
		!gi.MessageDate.Truncate(time.Millisecond).Equal(go_.MessageDate.Time) || len(go_.Properties) != 1 {
		t.Fatalf("round trip changed the request info:\n in %+v\nout %+v", gi, go_)
	}
	// The business data comes out as it went in (R-61: delivered without alteration).
	if got, want := out.Request.RequestData.Text(), in.Request.RequestData.Text(); got != want || want == "" {
		t.Fatalf("business data %q, want %q", got, want)
	}
}

func TestFaultRoundTrip(t *testing.T) {
	f := envelope.Fault{Code: "Client", String: envelope.SCE004.Message, DetailElement: envelope.SyncFaultElement,
		Detail: envelope.ErrorInfo{ErrorCode: "SCE004", ErrorMessage: envelope.SCE004.Message, ErrorDate: envelope.Now(), SessionID: "{s}"}}
	b, err := envelope.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	m, err := envelope.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Fault()
	if err != nil {
		t.Fatal(err)
	}
	if got.Code != "Client" || got.Detail.ErrorCode != "SCE004" || got.Detail.SessionID != "{s}" || got.DetailElement != envelope.SyncFaultElement {
		t.Fatalf("got %+v", got)
	}
}

func TestParseRejectsNonSOAP(t *testing.T) {
	for _, doc := range []string{"not xml", `<Envelope/>`,
		`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a/><b/></s:Body></s:Envelope>`} {
		if _, err := envelope.Parse([]byte(doc)); err == nil {
			t.Errorf("%q parsed", doc)
		}
	}
}

func TestDateTimeWithoutOffsetIsAstana(t *testing.T) {
	var d envelope.DateTime
	if err := d.UnmarshalText([]byte("2026-01-05T10:00:00")); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 1, 5, 5, 0, 0, 0, time.UTC); !d.Equal(want) {
		t.Fatalf("got %v, want %v", d.Time, want)
	}
	b, _ := d.MarshalText()
	if string(b) != "2026-01-05T10:00:00.000+05:00" {
		t.Fatalf("marshalled %s", b)
	}
}

// Time zone policy: a date is written in Astana time even when it was built, or read back from the
// store, in UTC.
func TestDateTimeZoneIsAstana(t *testing.T) {
	d := envelope.DateTime{Time: time.Date(2026, 1, 5, 5, 0, 0, 0, time.UTC)}
	b, _ := d.MarshalText()
	if string(b) != "2026-01-05T10:00:00.000+05:00" {
		t.Fatalf("marshalled %s, want Astana time", b)
	}
}

// Explain must name the table row a schema violation breaks, with the Rules' own spelling noted.
func TestExplain(t *testing.T) {
	x, err := schema.CompileXSD(shepfixtures.XSD(), "sync-channel.xsd", "data")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := envelope.Marshal(request())
	cases := []struct {
		name, from, to, rule, field string
	}{
		{"messageId missing", `<messageId>[^<]*</messageId>`, "", "A1-T19 row 3", "messageId"},
		{"Rules spelling messegeDate", `messageDate>`, "messegeDate>", "A1-T19 row 6", "messageDate"},
		{"wrong namespace", "bip.bee.kz/SyncChannel/v10/Types", "example.org/x", "A1-T19 row 1", ""},
		{"bad date", "<messageDate>", "<messageDate>x", "A1-T19 row 6", "messageDate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := regexp.MustCompile(c.from).ReplaceAllString(string(b), c.to)
			v := x.Validate([]byte(doc))
			if len(v) == 0 {
				t.Fatal("no violation")
			}
			br := envelope.Explain(v[0], envelope.SyncRequestMsg)
			if br.Rule != c.rule || !strings.Contains(br.Field.String(), c.field) || br.Fix.IsZero() {
				t.Fatalf("got %+v", br)
			}
			if c.name == "Rules spelling messegeDate" && !strings.Contains(br.Error(), "messegeDate") {
				t.Errorf("the breach does not mention the Rules' spelling: %v", br)
			}
		})
	}
}

// Decoding a payload leaves the parsed tree as it is, so that a receiver checks the transport
// signature on the same tree before or after decoding (one parse per message), while the decoded
// business data still carries the namespaces it inherited (R-61: delivered without alteration).
func TestDecodeLeavesTheTreeAsParsed(t *testing.T) {
	const doc = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:x="urn:example">` +
		`<soap:Body><ns2:SendMessage xmlns:ns2="http://bip.bee.kz/SyncChannel/v10/Types"><request>` +
		`<requestInfo><messageId>m1</messageId></requestInfo><requestData><data><x:payload>42</x:payload></data></requestData>` +
		`</request></ns2:SendMessage></soap:Body></soap:Envelope>`
	m, err := envelope.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := m.Doc.WriteToString()
	var req envelope.SendMessage
	if err := m.Decode(&req); err != nil {
		t.Fatal(err)
	}
	if after, _ := m.Doc.WriteToString(); after != before {
		t.Fatalf("decoding changed the tree:\n%s\nbecame\n%s", before, after)
	}
	if data := req.Request.RequestData.Raw; !strings.Contains(data, `xmlns:x="urn:example"`) {
		t.Fatalf("the decoded data lost the namespace it inherited: %s", data)
	}
}
