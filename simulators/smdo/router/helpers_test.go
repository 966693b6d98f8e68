package router

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// party is a subscriber of the tests with its credentials and signing identity.
type party struct {
	ID, Code, Name, User, Pass string
	id                         *pki.Identity
}

// The test CA and the identities it issued are made once: key generation is the slow part.
var (
	caOnce   sync.Once
	testCA   *nca.Authority
	idents   map[string]*pki.Identity
	foreign  *pki.Identity // issued by another CA: does not chain to the router's roots
	caFailed error
)

func authority(t *testing.T) (*nca.Authority, map[string]*pki.Identity) {
	t.Helper()
	caOnce.Do(func() {
		testCA, caFailed = nca.New("Test SMDO CA")
		if caFailed != nil {
			return
		}
		idents = map[string]*pki.Identity{}
		for _, n := range []string{"agency", "ministry", "committee", "stranger"} {
			if idents[n], caFailed = testCA.Issue(nca.Subject{CommonName: n + " signer", Organization: n}, pki.ECDSAP256); caFailed != nil {
				return
			}
		}
		other, err := nca.New("Other CA")
		if err != nil {
			caFailed = err
			return
		}
		foreign, caFailed = other.Issue(nca.Subject{CommonName: "agency signer"}, pki.ECDSAP256)
	})
	if caFailed != nil {
		t.Fatal(caFailed)
	}
	return testCA, idents
}

type env struct {
	t        *testing.T
	r        *Router
	url      string
	http     *http.Client
	agency   party // the system under test's subscriber in most tests
	ministry party // a receiver with its own client
	scripted party // a receiver the router plays (no credentials)
}

func newEnv(t *testing.T, opts ...Option) *env {
	t.Helper()
	ca, ids := authority(t)
	all := append([]Option{WithVerifier(cms.Verifier{Roots: ca.Roots(), Intermediates: ca.Intermediates()})}, opts...)
	r, err := New(all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	e := &env{t: t, r: r,
		agency:   party{ID: "1001", Code: "SMDO-AGENCY", Name: "Агентство по проверке", User: "agency", Pass: "secret-a", id: ids["agency"]},
		ministry: party{ID: "1002", Code: "SMDO-MINISTRY", Name: "Министерство образцов", User: "ministry", Pass: "secret-m", id: ids["ministry"]},
		scripted: party{ID: "1003", Code: "SMDO-COMMITTEE", Name: "Комитет по примерам", id: ids["committee"]},
	}
	for _, p := range []party{e.agency, e.ministry, e.scripted} {
		if err := r.AddSubscriber(Subscriber{ID: p.ID, Code: p.Code, Name: p.Name, Username: p.User, Password: p.Pass,
			Certificates: []*x509.Certificate{p.id.Certificate}}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewUnstartedServer(r)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes cut by Close at the end of a test
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e.url, e.http = srv.URL, srv.Client()
	return e
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v: %s", r.status, err, r.body)
	}
	return m
}

// refusal checks an error answer: the status, the rule and the field it names, and a message
// rendered from the breach.
func (r reply) refusal(t *testing.T, status int, ruleID, field string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	m := r.json(t)
	if m["rule"] != ruleID || m["field"] != field {
		t.Fatalf("rule %v field %v, want %s %s: %s", m["rule"], m["field"], ruleID, field, r.body)
	}
	if msg, _ := m["message"].(string); !strings.Contains(msg, "breaks "+ruleID) || !strings.Contains(msg, "Fix:") {
		t.Fatalf("the message is not the breach: %s", r.body)
	}
	if m["status"] != float64(status) {
		t.Fatalf("status field %v: %s", m["status"], r.body)
	}
	return m
}

func (e *env) do(method, path, tok, contentType string, body []byte) reply {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return e.roundTrip(req)
}

func (e *env) roundTrip(req *http.Request) reply {
	e.t.Helper()
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func (e *env) tokenReply(user, pass string) reply {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/token?scope=application&grant_type=client_credentials", nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return e.roundTrip(req)
}

func (e *env) token(p party) string {
	e.t.Helper()
	r := e.tokenReply(p.User, p.Pass)
	if r.status != http.StatusOK {
		e.t.Fatalf("token: %d %s", r.status, r.body)
	}
	tok, _ := r.json(e.t)["access_token"].(string)
	return tok
}

func (e *env) postJSON(method, path, tok string, v any) reply {
	e.t.Helper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			e.t.Fatal(err)
		}
	}
	return e.do(method, path, tok, "application/json", b)
}

// packet is a package JSON under construction.
type packet map[string]any

// documentPacket is a document (msg_type 1, msg_acknow 2) from one party to others, with a
// docTransfer for each file named (the name is the referenceid; the type its extension).
func documentPacket(from party, files []string, to ...party) packet {
	var transfers []any
	for _, f := range files {
		transfers = append(transfers, map[string]any{"name": "Файл " + f, "type": f[strings.LastIndex(f, "."):], "description": "Основной файл",
			"data": map[string]any{"referenceid": f}})
	}
	return envelopePacket(from, 1, 2, map[string]any{"document": map[string]any{
		"idnumber": from.Code + "_" + uuid.NewString()[:8], "kind": "Письмо", "type": 0, "pages": 1, "title": "О проверке сопряжения",
		"regNumber": map[string]any{"value": "01-02/15", "regdate": "2026-12-01"}, "docTransfer": transfers,
	}}, to...)
}

// envelopePacket is a package of any kind.
func envelopePacket(from party, msgType, msgAcknow int, body map[string]any, to ...party) packet {
	var tos, receivers []any
	for _, p := range to {
		tos = append(tos, map[string]any{"idAbonent": p.ID, "typeAbonent": "SMDO", "name": p.Name})
		receivers = append(receivers, map[string]any{"id": p.Code, "name": p.Name})
	}
	return packet{"dateSent": "2026-12-02T10:00:00Z", "to": tos, "body": map[string]any{"envelop": map[string]any{
		"type": "SDIP-2.1.1", "msg_id": uuid.NewString(), "dtstamp": "2026-12-02T10:00:00Z", "subject": "Тест",
		"header": map[string]any{"sender": map[string]any{"id": from.Code, "name": from.Name},
			"receiver": receivers, "msg_type": msgType, "msg_acknow": msgAcknow},
		"body": body,
	}}}
}

// set replaces the value at a dotted path ("body.envelop.header.msg_type", "to.0.idAbonent").
func (p packet) set(path string, v any) packet {
	segs := strings.Split(path, ".")
	var cur any = map[string]any(p)
	for i, s := range segs {
		last := i == len(segs)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if v == nil {
					delete(c, s)
				} else {
					c[s] = v
				}
				return p
			}
			cur = c[s]
		case []any:
			n, _ := strconv.Atoi(s)
			if last {
				c[n] = v
				return p
			}
			cur = c[n]
		default:
			panic("no " + path)
		}
	}
	return p
}

