package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/beevik/etree"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

const (
	wsdlNS = "http://schemas.xmlsoap.org/wsdl/"
	xsdNS  = "http://www.w3.org/2001/XMLSchema"
)

// references lists a document's links: wsdl:import locations and xsd import/include schemaLocations.
func references(doc *etree.Document) (wsdlRefs, xsdRefs []string) {
	for _, el := range doc.FindElements("//*") {
		switch ns := el.NamespaceURI(); {
		case ns == wsdlNS && el.Tag == "import":
			wsdlRefs = append(wsdlRefs, el.SelectAttrValue("location", ""))
		case ns == xsdNS && (el.Tag == "import" || el.Tag == "include"):
			if loc := el.SelectAttrValue("schemaLocation", ""); loc != "" {
				xsdRefs = append(xsdRefs, loc)
			}
		}
	}
	return wsdlRefs, xsdRefs
}

func readDoc(t *testing.T, fsys fs.FS, name string) *etree.Document {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatalf("%s is not well-formed: %v", name, err)
	}
	return doc
}

// The WSDL files are well-formed, carry the real gateway's names, and every document they reference,
// directly or through the schemas, is in the fixtures; libxml2 compiles the schema set they import.
func TestWSDLFilesResolve(t *testing.T) {
	cases := []struct {
		entry string
		names []string
	}{
		{"sync-channel.wsdl", []string{`name="ISyncChannel"`, `name="SendMessage"`, `name="SyncChannelHttpBinding"`,
			`name="ISyncChannelHttpService"`, `name="SyncChannelHttpPort"`, `soapAction=""`, "SendMessageFault1_SendMessageFault"}},
		{"async-channel.wsdl", []string{`name="IAsyncChannel"`, `name="sendMessage"`, `name="sendDeliveryNotification"`,
			`name="getMessageStatus"`, `name="getMessages"`, `name="AsyncChannelHttpBinding"`, `name="AsyncChannelHttpService"`,
			`name="AsyncChannelHttpPort"`, "getMessagesFault1_getMessagesFault"}},
	}
	for _, c := range cases {
		t.Run(c.entry, func(t *testing.T) {
			var text strings.Builder
			seenXSD := map[string]bool{}
			var walkXSD func(name string)
			walkXSD = func(name string) {
				if seenXSD[name] {
					return
				}
				seenXSD[name] = true
				_, refs := references(readDoc(t, shepfixtures.XSD(), name))
				for _, ref := range refs {
					walkXSD(path.Join(path.Dir(name), ref))
				}
			}
			var imports []string // the WSDL's schema imports, relocated into the schema tree
			queue := []string{c.entry}
			for len(queue) > 0 {
				name := queue[0]
				queue = queue[1:]
				doc := readDoc(t, shepfixtures.WSDL(), name)
				s, _ := doc.WriteToString()
				text.WriteString(s)
				wsdlRefs, _ := references(doc)
				for _, ref := range wsdlRefs {
					queue = append(queue, path.Join(path.Dir(name), ref))
				}
				for _, el := range doc.FindElements("//types/schema/import") {
					ref := el.SelectAttrValue("schemaLocation", "")
					p := path.Join("wsdl", path.Dir(name), ref)
					if !strings.HasPrefix(p, "xsd/") {
						t.Fatalf("%s: schema %s is outside fixtures/shep/xsd", name, ref)
					}
					p = strings.TrimPrefix(p, "xsd/")
					imports = append(imports, `<xs:import namespace="`+el.SelectAttrValue("namespace", "")+`" schemaLocation="`+p+`"/>`)
					walkXSD(p)
				}
			}
			if len(imports) == 0 {
				t.Fatal("no schema imported")
			}
			for _, n := range c.names {
				if !strings.Contains(text.String(), n) {
					t.Errorf("the WSDL lacks %s", n)
				}
			}
			// libxml2 compiles the schema set as a client would load it from the WSDL.
			overlay := fstest.MapFS{}
			fs.WalkDir(shepfixtures.XSD(), ".", func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					b, _ := fs.ReadFile(shepfixtures.XSD(), p)
					overlay[p] = &fstest.MapFile{Data: b}
				}
				return err
			})
			entry := `<xs:schema xmlns:xs="` + xsdNS + `">` + strings.Join(imports, "") + `</xs:schema>`
			overlay["wsdl-types.xsd"] = &fstest.MapFile{Data: []byte(entry)}
			if _, err := schema.CompileXSD(overlay, "wsdl-types.xsd", "data"); err != nil {
				t.Fatalf("the WSDL's schemas do not compile: %v", err)
			}
		})
	}
}

