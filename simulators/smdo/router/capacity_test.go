package router

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/rule"
)

// The caps never lose what the router accepted: one subscriber's drafts cannot push out another's
// routed package; beyond the caps the router refuses new work naming the limit and the fix, and
// only settled packages make room.
func TestCapKeepsUnsettledPackages(t *testing.T) {
	e := newEnv(t, WithLimits(Limits{MaxPackages: 4, MaxUnsent: 2}))
	tok, mtok := e.token(e.agency), e.token(e.ministry)
	routed := e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry), map[string][]byte{"a.pdf": []byte("A")})
	mDrafts := []string{e.create(mtok, packet{}), e.create(mtok, packet{})}

	// the ministry's third draft is beyond its own cap
	m := e.postJSON("POST", outgoingPath, mtok, packet{}).refusal(t, http.StatusTooManyRequests, "SMDO-SEND", "package")
	if msg := m["message"].(string); !contains(msg, "at most 2 unsent packages") || !contains(msg, "Limits.MaxUnsent") || !contains(msg, "delete") {
		t.Errorf("the refusal does not name the limit and the fix: %s", msg)
	}

	// 4 unsettled (the routed package and 3 drafts): new work is refused, nothing is dropped
	aDraft := e.create(tok, packet{})
	m = e.postJSON("POST", outgoingPath, tok, packet{}).refusal(t, http.StatusServiceUnavailable, "SMDO-SEND", "package")
	if msg := m["message"].(string); !contains(msg, "at most 4 unsettled packages (Limits.MaxPackages)") || !contains(msg, "confirm the packages received") ||
		!contains(msg, "delete unsent ones") {
		t.Errorf("the refusal does not name the limit and the fix: %s", msg)
	}
	if _, err := e.r.Deliver(e.ministry.ID, documentPacket(e.ministry, nil, e.agency).bytes(), nil); !isBreach(err, "SMDO-SEND", "Limits.MaxPackages") {
		t.Errorf("Deliver at the cap: %v", err)
	}
	e.keeps(routed, mDrafts[0], mDrafts[1], aDraft)
	if p := e.pkg(routed); p.State != StateRouted {
		t.Fatalf("the routed package is %s", p.State)
	}

	// the ministry confirms: the package is settled and goes; the receipt is kept beyond the cap
	e.confirm(mtok, e.list(mtok, 0, 100, true).Content[0].ConfirmID)
	receipt := e.list(tok, 0, 100, true).Content[0]
	e.keeps(mDrafts[0], mDrafts[1], aDraft, receipt.ID)
	e.postJSON("POST", outgoingPath, tok, packet{}).refusal(t, http.StatusServiceUnavailable, "SMDO-SEND", "package")

	// the agency confirms the receipt: it is settled, and makes room
	e.confirm(tok, receipt.ConfirmID)
	next := e.create(tok, packet{})
	e.keeps(mDrafts[0], mDrafts[1], aDraft, next)
}

// A refused package and its notice stay until the sender confirms the notice, even beyond the
// cap: dropping the package just refused would lose what the notice is about.
func TestRefusedKeptUntilNoticeConfirmed(t *testing.T) {
	e := newEnv(t, WithLimits(Limits{MaxPackages: 1}))
	tok := e.token(e.agency)
	refused := e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, packetParty("9999")), map[string][]byte{"a.pdf": []byte("A")})
	l := e.list(tok, 0, 100, true)
	if len(l.Content) != 1 || l.Content[0].ParentID != refused {
		t.Fatalf("the notice: %+v", l)
	}
	notice := l.Content[0]
	e.keeps(refused, notice.ID)
	if p := e.pkg(refused); p.State != StateRefused {
		t.Fatalf("state %s", p.State)
	}
	e.postJSON("POST", outgoingPath, tok, packet{}).refusal(t, http.StatusServiceUnavailable, "SMDO-SEND", "package")

	e.confirm(tok, notice.ConfirmID)
	draft := e.create(tok, packet{})
	e.keeps(draft)
}

