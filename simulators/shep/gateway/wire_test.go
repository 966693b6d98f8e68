package gateway_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

const cyrillic = "Привет, шлюз" // windows-1251 has no Kazakh letters

// post sends body as it is, with the given headers, and returns the status and the answer.
func post(t *testing.T, url string, body []byte, header map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no transparent gzip: the test sets every header
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// syncRequest is an unsigned synchronous request carrying Cyrillic text, as UTF-8.
func syncRequest(t *testing.T, r *rig) []byte {
	t.Helper()
	b, err := envelope.Marshal(r.initiator.Request("S1", envelope.StringData(cyrillic)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func redeclare(b []byte, enc string) []byte {
	return bytes.Replace(b, []byte(`encoding="UTF-8"`), []byte(`encoding="`+enc+`"`), 1)
}

// The synchronous channel reads what SOAP 1.1 clients send: another charset, a compressed body, a
// plain Id on Body. The owner gets the text intact, and the journal the size as received.
func TestWireSyncAccepts(t *testing.T) {
	r := newRig(t, rule.RulesLimits())
	url := r.gateway.URL() + envelope.SyncPath
	plain := syncRequest(t, r)
	cp1251 := func() []byte { // a fresh messageId each time: a replay is refused
		b, err := charmap.Windows1251.NewEncoder().Bytes(redeclare(syncRequest(t, r), "windows-1251"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	declared, labelled := cp1251(), cp1251()
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(redeclare(syncRequest(t, r), "UTF-16"))
	if err != nil {
		t.Fatal(err)
	}
	zipped := gzipped(syncRequest(t, r))
	cases := []struct {
		name     string
		body     []byte
		header   map[string]string
		received string // the RECEIVED journal entry
	}{
		{"windows-1251 declared", declared, nil, fmt.Sprintf("%d bytes, windows-1251 from", len(declared))},
		{"windows-1251 in the charset", labelled, map[string]string{"Content-Type": "text/xml; charset=windows-1251"}, "windows-1251"},
		{"UTF-16LE with BOM", utf16, map[string]string{"Content-Type": "text/xml; charset=utf-16"}, fmt.Sprintf("%d bytes, utf-16le", len(utf16))},
		{"gzip", zipped, map[string]string{"Content-Encoding": "gzip"}, fmt.Sprintf("%d bytes, gzip from", len(zipped))},
		{"plain Id on Body", bytes.Replace(syncRequest(t, r), []byte("<soap:Body "), []byte(`<soap:Body Id="body-1" `), 1), nil, "bytes from"},
		{"UTF-8 as before", plain, map[string]string{"Content-Type": "text/xml; charset=utf-8"}, fmt.Sprintf("%d bytes from", len(plain))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := post(t, url, c.body, c.header)
			resp, fault, err := owner.Exchange{Response: out, Status: status}.Answer()
			if err != nil || fault != nil {
				t.Fatalf("HTTP %d, %v, fault %+v", status, err, fault)
			}
			if got := resp.Response.ResponseData.Text(); got != cyrillic {
				t.Errorf("the owner echoed %q, want %q", got, cyrillic)
			}
			events, err := r.journal.Events(context.Background(), resp.Response.ResponseInfo.SessionID)
			if err != nil || len(events) == 0 || events[0].Kind != journal.Received {
				t.Fatalf("journal %+v %v", events, err)
			}
			if !strings.Contains(events[0].Detail, c.received) {
				t.Errorf("RECEIVED says %q, want it to contain %q", events[0].Detail, c.received)
			}
		})
	}
}

// A signed request re-encoded in windows-1251 still verifies: the signature is over the canonical
// form, which is UTF-8 whatever the body was sent in.
func TestWireSignedWindows1251(t *testing.T) {
	bed, err := testbed.Start(testbed.Options{Limits: rule.RulesLimits(), JournalPath: filepath.Join(t.TempDir(), "journal.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close(context.Background())
	b, err := envelope.Marshal(bed.Initiator.Request(testbed.ServiceID, envelope.StringData(cyrillic)))
	if err == nil {
		b, err = bed.Initiator.Sign(b)
	}
	if err != nil {
		t.Fatal(err)
	}
	b = append([]byte(`<?xml version="1.0" encoding="windows-1251"?>`), b[bytes.Index(b, []byte("<soap:Envelope")):]...)
	cp1251, err := charmap.Windows1251.NewEncoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	status, out := post(t, bed.Gateway.URL()+envelope.SyncPath, cp1251, nil)
	resp, fault, err := owner.Exchange{Response: out, Status: status}.Answer()
	if err != nil || fault != nil {
		t.Fatalf("HTTP %d, %v, fault %+v", status, err, fault)
	}
	if got := resp.Response.ResponseData.Text(); got != cyrillic {
		t.Errorf("the owner echoed %q", got)
	}
}

// What the gateway cannot read is refused with SCE001 naming the header, not a parser's complaint.
func TestWireRefusals(t *testing.T) {
	r := newRig(t, rule.RulesLimits())
	a := newAsyncRig(t, false)
	syncURL := r.gateway.URL() + envelope.SyncPath
	body := syncRequest(t, r)
	cp1251, err := charmap.Windows1251.NewEncoder().Bytes(redeclare(body, "windows-1251"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, url string
		body      []byte
		header    map[string]string
		rule      string
		says      []string
	}{
		{"br", syncURL, gzipped(body), map[string]string{"Content-Encoding": "br"}, "A1-T19 row 1", []string{"Content-Encoding", `"br"`, "gzip, deflate"}},
		{"gzip header over a plain body", syncURL, body, map[string]string{"Content-Encoding": "gzip"}, "A1-T19 row 1", []string{"Content-Encoding", "does not decompress"}},
		{"unknown charset", syncURL, body, map[string]string{"Content-Type": "text/xml; charset=x-unknown"}, "A1-T19 row 1", []string{"Content-Type charset", "x-unknown"}},
		{"lying charset", syncURL, cp1251, map[string]string{"Content-Type": "text/xml; charset=utf-8"}, "A1-T19 row 1", []string{"Content-Type charset", "not valid UTF-8", "windows-1251"}},
		{"br on the asynchronous channel", a.url + envelope.AsyncPath, body, map[string]string{"Content-Encoding": "br"}, "A1-T1 row 1", []string{"Content-Encoding", `"br"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := post(t, c.url, c.body, c.header)
			m, err := envelope.Parse(out)
			if err != nil || !m.IsFault() {
				t.Fatalf("HTTP %d: want a fault, got %s (%v)", status, out, err)
			}
			f, err := m.Fault()
			if err != nil {
				t.Fatal(err)
			}
			if f.Detail.ErrorCode != envelope.SCE001.ID || !strings.Contains(f.String, c.rule) {
				t.Errorf("got %s (%s), want SCE001 under %s", f.Detail.ErrorCode, f.String, c.rule)
			}
			for _, s := range c.says {
				if !strings.Contains(f.Detail.ErrorData, s) {
					t.Errorf("errorData does not say %q: %s", s, f.Detail.ErrorData)
				}
			}
			if strings.Contains(f.Detail.ErrorData, "Start tag expected") {
				t.Errorf("a parser's complaint instead of the header: %s", f.Detail.ErrorData)
			}
		})
	}
}

// The asynchronous channel reads a UTF-16 body too.
func TestWireAsyncUTF16(t *testing.T) {
	r := newAsyncRig(t, false)
	b, err := envelope.Marshal(r.initiator.Message(asyncService, envelope.TypeRequest, "", envelope.StringData(cyrillic)))
	if err != nil {
		t.Fatal(err)
	}
	utf16, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes(redeclare(b, "UTF-16"))
	status, out := post(t, r.url+envelope.AsyncPath, utf16, nil)
	x := owner.AsyncExchange{Response: out, Status: status}
	if x.Message, x.Err = envelope.Parse(out); x.Err == nil && x.Message.IsFault() {
		f, _ := x.Message.Fault()
		x.Fault = &f
	}
	var answer envelope.AsyncSendMessageAnswer
	if err := x.Decode(&answer); err != nil {
		t.Fatalf("HTTP %d: %v", status, err)
	}
	got, _ := r.owner.Poll(context.Background(), asyncService)
	if len(got) != 1 || got[0].MessageData.Text() != cyrillic {
		t.Fatalf("the owner got %+v, want %q", got, cyrillic)
	}
}

var dateElement = regexp.MustCompile(`<(\w*[dD]ate)>([^<]*)</`)

// zoneOK checks every date element of an answer is written in Astana time, and that there is one.
func zoneOK(t *testing.T, what string, body []byte) {
	t.Helper()
	dates := dateElement.FindAllSubmatch(body, -1)
	if len(dates) == 0 {
		t.Fatalf("%s has no date: %s", what, body)
	}
	for _, d := range dates {
		if !bytes.HasSuffix(d[2], []byte("+05:00")) {
			t.Errorf("%s: %s is %s, not in Astana time (+05:00)", what, d[1], d[2])
		}
	}
}

// Time zone policy: every date the gateway writes is in Astana time, +05:00, including dates it
// read back from its store.
func TestZoneAstana(t *testing.T) {
	r := newRig(t, rule.RulesLimits())
	url := r.gateway.URL() + envelope.SyncPath
	_, answer := post(t, url, syncRequest(t, r), nil)
	zoneOK(t, "the synchronous answer", answer)
	_, fault := post(t, url, []byte("<not-soap/>"), nil)
	zoneOK(t, "a fault", fault)

	a := newAsyncRig(t, true)
	sent := a.request(t, "<q/>")
	x := a.initiator.Status(context.Background(), sent.MessageID)
	if x.Err != nil || x.Fault != nil {
		t.Fatalf("getMessageStatus: %v %+v", x.Err, x.Fault)
	}
	zoneOK(t, "the getMessageStatus answer", x.Response) // statusDate comes from the store
	eventually(t, "a status notification", func() bool { return len(a.initiator.Statuses()) > 0 })
	for _, n := range a.initiator.Statuses() {
		if _, off := n.NotificationDate.Zone(); off != 5*60*60 {
			t.Errorf("notificationDate %s is not in Astana time", n.NotificationDate.Time)
		}
	}
}