func get(t *testing.T, c *http.Client, u string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// crawl fetches a served description and everything it references, checking each reference points
// back at the endpoint called.
func crawl(t *testing.T, c *http.Client, u, endpoint string) (docs int, address string) {
	t.Helper()
	seen := map[string]bool{}
	queue := []string{u}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if seen[u] {
			continue
		}
		seen[u] = true
		status, h, b := get(t, c, u)
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/xml") {
			t.Fatalf("GET %s: HTTP %d %s: %s", u, status, h.Get("Content-Type"), b)
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(b); err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		if a := doc.FindElement("//service/port/address"); a != nil {
			address = a.SelectAttrValue("location", "")
		}
		wsdlRefs, xsdRefs := references(doc)
		for _, ref := range append(wsdlRefs, xsdRefs...) {
			if !strings.HasPrefix(ref, endpoint+"?wsdl=") && !strings.HasPrefix(ref, endpoint+"?xsd=") {
				t.Errorf("%s references %s, not the endpoint %s", u, ref, endpoint)
				continue
			}
			queue = append(queue, ref)
		}
	}
	return len(seen), address
}

func TestWSDLServed(t *testing.T) {
	r := newRig(t, rule.RulesLimits())
	a := newAsyncRig(t, false)
	c := http.DefaultClient
	for _, endpoint := range []string{
		r.gateway.URL() + "/bip-sync-wss-gost/",
		r.gateway.URL() + "/bip-sync-wss-gost",
		a.url + "/bip-async",
	} {
		for _, query := range []string{"?wsdl", "?WSDL", "?singleWsdl"} {
			docs, address := crawl(t, c, endpoint+query, endpoint)
			if address != endpoint {
				t.Errorf("GET %s%s: soap:address %q, want the endpoint called", endpoint, query, address)
			}
			if docs < 5 {
				t.Errorf("GET %s%s: only %d documents reachable", endpoint, query, docs)
			}
		}
	}

	// Behind TLS the address says https.
	gw, err := gateway.New(gateway.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tls := httptest.NewTLSServer(gw.Handler())
	defer tls.Close()
	if _, address := crawl(t, tls.Client(), tls.URL+"/bip-sync-wss-gost/?wsdl", tls.URL+"/bip-sync-wss-gost/"); !strings.HasPrefix(address, "https://") {
		t.Errorf("over TLS the address is %q", address)
	}

	// Only the fixtures are served, and every other GET is refused as before.
	sync := r.gateway.URL() + envelope.SyncPath
	for _, q := range []string{"?xsd=../wsdl/sync-channel.wsdl", "?xsd=/etc/passwd", "?xsd=", "?xsd=nope.xsd",
		"?wsdl=../xsd/sync-channel.xsd", "?wsdl=" + url.QueryEscape("../../go.mod")} {
		if status, _, b := get(t, c, sync+q); status != http.StatusNotFound {
			t.Errorf("GET %s: HTTP %d, want 404: %.100s", q, status, b)
		}
	}
	for _, u := range []string{sync, sync + "?foo", a.url + envelope.AsyncPath} {
		status, h, _ := get(t, c, u)
		if status != http.StatusMethodNotAllowed || h.Get("Allow") != http.MethodPost {
			t.Errorf("GET %s: HTTP %d Allow %q, want 405 Allow POST", u, status, h.Get("Allow"))
		}
	}
}

// zeepPython is a Python with zeep (Debian python3-zeep, installed by scripts/deps); the test is
// skipped without one, and fails under CI=true.
func zeepPython(t *testing.T) string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import zeep").Run() == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("python3-zeep is required under CI=true (scripts/deps installs it)")
	}
	t.Skip("no python3 with zeep (scripts/deps installs python3-zeep)")
	return ""
}

// zeepClient builds each operation from the WSDL the gateway serves, prints the envelopes, and calls
// the first operation for real. It is an independent SOAP stack: nothing in it comes from our Go code.
const zeepClient = `
import datetime, json, sys
import zeep
from lxml import etree

wsdl, calls = sys.argv[1], json.loads(sys.argv[2])
client = zeep.Client(wsdl)
astana = datetime.timezone(datetime.timedelta(hours=5))
def dates(v):
    if isinstance(v, dict):
        return {k: dates(x) for k, x in v.items()}
    if v == "NOW":
        return datetime.datetime.now(astana)
    if v == "DATA":
        return zeep.xsd.AnyObject(zeep.xsd.String(), "Привет")
    return v
out = {"binding": str(client.service._binding_options), "envelopes": {}}
for op, request in calls.items():
    m = client.create_message(client.service, op, request=dates(request))
    out["envelopes"][op] = etree.tostring(m, encoding="unicode")
first = next(iter(calls))
answer = getattr(client.service, first)(request=dates(calls[first]))
out["answer"] = str(zeep.helpers.serialize_object(answer))
print(json.dumps(out))
`

