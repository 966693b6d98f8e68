package client

import (
	"archive/zip"
	"bytes"
	"crypto"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/simulators/nca"
)

// This file is a small stand-in of ESIA's token endpoint, the EPGU API and a TSA that checks the
// request shapes the spec fixes and records what it saw. The real simulators replace it in the
// lead's end-to-end tests.

// hit is one request the fake saw.
type hit struct {
	Method, Path string
	Query        url.Values
	Header       http.Header
	At           time.Time
	JSON         map[string]any    // a JSON body
	Fields       map[string]string // multipart value parts, meta included
	PartTypes    map[string]string // Content-Type of each multipart part
	FileName     string
	File         []byte
	Status       int
}

// injection answers matching requests with status instead of the fake's own handling.
type injection struct {
	match  func(h *hit) bool
	status int
	header map[string]string
	body   string
	times  int // how many requests it answers; <0 for all
}

type fake struct {
	t     *testing.T
	srv   *httptest.Server
	clock *clock.Virtual
	tsaID *pki.Identity

	mu        sync.Mutex
	hits      []*hit
	tokens    map[string]bool
	nextToken int
	nextOrder int64
	inject    []*injection
	archives  map[int64][]byte   // the archive of each order, chunks assembled
	chunks    map[int64][][]byte // chunks by index
	polls     map[int64]int
	old112    bool // a v1.12 portal: no /api/gusmev/files/download
	esiaState func(sent string) string
	// details answers the poll-th poll (1-based) of an order: the processing code and the order,
	// nil for none.
	details func(id int64, poll int) (string, map[string]any)
}

var testIdentity = sync.OnceValues(func() (*pki.Identity, error) {
	a, err := nca.New("EPGU client test")
	if err != nil {
		return nil, err
	}
	return a.Issue(nca.Subject{CommonName: "ВИС тест", Organization: "Тест"}, pki.ECDSAP256)
})

func newFake(t *testing.T) *fake {
	t.Helper()
	id, err := testIdentity()
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{t: t, clock: clock.NewVirtual(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)), tsaID: id,
		tokens: map[string]bool{}, nextOrder: 764255248, archives: map[int64][]byte{}, chunks: map[int64][][]byte{},
		polls: map[int64]int{}}
	f.details = func(id int64, _ int) (string, map[string]any) { return "DONE", testOrder(id, 2, true, false) }
	f.srv = httptest.NewTLSServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// config is a well-behaved client's configuration against the fake.
func (f *fake) config() Config {
	id, _ := testIdentity()
	return Config{ESIAURL: f.srv.URL, APIURL: f.srv.URL, HTTPClient: f.srv.Client(), Identity: id,
		Mnemonic: "TESTSYS", APIKey: []byte("mnemonic;api_key\r\nTESTSYS;" + testAPIKey + "\r\n"),
		TSAURL: f.srv.URL + "/tsa", Clock: f.clock}
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := &hit{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), At: f.clock.Now()}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	status, hdr, answer := f.answer(h, r, body)
	h.Status = status
	f.mu.Lock()
	f.hits = append(f.hits, h)
	f.mu.Unlock()
	for k, v := range hdr {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	w.Write(answer)
}

var jsonType = map[string]string{"Content-Type": "application/json"}

func errorBody(code, msg string) []byte {
	b, _ := json.Marshal(map[string]string{"code": code, "message": msg})
	return b
}

func (f *fake) answer(h *hit, r *http.Request, body []byte) (int, map[string]string, []byte) {
	ctype, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ctype == "application/json" && len(body) > 0:
		if err := json.Unmarshal(body, &h.JSON); err != nil {
			return 400, jsonType, errorBody("bad_request", "body is not JSON")
		}
	case ctype == "multipart/form-data":
		if err := h.readMultipart(body, params["boundary"]); err != nil {
			return 400, jsonType, errorBody("bad_request", err.Error())
		}
	}
	if h.Path == "/tsa" {
		return f.stamp(body)
	}
	if in := f.injected(h); in != nil {
		hdr := map[string]string{"Content-Type": "application/json"}
		for k, v := range in.header {
			hdr[k] = v
		}
		return in.status, hdr, []byte(in.body)
	}
	if strings.HasPrefix(h.Path, tokenPrefix) {
		return f.token(h)
	}
	if tok, ok := strings.CutPrefix(h.Header.Get("Authorization"), "Bearer "); !ok || !f.validToken(tok) {
		return 401, nil, nil
	}
	return f.api(h)
}

