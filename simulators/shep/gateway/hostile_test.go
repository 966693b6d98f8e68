package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
)

type hostileCase struct {
	Name        string
	File        string `json:"file"`
	ContentType string `json:"contentType"`
	Status      int    `json:"status"`
	Code        string `json:"code"`
	Rule        string `json:"rule"`
	body        []byte
}

const hostileDir = "../../../fixtures/shep/hostile"

// generated are the inputs too large, too deep or too stateful for a file.
func generated(t *testing.T, bed *testbed.Bed) []hostileCase {
	signed := func() []byte {
		b, err := envelope.Marshal(bed.Initiator.Request(testbed.ServiceID, envelope.StringData("ping")))
		if err == nil {
			b, err = bed.Initiator.Sign(b)
		}
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	replayed := signed()
	deep := "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>" +
		strings.Repeat("<a>", 100000) + strings.Repeat("</a>", 100000) + "</soap:Body></soap:Envelope>"
	huge := append([]byte(`<?xml version="1.0"?><x>`), bytes.Repeat([]byte("A"), 11<<20)...)
	doc := string(signed())
	start, end := strings.Index(doc, "<soap:Body"), strings.Index(doc, "</soap:Envelope>")
	body := doc[start:end]
	forged := strings.Replace(strings.Replace(body, "ping", "forged", 1), `wsu:Id="id-`, `wsu:Id="forged-`, 1)
	wrapped := strings.Replace(doc[:start]+forged+doc[end:], "</soap:Header>", `<x:W xmlns:x="urn:x">`+body+"</x:W></soap:Header>", 1)
	return []hostileCase{
		{Name: "deep nesting", body: []byte(deep), ContentType: "text/xml", Status: 500, Code: "SCE001", Rule: "A1-T19 row 1"},
		{Name: "11 MiB body", body: huge, ContentType: "text/xml", Status: 500, Code: "SCE001", Rule: "A1-T19 row 1"},
		{Name: "signature wrapping", body: []byte(wrapped), ContentType: "text/xml", Status: 500, Code: "SCE006", Rule: "R-58"},
		{Name: "first send of a message", body: replayed, ContentType: "text/xml", Status: 200},
		{Name: "replay of the same message", body: replayed, ContentType: "text/xml", Status: 500, Code: "SCE022", Rule: "R-61"},
	}
}

// TestHostileInputs sends the whole corpus: each input is refused with the expected fault naming its
// rule and journaled; nothing but the one legitimate message reaches the owner; the gateway still
// answers a valid message at the end.
func TestHostileInputs(t *testing.T) {
	bed, err := testbed.Start(testbed.Options{Limits: rule.RulesLimits(), JournalPath: filepath.Join(t.TempDir(), "journal.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close(context.Background())
	manifest, err := os.ReadFile(filepath.Join(hostileDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []hostileCase
	if err := json.Unmarshal(manifest, &cases); err != nil {
		t.Fatal(err)
	}
	for i := range cases {
		cases[i].Name = cases[i].File + " as " + cases[i].ContentType
		if cases[i].body, err = os.ReadFile(filepath.Join(hostileDir, cases[i].File)); err != nil {
			t.Fatal(err)
		}
	}
	cases = append(cases, generated(t, bed)...)
	url := bed.Gateway.URL() + envelope.SyncPath
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			resp, err := http.Post(url, c.ContentType, bytes.NewReader(c.body))
			if err != nil {
				t.Fatalf("the gateway did not answer: %v", err)
			}
			defer resp.Body.Close()
			var out bytes.Buffer
			_, _ = out.ReadFrom(resp.Body)
			if resp.StatusCode != c.Status {
				t.Fatalf("HTTP %d, want %d: %.300s", resp.StatusCode, c.Status, out.String())
			}
			if c.Code == "" {
				return
			}
			m, err := envelope.Parse(out.Bytes())
			if err != nil {
				t.Fatalf("the refusal is not a SOAP fault: %v", err)
			}
			f, err := m.Fault()
			if err != nil || f.Detail.ErrorCode != c.Code || !strings.Contains(f.Detail.ErrorData, c.Rule) {
				t.Fatalf("fault %+v (%v), want %s citing %s", f.Detail, err, c.Code, c.Rule)
			}
			x, err := bed.Journal.Exchange(context.Background(), f.Detail.SessionID)
			if err != nil || x.Outcome != journal.Rejected || x.Code != c.Code {
				t.Fatalf("journal %+v (%v), want REJECTED %s", x, err, c.Code)
			}
		})
	}
	if n := len(bed.Owner.Received()); n != 1 {
		t.Fatalf("the owner received %d requests, want only the one legitimate message", n)
	}
	if _, fault := sendSigned(t, bed); fault != nil {
		t.Fatalf("after the corpus the gateway refuses a valid message: %+v", fault.Detail)
	}
}

func sendSigned(t *testing.T, bed *testbed.Bed) (*envelope.SendMessageResponse, *envelope.Fault) {
	t.Helper()
	b, err := envelope.Marshal(bed.Initiator.Request(testbed.ServiceID, envelope.StringData("ping")))
	if err == nil {
		b, err = bed.Initiator.Sign(b)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, fault, err := bed.Initiator.Send(context.Background(), b).Answer()
	if err != nil {
		t.Fatal(err)
	}
	return resp, fault
}