// A package waiting to be sent is not counted against its own send: sending is how it settles.
// Other unsettled packages filling the cap keep it unsent until they settle.
func TestSendAtTheCap(t *testing.T) {
	e := newEnv(t, WithLimits(Limits{MaxPackages: 2}))
	tok := e.token(e.agency)
	files := map[string][]byte{"a.pdf": []byte("A")}
	first := e.prepare(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, packetParty("9999")), files)
	second := e.prepare(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry), files)
	if r := e.sendReply(tok, first); r.status != http.StatusNoContent {
		t.Fatalf("send at the cap: %d %s", r.status, r.body)
	}
	// the first is refused: it and its notice fill the cap
	e.sendReply(tok, second).refusal(t, http.StatusServiceUnavailable, "SMDO-SEND", "package")
	if p := e.pkg(second); p.State != StateSigned || p.Refusal != nil {
		t.Errorf("the package refused at the cap is %s, refusal %+v", p.State, p.Refusal)
	}
	e.confirm(tok, e.list(tok, 0, 100, true).Content[0].ConfirmID)
	if r := e.sendReply(tok, second); r.status != http.StatusNoContent {
		t.Fatalf("send once the notice is confirmed: %d %s", r.status, r.body)
	}
	if p := e.pkg(second); p.State != StateRouted {
		t.Errorf("state %s", p.State)
	}
}

// The bytes held count the packages' JSON as well as their files (MaxStoredBytes).
func TestStoredBytesBound(t *testing.T) {
	p := documentPacket(e0.agency, []string{"a.pdf"}, e0.ministry)
	jsonSize := int64(len(p.bytes()))
	e := newEnv(t, WithLimits(Limits{MaxStoredBytes: jsonSize + 3000, MaxFileBytes: 2000}))
	tok := e.token(e.agency)
	id := e.create(tok, p)
	if held := e.held(); held < jsonSize-40 || held > jsonSize {
		t.Fatalf("%d bytes held for a package JSON of %d", held, jsonSize)
	}
	e.attach(tok, id, "a.pdf", bytes.Repeat([]byte("1"), 2000))
	e.attachReply(tok, id, "b.pdf", bytes.Repeat([]byte("2"), 1500)).refusal(t, http.StatusRequestEntityTooLarge, "SMDO-SEND", "file")
	e.attach(tok, id, "c.pdf", bytes.Repeat([]byte("3"), 300))
	// a second package's JSON does not fit
	big := documentPacket(e.agency, []string{"a.pdf"}, e.ministry).set("body.envelop.subject", strings.Repeat("я", 600))
	m := e.postJSON("POST", outgoingPath, tok, big).refusal(t, http.StatusRequestEntityTooLarge, "SMDO-SEND", "request body")
	if msg := m["message"].(string); !contains(msg, "Limits.MaxStoredBytes") || !contains(msg, "confirm the packages received") {
		t.Errorf("the refusal does not name the limit and the fix: %s", msg)
	}
	// nor does the same package grown by an update
	got := e.do("GET", outgoingPath+"/"+id, tok, "", nil).json(t)
	got["body"] = big["body"]
	e.postJSON("PUT", outgoingPath, tok, got).refusal(t, http.StatusRequestEntityTooLarge, "SMDO-SEND", "request body")

	if r := e.do("DELETE", outgoingPath+"/"+id, tok, "", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d", r.status)
	}
	if held := e.held(); held != 0 {
		t.Errorf("%d bytes held once the package is deleted", held)
	}
	e.create(tok, big)
}

// e0 names the parties of the tests before a router exists.
var e0 = &env{
	agency:   party{ID: "1001", Code: "SMDO-AGENCY", Name: "Агентство по проверке"},
	ministry: party{ID: "1002", Code: "SMDO-MINISTRY", Name: "Министерство образцов"},
}

// An upload holds its room while it is read: a second upload that would not fit beside it is
// refused at once, before its bytes are read, and the room is released when the first ends.
func TestUploadReservesRoom(t *testing.T) {
	p := documentPacket(e0.agency, []string{"a.pdf", "b.pdf"}, e0.ministry)
	e := newEnv(t, WithLimits(Limits{MaxStoredBytes: int64(len(p.bytes())) + 3000, MaxFileBytes: 2000}))
	tok := e.token(e.agency)
	id := e.create(tok, p)

	// the first upload announces no length: it holds MaxFileBytes until its body ends
	pr, pw := io.Pipe()
	// Before the server closes (cleanups run last first): a failed test must not leave it waiting
	// for this body.
	t.Cleanup(func() { pw.CloseWithError(errors.New("the test ended")) })
	mw := multipart.NewWriter(pw)
	req, _ := http.NewRequest("POST", e.url+outgoingPath+"/"+id+"/attach", pr)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	first := make(chan *http.Response, 1)
	go func() {
		resp, err := e.http.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			first <- nil
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		first <- resp
	}()
	part, _ := mw.CreateFormFile("file", "a.pdf")
	eventually(t, "the upload's room held", func() bool {
		e.r.mu.Lock()
		defer e.r.mu.Unlock()
		return e.r.reserved == 2000
	})
	r := e.attachReply(tok, id, "b.pdf", bytes.Repeat([]byte("b"), 1000))
	m := r.refusal(t, http.StatusRequestEntityTooLarge, "SMDO-SEND", "file")
	if msg := m["message"].(string); !contains(msg, "Limits.MaxStoredBytes") || !contains(msg, "upload") {
		t.Errorf("the refusal does not say why: %s", msg)
	}

	_, _ = part.Write([]byte("small"))
	_ = mw.Close()
	_ = pw.Close()
	if resp := <-first; resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the first upload: %v", resp)
	}
	e.r.mu.Lock()
	reserved := e.r.reserved
	e.r.mu.Unlock()
	if reserved != 0 {
		t.Errorf("%d bytes still reserved", reserved)
	}
	e.attach(tok, id, "b.pdf", bytes.Repeat([]byte("b"), 1000))

	// a failed upload releases its room too
	ct, body := multipartOf(t, "other", "", "no file part")
	e.do("POST", outgoingPath+"/"+id+"/attach", tok, ct, body).refusal(t, http.StatusBadRequest, "SMDO-SEND", "file")
	e.r.mu.Lock()
	reserved = e.r.reserved
	e.r.mu.Unlock()
	if reserved != 0 {
		t.Errorf("%d bytes reserved after a refused upload", reserved)
	}
}

