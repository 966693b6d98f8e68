package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/rule"
)

// fakeTokens stands in for the ESIA simulator at the package boundary: raw token → token or error.
type fakeTokens map[string]any

func (f fakeTokens) VerifyAccessToken(raw string) (AccessToken, error) {
	switch v := f[raw].(type) {
	case AccessToken:
		return v, nil
	case error:
		return AccessToken{}, v
	case func() AccessToken: // a verifier that misbehaves (panics) on this token
		return v(), nil
	}
	return AccessToken{}, errors.New("token invalid: unknown token")
}

// fakeArchives stands in for the archive checker: the verdict by service code, DONE otherwise.
type fakeArchives map[string]struct {
	status string
	breach *rule.Breach
}

func (f fakeArchives) CheckArchive(service string, _ []byte) (string, *rule.Breach) {
	v := f[service]
	return v.status, v.breach
}

// listingArchives is a checker that also lists the archive it read (ArchiveLister): the files it
// names are what the API must report, whatever the bytes hold.
type listingArchives struct{ files []File }

func (l listingArchives) CheckArchive(string, []byte) (string, *rule.Breach) { return "", nil }

func (l listingArchives) CheckArchiveFiles(string, []byte) (string, *rule.Breach, []File) {
	return "", nil, l.files
}

var start = time.Date(2024, 7, 1, 10, 0, 0, 0, moscow)

func token(client, subject string) AccessToken {
	return AccessToken{ClientID: client, Subject: subject, Scopes: []string{"openid", ScopeAPIOrder},
		Permissions: []string{"APIPGU"}, IssuedAt: start, ExpiresAt: start.Add(24 * time.Hour)}
}

// baseTokens: "alice" and "bob" are two users of system SYS1, "carol" a user of SYS2.
func baseTokens() fakeTokens {
	return fakeTokens{"alice": token("SYS1", "1000000001"), "bob": token("SYS1", "1000000002"), "carol": token("SYS2", "1000000003")}
}

type env struct {
	t     *testing.T
	api   *API
	clk   *clock.Virtual
	url   string
	http  *http.Client
	check fakeArchives
}

func newEnv(t *testing.T, tokens fakeTokens, opts ...Option) *env {
	t.Helper()
	return newEnvChecking(t, tokens, nil, opts...)
}

// newEnvChecking is newEnv with another archive checker than e.check.
func newEnvChecking(t *testing.T, tokens fakeTokens, checker ArchiveChecker, opts ...Option) *env {
	t.Helper()
	e := &env{t: t, clk: clock.NewVirtual(start), check: fakeArchives{}}
	if tokens == nil {
		tokens = baseTokens()
	}
	if checker == nil {
		checker = e.check
	}
	e.api = New(tokens, checker, append([]Option{WithClock(e.clk)}, opts...)...)
	srv := httptest.NewUnstartedServer(e.api)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes cut by Close at the end of a test
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e.url, e.http = srv.URL, srv.Client()
	return e
}

// smallChunks scales the chunk sizes down so ordering rules are tested without megabytes.
func smallChunks() Limits {
	l := SpecLimits()
	l.MinChunkBytes, l.MaxChunkBytes, l.MaxPushBytes = 100, 1000, 1000
	return l
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

// errorCode checks an EPGU-A4 error answer: the status and the body's code.
func (r reply) errorCode(t *testing.T, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	m := r.json(t)
	got, _ := m["code"].(string)
	if got != code {
		t.Fatalf("code %q, want %q: %s", got, code, r.body)
	}
	if _, ok := m["message"].(string); !ok {
		t.Fatalf("no message: %s", r.body)
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

const fsspMeta = `{"region":"45000000000","serviceCode":"60010153","targetCode":"-60010153"}`

func (e *env) createOrder(tok, meta string) int64 {
	e.t.Helper()
	r := e.do("POST", "/api/gusmev/order", tok, "application/json; charset=utf-8", []byte(meta))
	if r.status != http.StatusOK {
		e.t.Fatalf("create order: %d %s", r.status, r.body)
	}
	return orderIDOf(e.t, r)
}

func orderIDOf(t *testing.T, r reply) int64 {
	t.Helper()
	m := r.json(t)
	if len(m) != 1 {
		t.Fatalf("want exactly {\"orderId\"}, got %s", r.body)
	}
	id, ok := m["orderId"].(float64)
	if !ok || id <= 0 {
		t.Fatalf("orderId is not a positive number: %s", r.body)
	}
	return int64(id)
}

// part is one multipart field; file parts have a file name.
type part struct{ name, contentType, fileName, value string }

func multipartBody(t *testing.T, parts ...part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf(`form-data; name="%s"`, p.name)
		if p.fileName != "" {
			cd += fmt.Sprintf(`; filename="%s"`, p.fileName)
		}
		h.Set("Content-Disposition", cd)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(pw, p.value)
	}
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func metaPart(meta string) part { return part{"meta", "application/json", "", meta} }
func filePart(data []byte) part {
	return part{"file", "application/octet-stream", "archive.zip", string(data)}
}

func (e *env) push(tok string, parts ...part) reply {
	e.t.Helper()
	ct, body := multipartBody(e.t, parts...)
	return e.do("POST", "/api/gusmev/push", tok, ct, body)
}

// chunk sends one chunk; chunk < 0 leaves out chunk and chunks.
func (e *env) chunk(tok string, id int64, chunk, chunks int, data []byte) reply {
	e.t.Helper()
	parts := []part{{"orderId", "", "", fmt.Sprint(id)}}
	if chunk >= 0 {
		parts = append(parts, part{"chunk", "", "", fmt.Sprint(chunk)}, part{"chunks", "", "", fmt.Sprint(chunks)})
	}
	parts = append(parts, filePart(data))
	ct, body := multipartBody(e.t, parts...)
	return e.do("POST", "/api/gusmev/push/chunked", tok, ct, body)
}

// makeZip builds a flat archive; pad adds a stored file of that many bytes, so the archive can be
// made as large as a chunk test needs.
func makeZip(t *testing.T, pad int, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "<x>"+name+"</x>")
	}
	if pad > 0 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "pad.bin", Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(bytes.Repeat([]byte{'z'}, pad))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// details fetches the order details and decodes the escaped order string.
func (e *env) details(tok string, id int64) (envelope map[string]any, order map[string]any) {
	e.t.Helper()
	r := e.do("POST", fmt.Sprintf("/api/gusmev/order/%d", id), tok, "", nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("details: %d %s", r.status, r.body)
	}
	envelope = r.json(e.t)
	s, ok := envelope["order"].(string)
	if !ok {
		e.t.Fatalf("order is not a JSON string: %s", r.body)
	}
	if err := json.Unmarshal([]byte(s), &order); err != nil {
		e.t.Fatalf("order string does not hold a JSON object: %v", err)
	}
	return envelope, order
}

func (e *env) code(tok string, id int64) string {
	e.t.Helper()
	env, _ := e.details(tok, id)
	return env["code"].(string)
}

func (e *env) statusID(tok string, id int64) int {
	e.t.Helper()
	_, o := e.details(tok, id)
	return int(o["orderStatusId"].(float64))
}

// lastRequest is the newest exchange of the log.
func (e *env) lastRequest() Request {
	rs := e.api.Requests()
	if len(rs) == 0 {
		e.t.Fatal("empty exchange log")
	}
	return rs[len(rs)-1]
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func send(t *testing.T, e *env, req *http.Request) reply {
	t.Helper()
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func (e *env) Inject(f Fault) { e.api.Inject(f) }
