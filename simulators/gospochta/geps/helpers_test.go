package geps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// The organisations and tokens of the tests.
const (
	orgA = "1000000101"
	orgB = "1000000102"
)

// start is the tests' present: midday in Moscow.
var start = time.Date(2026, 12, 10, 12, 0, 0, 0, wire.Moscow)

// callers are the tokens the tests' Authenticate knows.
var callers = map[string]wire.Caller{
	"head":     {System: "GP_AGENCY", OrgOID: orgA, Subject: "1000000201", Roles: []string{wire.RoleHead}},
	"admin":    {System: "GP_AGENCY", OrgOID: orgA, Subject: "1000000202", Roles: []string{wire.RoleAdministrator}},
	"operator": {System: "GP_AGENCY", OrgOID: orgA, Subject: "1000000203", Roles: []string{wire.RoleOperator, wire.RoleClient}},
	"other":    {System: "GP_OTHER", OrgOID: orgB, Subject: "1000000301", Roles: []string{wire.RoleHead}},
}

func authenticate(token string) (wire.Caller, error) {
	switch token {
	case "expired":
		return wire.Caller{System: "GP_AGENCY", OrgOID: orgA}, fmt.Errorf("%w at 12:00", wire.ErrTokenExpired)
	case "panic":
		panic("the token store failed")
	}
	if c, ok := callers[token]; ok {
		return c, nil
	}
	return wire.Caller{}, errors.New("not a token ESIA issued")
}

type env struct {
	t     *testing.T
	s     *Service
	clock *clock.Virtual
}

func newEnv(t *testing.T, opts ...Option) *env {
	t.Helper()
	c := clock.NewVirtual(start)
	s := New(authenticate, append([]Option{WithClock(c)}, opts...)...)
	return &env{t: t, s: s, clock: c}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// do calls the service as token (none when empty) with a JSON body (none when nil).
func (e *env) do(method, path, token string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(w, req)
	return reply{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// refusal checks an error answer: its status, the code of its body, and a message naming the rule.
func (r reply) refusal(t *testing.T, status int, code, ruleID string) wire.Error {
	t.Helper()
	var e wire.Error
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("answer %d is not the error body: %v: %s", r.status, err, r.body)
	}
	if r.status != status || e.Code != code || !strings.Contains(e.Message, "breaks "+ruleID) {
		t.Fatalf("answer %d %+v, want %d %s breaking %s", r.status, e, status, code, ruleID)
	}
	return e
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("answer %d, want 200: %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, r.body)
	}
}

// day is a search over the day before now, in Moscow time.
func day(now time.Time) wire.SearchRequest {
	return wire.SearchRequest{StartDateTime: moscow(now.Add(-24 * time.Hour)), EndDateTime: moscow(now)}
}

// searchOK makes a search task and returns its uuid.
func (e *env) searchOK(token string, req wire.SearchRequest) string {
	e.t.Helper()
	var created wire.SearchCreated
	e.do("POST", wire.ReadBase+"/search", token, req).decode(e.t, &created)
	if created.SearchTaskUUID == "" {
		e.t.Fatal("no searchTaskUuid")
	}
	return created.SearchTaskUUID
}

// fetch asks a task's page.
func (e *env) fetch(token, id string, query url.Values) reply {
	e.t.Helper()
	path := wire.ReadBase + "/search/" + id
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return e.do("GET", path, token, nil)
}

func (e *env) result(token, id string, query url.Values) wire.SearchResult {
	e.t.Helper()
	var res wire.SearchResult
	e.fetch(token, id, query).decode(e.t, &res)
	return res
}

// add puts a message in org's Gospochta created ago before now.
func (e *env) add(org string, ago time.Duration, m Message) Message {
	e.t.Helper()
	m.Created = e.clock.Now().Add(-ago)
	if m.ThreadUUID == "" {
		m.ThreadUUID = uuid.NewString()
	}
	if m.MessageUUID == "" {
		m.MessageUUID = uuid.NewString()
	}
	if err := e.s.AddMessage(org, m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) last() Request {
	e.t.Helper()
	all := e.s.Requests()
	if len(all) == 0 {
		e.t.Fatal("no request logged")
	}
	return all[len(all)-1]
}

func cardPath(thread, msg string) string { return wire.ReadBase + "/message/" + thread + "/" + msg }

func attachmentPath(msg, file, part string) string {
	return wire.ReadBase + "/attachment/" + msg + "/" + file + "/" + part
}