func (h *hit) readMultipart(body []byte, boundary string) error {
	h.Fields, h.PartTypes = map[string]string{}, map[string]string{}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return err
		}
		name := p.FormName()
		h.PartTypes[name] = p.Header.Get("Content-Type")
		if p.FileName() != "" {
			h.FileName, h.File = p.FileName(), data
			continue
		}
		h.Fields[name] = string(data)
	}
}

func (f *fake) injected(h *hit) *injection {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, in := range f.inject {
		if in.times != 0 && in.match(h) {
			in.times--
			return in
		}
	}
	return nil
}

func (f *fake) validToken(tok string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens[tok]
}

// tokenPrefix starts the path of ESIA's API-key token service (Б.12).
const tokenPrefix = "/esia-rs/api/public/v1/orgs/ext-app/"

// testAPIKey is the key of the fake's API key file.
const testAPIKey = "3f8a2c1e-5b7d-4e9f-a1b2-c3d4e5f60718"

// token is ESIA's API-key token service (ESIA-B12) as far as the client's request goes: the key in
// the path, its detached signature in the query; the token is JWT-shaped with an exp.
func (f *fake) token(h *hit) (int, map[string]string, []byte) {
	esiaError := func(status int, code, desc string) (int, map[string]string, []byte) {
		b, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
		return status, jsonType, b
	}
	key, ok := strings.CutSuffix(strings.TrimPrefix(h.Path, tokenPrefix), "/tkn")
	if h.Method != "GET" || !ok {
		return esiaError(404, "not_found", "no such method")
	}
	if key != testAPIKey {
		return esiaError(404, "not_found", "The API key is not known")
	}
	sig, err := base64.URLEncoding.DecodeString(h.Query.Get("signature"))
	if err != nil {
		return esiaError(400, "invalid_request", "ESIA-007053: signature is not base64url")
	}
	p7, err := pkcs7.Parse(sig)
	if err != nil {
		return esiaError(400, "invalid_request", "ESIA-007053: signature is not CMS")
	}
	p7.Content = []byte(key)
	if err := p7.Verify(); err != nil {
		return esiaError(400, "invalid_request", "ESIA-007053: signature does not verify: "+err.Error())
	}
	f.mu.Lock()
	f.nextToken++
	enc := base64.RawURLEncoding
	tok := enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
		enc.EncodeToString(fmt.Appendf(nil, `{"exp":%d,"jti":"tok-%d"}`, f.clock.Now().Add(time.Hour).Unix(), f.nextToken)) + ".sig"
	f.tokens[tok] = true
	f.mu.Unlock()
	b, _ := json.Marshal(map[string]string{"accessTkn": tok})
	return 200, jsonType, b
}

var (
	detailsPath  = regexp.MustCompile(`^/api/gusmev/order/(\d+)$`)
	cancelPath   = regexp.MustCompile(`^/api/gusmev/order/(\d+)/cancel$`)
	download113  = regexp.MustCompile(`^/api/gusmev/files/download/(\d+)/(\d+)$`)
	download112  = regexp.MustCompile(`^/api/storage/v2/files/(\d+)/(\d+)/download$`)
	metaKeys     = []string{"region", "serviceCode", "targetCode"}
	resultPrefix = "RESULT "
)