func runZeep(t *testing.T, wsdl string, calls string) (binding string, envelopes map[string]string, answer string) {
	t.Helper()
	py := zeepPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", zeepClient, wsdl, calls)
	cmd.Env = append(os.Environ(), "NO_PROXY=*", "no_proxy=*")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if e, ok := err.(*exec.ExitError); ok {
			stderr = string(e.Stderr)
		}
		t.Fatalf("zeep: %v\n%s", err, stderr)
	}
	var v struct {
		Binding   string            `json:"binding"`
		Envelopes map[string]string `json:"envelopes"`
		Answer    string            `json:"answer"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("zeep output %s: %v", out, err)
	}
	return v.Binding, v.Envelopes, v.Answer
}

// An independent client (zeep) loads the synchronous WSDL from the endpoint, builds SendMessage, and
// calls the gateway with it: the envelope passes the gateway's schema and the owner answers.
func TestWSDLZeepSync(t *testing.T) {
	r := newRig(t, rule.RulesLimits())
	calls := `{"SendMessage": {"requestInfo": {"messageId": "zeep-1", "serviceId": "S1", "messageDate": "NOW",
		"sender": {"senderId": "IS-A", "password": "pw"}}, "requestData": {"data": "DATA"}}}`
	binding, envelopes, answer := runZeep(t, r.gateway.URL()+"/bip-sync-wss-gost/?wsdl", calls)
	if !strings.Contains(binding, r.gateway.URL()+"/bip-sync-wss-gost/") {
		t.Errorf("zeep's binding options %s lack the endpoint", binding)
	}
	x, err := schema.CompileXSD(shepfixtures.XSD(), "sync-channel.xsd", "data")
	if err != nil {
		t.Fatal(err)
	}
	if v := x.Validate([]byte(envelopes["SendMessage"])); len(v) > 0 {
		t.Errorf("zeep's SendMessage breaks the channel schema: %v\n%s", v, envelopes["SendMessage"])
	}
	if !strings.Contains(answer, "Привет") || !strings.Contains(answer, "sessionId") {
		t.Errorf("zeep's call got %s, want the owner's echo", answer)
	}
}

// The asynchronous WSDL lets zeep build all four operations of the gateway's interface, each valid
// against the channel schema, and call sendMessage.
func TestWSDLZeepAsync(t *testing.T) {
	a := newAsyncRig(t, false)
	calls := `{
	"sendMessage": {"messageInfo": {"serviceId": "` + asyncService + `", "messageType": "REQUEST", "messageDate": "NOW",
		"sender": {"senderId": "IS-INIT", "password": "pw-i"}}, "messageData": {"data": "DATA"}},
	"getMessageStatus": {"messageId": "m1", "requestDate": "NOW", "sender": {"senderId": "IS-INIT", "password": "pw-i"}},
	"getMessages": {"serviceId": "` + asyncService + `", "requestDate": "NOW", "sender": {"senderId": "IS-OWNER", "password": "pw-o"}, "amount": 5},
	"sendDeliveryNotification": {"notification": {"messageId": "m1", "serviceId": "` + asyncService + `", "notificationDate": "NOW",
		"deliveryStatus": {"receiveStatus": "MESSAGE_ACCEPTED", "statusDate": "NOW", "resendMessage": "NOT_RESEND"}},
		"requestDate": "NOW", "sender": {"senderId": "IS-OWNER", "password": "pw-o"}}}`
	_, envelopes, answer := runZeep(t, a.url+"/bip-async?wsdl", calls)
	for _, op := range []string{"sendMessage", "getMessageStatus", "getMessages", "sendDeliveryNotification"} {
		if envelopes[op] == "" {
			t.Errorf("zeep built no %s", op)
			continue
		}
		a.valid(t, "zeep's "+op, []byte(envelopes[op]))
	}
	if !strings.Contains(answer, "messageId") || !strings.Contains(answer, "correlationId") {
		t.Errorf("zeep's sendMessage got %s", answer)
	}
}