// The package JSON kept is its own bytes, not a window on the request body it came in (which
// would hold the whole body, files' metadata and padding included, for as long as the package).
func TestKeptJSONIsACopy(t *testing.T) {
	raw := []byte(`{"padding": "` + strings.Repeat("x", 100000) + `", "dateSent": "2026-12-02T10:00:00Z", "to": [{"idAbonent": "1002"}], "body": {"envelop": {}}}`)
	in, b := decodePackage(raw, false)
	if b != nil {
		t.Fatal(b)
	}
	for name, kept := range map[string][]byte{"body": in.body, "to": in.toRaw, "dateSent": in.dateSent} {
		if cap(kept) > 1000 {
			t.Errorf("%s keeps %d bytes of capacity", name, cap(kept))
		}
	}
	copy(raw, bytes.Repeat([]byte("?"), len(raw)))
	if string(in.body) != `{"envelop": {}}` {
		t.Errorf("the body changed with the request's bytes: %s", in.body)
	}
}

// The evidence the harness keeps (Packages as JSON) names files and certificates; it does not
// carry them.
func TestEvidenceJSON(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	file := bytes.Repeat([]byte("the file's own bytes "), 20)
	id := e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry), map[string][]byte{"a.pdf": file})
	out, err := json.Marshal(e.r.Packages())
	if err != nil {
		t.Fatal(err)
	}
	cert := e.agency.id.Certificate
	for what, v := range map[string][]byte{"the file": file, "the certificate": cert.Raw} {
		enc, _ := json.Marshal(v)
		if bytes.Contains(out, enc[1:len(enc)-1]) {
			t.Errorf("%s is in the evidence", what)
		}
	}
	var ps []struct {
		ID          string
		Attachments []map[string]any
	}
	if err := json.Unmarshal(out, &ps); err != nil || len(ps) != 1 || ps[0].ID != id {
		t.Fatalf("%v: %s", err, out)
	}
	a := ps[0].Attachments[0]
	if _, has := a["Data"]; has || a["Size"] != float64(len(file)) {
		t.Errorf("attachment %v", a)
	}
	v := a["Verified"].([]any)[0].(map[string]any)
	if _, has := v["Certificate"]; has || v["Serial"] != cert.SerialNumber.Text(16) || v["Subject"] != cert.Subject.CommonName {
		t.Errorf("verification %v", v)
	}
	// the Go values still carry them
	if got := e.pkg(id).Attachments[0]; !bytes.Equal(got.Data, file) || got.Verified[0].Certificate == nil {
		t.Error("Package lost the file or the certificate")
	}
}

func packetParty(id string) party { return party{ID: id, Code: "SMDO-NONE"} }

// keeps checks the router holds exactly these packages.
func (e *env) keeps(ids ...string) {
	e.t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var got []string
	for _, p := range e.r.Packages() {
		got = append(got, p.ID+" "+p.State)
		delete(want, p.ID)
	}
	if len(want) > 0 || len(got) != len(ids) {
		e.t.Fatalf("the router keeps %v; want %v", got, ids)
	}
}

// held is the bytes the router counts against MaxStoredBytes.
func (e *env) held() int64 {
	e.r.mu.Lock()
	defer e.r.mu.Unlock()
	return e.r.stored + e.r.reserved
}

// isBreach reports whether err is a breach of ruleID whose text says what.
func isBreach(err error, ruleID, what string) bool {
	var b *rule.Breach
	return errors.As(err, &b) && b.Rule == ruleID && strings.Contains(b.Error(), what)
}