// api answers the EPGU methods after checking the shapes of spec section 2 (Tables 4-34).
func (f *fake) api(h *hit) (int, map[string]string, []byte) {
	orderID := func(id int64) []byte { return fmt.Appendf(nil, `{"orderId":%d}`, id) }
	switch {
	case h.Method == "POST" && h.Path == "/api/gusmev/order":
		if msg := checkMeta(h.JSON); msg != "" {
			return 400, jsonType, errorBody("bad_request", msg)
		}
		return 200, jsonType, orderID(f.newOrder())
	case h.Method == "POST" && h.Path == "/api/gusmev/push":
		if msg := checkMetaPart(h); msg != "" {
			return 400, jsonType, errorBody("bad_request", msg)
		}
		if h.File == nil {
			return 400, jsonType, errorBody("bad_request", "no file")
		}
		id := f.newOrder()
		f.mu.Lock()
		f.archives[id] = h.File
		f.mu.Unlock()
		return 200, jsonType, orderID(id)
	case h.Method == "POST" && h.Path == "/api/gusmev/push/chunked":
		if msg := checkMetaPart(h); msg != "" {
			return 400, jsonType, errorBody("bad_request", msg)
		}
		id, err1 := strconv.ParseInt(h.Fields["orderId"], 10, 64)
		i, err2 := strconv.Atoi(h.Fields["chunk"])
		n, err3 := strconv.Atoi(h.Fields["chunks"])
		if err1 != nil || err2 != nil || err3 != nil || h.File == nil || i < 0 || i >= n {
			return 400, jsonType, errorBody("bad_request", "orderId, chunk, chunks and file are required")
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.chunks[id] == nil {
			f.chunks[id] = make([][]byte, n)
		}
		f.chunks[id][i] = h.File
		if i < n-1 {
			return 206, jsonType, orderID(id)
		}
		f.archives[id] = bytes.Join(f.chunks[id], nil)
		return 200, jsonType, orderID(id)
	case h.Method == "POST" && detailsPath.MatchString(h.Path):
		id, _ := strconv.ParseInt(detailsPath.FindStringSubmatch(h.Path)[1], 10, 64)
		f.mu.Lock()
		f.polls[id]++
		poll := f.polls[id]
		f.mu.Unlock()
		code, order := f.details(id, poll)
		ans := map[string]any{"code": code, "message": nil, "order": nil}
		if order != nil {
			b, _ := json.Marshal(order)
			ans["order"] = string(b) // EPGU-T27: a string holding escaped JSON
		}
		b, _ := json.Marshal(ans)
		return 200, jsonType, b
	case h.Method == "POST" && cancelPath.MatchString(h.Path):
		return 200, jsonType, []byte(`{}`)
	case h.Method == "GET" && download113.MatchString(h.Path):
		if f.old112 {
			return 404, jsonType, errorBody("not_found", "no such method")
		}
		m := download113.FindStringSubmatch(h.Path)
		return 200, map[string]string{"Content-Type": "application/octet-stream"},
			[]byte(resultPrefix + m[1] + "/" + m[2] + "/" + h.Query.Get("mnemonic"))
	case h.Method == "GET" && download112.MatchString(h.Path):
		m := download112.FindStringSubmatch(h.Path)
		return 200, map[string]string{"Content-Type": "application/octet-stream"},
			[]byte(resultPrefix + m[1] + "/" + m[2] + "/" + h.Query.Get("mnemonic"))
	case h.Method == "GET" && h.Path == "/api/gusmev/order/getOrdersStatus":
		var content []map[string]any
		for _, s := range strings.Split(h.Query.Get("orderIds"), ",") {
			id, _ := strconv.ParseInt(s, 10, 64)
			content = append(content, map[string]any{"orderId": id, "orderSearchStatus": "FOUND",
				"status": map[string]any{"statusId": 21, "statusName": "Заявление отправлено в ведомство", "updated": "2022-12-21T20:49:37.672"}})
		}
		b, _ := json.Marshal(map[string]any{"count": len(content), "totalCount": len(content), "content": content})
		return 200, jsonType, b
	}
	return 404, jsonType, errorBody("not_found", h.Method+" "+h.Path)
}

func (f *fake) newOrder() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextOrder++
	return f.nextOrder
}

// checkMeta wants exactly the three metadata fields of Table 6 as the samples spell them, strings.
func checkMeta(m map[string]any) string {
	if len(m) != len(metaKeys) {
		return fmt.Sprintf("meta has %d fields, want %v", len(m), metaKeys)
	}
	for _, k := range metaKeys {
		if _, ok := m[k].(string); !ok {
			return "meta has no string " + k
		}
	}
	return ""
}

func checkMetaPart(h *hit) string {
	raw, ok := h.Fields["meta"]
	if !ok {
		return "no meta part"
	}
	if t, _, _ := mime.ParseMediaType(h.PartTypes["meta"]); t != "application/json" {
		return "meta part is " + h.PartTypes["meta"] + ", want application/json (Table 10)"
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return "meta is not JSON"
	}
	return checkMeta(m)
}