func (p packet) get(path string) any {
	var cur any = map[string]any(p)
	for _, s := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[s]
		case []any:
			n, _ := strconv.Atoi(s)
			cur = c[n]
		}
	}
	return cur
}

func (p packet) msgID() string { return p.get("body.envelop.msg_id").(string) }

func (p packet) bytes() []byte {
	b, _ := json.Marshal(p)
	return b
}

func (e *env) create(tok string, p packet) string {
	e.t.Helper()
	r := e.postJSON("POST", outgoingPath, tok, p)
	if r.status != http.StatusOK {
		e.t.Fatalf("create: %d %s", r.status, r.body)
	}
	id, _ := r.json(e.t)["packageId"].(string)
	return id
}

func (e *env) attachReply(tok, pkgID, name string, data []byte) reply {
	e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	return e.do("POST", outgoingPath+"/"+pkgID+"/attach", tok, w.FormDataContentType(), buf.Bytes())
}

func (e *env) attach(tok, pkgID, name string, data []byte) string {
	e.t.Helper()
	r := e.attachReply(tok, pkgID, name, data)
	if r.status != http.StatusOK {
		e.t.Fatalf("attach %s: %d %s", name, r.status, r.body)
	}
	id, _ := r.json(e.t)["id"].(string)
	return id
}

// signature is the base64 of a detached CMS by id over data.
func signature(t *testing.T, id *pki.Identity, data []byte) string {
	t.Helper()
	der, err := cms.SignDetached(id, data)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func (e *env) signReply(tok, pkgID, attachID string, signs ...string) reply {
	e.t.Helper()
	var body []map[string]any
	for _, s := range signs {
		body = append(body, map[string]any{"keyId": nil, "signer": nil, "operationType": "null", "origSignatire": "null", "data": s})
	}
	return e.postJSON("PUT", outgoingPath+"/"+pkgID+"/attach/"+attachID+"/signs", tok, body)
}

func (e *env) sign(tok, pkgID, attachID string, id *pki.Identity, data []byte) {
	e.t.Helper()
	if r := e.signReply(tok, pkgID, attachID, signature(e.t, id, data)); r.status != http.StatusOK {
		e.t.Fatalf("signs: %d %s", r.status, r.body)
	}
}

func (e *env) sendReply(tok, pkgID string) reply {
	e.t.Helper()
	return e.do("GET", outgoingPath+"/"+pkgID+"/send", tok, "", nil)
}

// prepare creates a package, attaches and signs each file: everything but the send.
func (e *env) prepare(tok string, from party, p packet, files map[string][]byte) string {
	e.t.Helper()
	id := e.create(tok, p)
	for _, name := range sortedNames(files) {
		aid := e.attach(tok, id, name, files[name])
		e.sign(tok, id, aid, from.id, files[name])
	}
	return id
}

// sendAll prepares and sends a package, expecting 204.
func (e *env) sendAll(tok string, from party, p packet, files map[string][]byte) string {
	e.t.Helper()
	id := e.prepare(tok, from, p, files)
	if r := e.sendReply(tok, id); r.status != http.StatusNoContent {
		e.t.Fatalf("send: %d %s", r.status, r.body)
	}
	return id
}

func sortedNames(files map[string][]byte) []string {
	var out []string
	for n := range files {
		out = append(out, n)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// incoming is a decoded page of the incoming list.
type incoming struct {
	Content []struct {
		ID, ConfirmID, HeaderID, ParentID string
		From, To                          struct{ IDAbonent, TypeAbonent, Name string }
		DateSent, DateIn                  string
		Ack                               bool
		Attachments                       []struct {
			ID, Name string
			Size     int
			Sign     []map[string]any
		}
		Body json.RawMessage
	}
	HasNext       bool
	Page, Size    int
	TotalElements int
}

func (e *env) list(tok string, page, size int, onlyNew bool) incoming {
	e.t.Helper()
	r := e.postJSON("POST", incomingPath, tok, map[string]any{"page": page, "size": size, "onlyNew": onlyNew})
	if r.status != http.StatusOK {
		e.t.Fatalf("list: %d %s", r.status, r.body)
	}
	var in incoming
	if err := json.Unmarshal(r.body, &in); err != nil {
		e.t.Fatal(err)
	}
	return in
}

func (e *env) confirm(tok, confirmID string) {
	e.t.Helper()
	if r := e.do("GET", incomingPath+"/confirm/"+confirmID, tok, "", nil); r.status != http.StatusNoContent {
		e.t.Fatalf("confirm: %d %s", r.status, r.body)
	}
}

func (e *env) pkg(id string) Package {
	e.t.Helper()
	p, ok := e.r.Package(id)
	if !ok {
		e.t.Fatalf("no package %s", id)
	}
	return p
}

// lastRequest is the newest entry of the log.
func (e *env) lastRequest() Request {
	rs := e.r.Requests()
	if len(rs) == 0 {
		e.t.Fatal("empty log")
	}
	return rs[len(rs)-1]
}

// eventually polls cond until it holds or a second passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ackOf reads an incoming item's acknowledgement.
func ackOf(t *testing.T, body json.RawMessage) (msgID string, ackType, errorCode int, value string) {
	t.Helper()
	var b struct {
		Envelop struct {
			Body struct {
				Acknowledgement struct {
					MsgID     string `json:"msg_id"`
					AckType   int    `json:"ack_type"`
					AckResult []struct {
						Value     string `json:"value"`
						ErrorCode int    `json:"errorcode"`
					} `json:"ackResult"`
				} `json:"acknowledgement"`
			} `json:"body"`
		} `json:"envelop"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	a := b.Envelop.Body.Acknowledgement
	if len(a.AckResult) != 1 {
		t.Fatalf("ackResult %+v in %s", a.AckResult, body)
	}
	return a.MsgID, a.AckType, a.AckResult[0].ErrorCode, a.AckResult[0].Value
}

func messageOf(t *testing.T, body json.RawMessage) string {
	t.Helper()
	var b struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	return b.Message
}

// multipartOf is a multipart body of one part, a file part when fileName is not empty.
func multipartOf(t *testing.T, field, fileName, value string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	var pw io.Writer
	var err error
	if fileName != "" {
		pw, err = w.CreateFormFile(field, fileName)
	} else {
		pw, err = w.CreateFormField(field)
	}
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(pw, value)
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