// stamp is an RFC 3161 TSA.
func (f *fake) stamp(body []byte) (int, map[string]string, []byte) {
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		return 400, nil, nil
	}
	ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: f.clock.Now(),
		Policy: asn1.ObjectIdentifier{1, 2, 643, 999, 1}, Nonce: req.Nonce, AddTSACertificate: req.Certificates}
	resp, err := ts.CreateResponseWithOpts(f.tsaID.Certificate, f.tsaID.Key, crypto.SHA256)
	if err != nil {
		f.t.Errorf("TSA: %v", err)
		return 500, nil, nil
	}
	return 200, map[string]string{"Content-Type": "application/timestamp-reply"}, resp
}

// seen returns the hits on path (all when path is ""), in order.
func (f *fake) seen(path string) []*hit {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*hit
	for _, h := range f.hits {
		if path == "" || h.Path == path || (strings.HasSuffix(path, "/") && strings.HasPrefix(h.Path, path)) {
			out = append(out, h)
		}
	}
	return out
}

// apiHits are the requests to the EPGU API (not to ESIA or the TSA).
func (f *fake) apiHits() []*hit { return f.seen("/api/") }

func (f *fake) archive(t *testing.T, id int64) map[string][]byte {
	t.Helper()
	f.mu.Lock()
	a := f.archives[id]
	f.mu.Unlock()
	if a == nil {
		t.Fatalf("order %d: no archive received", id)
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatalf("order %d: the archive is not a zip: %v", id, err)
	}
	out := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return out
}

// testOrder is an escaped order (Table 28) in the given portal status.
func testOrder(id int64, statusID int, final, cancelAllowed bool) map[string]any {
	cur := map[string]any{"id": 6268157772, "statusId": statusID, "title": "Статус", "date": "2022-07-25T13:01:52.121+0300",
		"cancelAllowed": cancelAllowed, "finalStatus": final, "hasResult": "N", "orderId": id}
	return map[string]any{"id": id, "eserviceId": "10000000113", "orderStatusId": statusID, "closed": final,
		"currentStatusHistoryId": 6268157772, "currentStatusHistory": cur, "statuses": []any{cur},
		"orderResponseFiles": []any{}, "hasResult": false}
}

// testSchema is a small XSD of this test's own business XML.
var testSchema = sync.OnceValues(func() (*schema.XSD, error) {
	return schema.CompileXSD(fstest.MapFS{"order.xsd": {Data: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:test:order" xmlns="urn:test:order" elementFormDefault="qualified">
  <xs:element name="Order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="OrderId" type="xs:long"/>
        <xs:element name="Applicant" type="xs:string"/>
        <xs:element name="Subject" type="xs:string"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>`)}}, "order.xsd", "")
})

func businessXML(orderID int64) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<Order xmlns="urn:test:order">
  <OrderId>%d</OrderId>
  <Applicant>Тестов Тест Тестович</Applicant>
  <Subject>справка</Subject>
</Order>`, orderID)
}

var transportXML = []byte(`<?xml version="1.0" encoding="UTF-8"?><Request xmlns="urn:test:req"><OrderId>0</OrderId></Request>`)

func submission(t *testing.T) Submission {
	t.Helper()
	x, err := testSchema()
	if err != nil {
		t.Fatal(err)
	}
	return Submission{Region: "45000000000", ServiceCode: "10000000113", TargetCode: "-10000000113",
		Files:  map[string][]byte{"req.xml": transportXML, "order.xml": businessXML(0)},
		Schema: x, BusinessFile: "order.xml", Sign: true}
}

// bigAttachment is incompressible data that makes a three-chunk archive at the default chunk size.
var bigAttachment = sync.OnceValue(func() []byte {
	b := make([]byte, 11_000_000)
	rand.NewChaCha8([32]byte{}).Read(b)
	return b
})

func paths(hs []*hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Method+" "+h.Path)
	}
	return out
}

func chunkIndices(hs []*hit) []int {
	var out []int
	for _, h := range hs {
		i, _ := strconv.Atoi(h.Fields["chunk"])
		out = append(out, i)
	}
	return out
}
