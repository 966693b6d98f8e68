package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// pushed is an order pushed by alice at the start of the clock: DONE after 3 s, then the default
// script 17 (+1 s), 21 (+2 s), 2 (+5 s), 3 (+10 s).
func pushed(t *testing.T, e *env, tok string) int64 {
	t.Helper()
	return orderIDOf(t, e.push(tok, metaPart(fsspMeta), filePart(makeZip(t, 0, "req.xml"))))
}

func TestScriptedStatuses(t *testing.T) {
	e := newEnv(t, nil)
	id := pushed(t, e, "alice")
	steps := []struct {
		advance time.Duration
		status  int
		final   bool
	}{
		{0, StatusDraft, false},
		{3 * time.Second, StatusDraft, false}, // DONE: the first status follows a second later
		{time.Second, StatusRegistered, false},
		{2 * time.Second, StatusSent, false},
		{5*time.Second - time.Millisecond, StatusSent, false},
		{time.Millisecond, StatusReceived, false},
		{10 * time.Second, StatusDone, true},
	}
	for i, s := range steps {
		e.clk.Advance(s.advance)
		_, o := e.details("alice", id)
		cur := o["currentStatusHistory"].(map[string]any)
		if int(o["orderStatusId"].(float64)) != s.status || cur["finalStatus"] != s.final || o["closed"] != s.final {
			t.Fatalf("step %d: status %v final %v, want %d %v", i, o["orderStatusId"], cur["finalStatus"], s.status, s.final)
		}
		if len(o["statuses"].([]any)) == 0 {
			t.Fatalf("step %d: no statuses", i)
		}
	}
	_, o := e.details("alice", id)
	cur := o["currentStatusHistory"].(map[string]any)
	if cur["hasResult"] != "Y" || o["hasResult"] != true || cur["title"] != "Услуга оказана" {
		t.Errorf("result status %v", cur)
	}
	files := o["orderResponseFiles"].([]any)
	if len(files) != 1 {
		t.Fatalf("orderResponseFiles %v", files)
	}
	f := files[0].(map[string]any)
	if f["link"] != fmt.Sprintf("terrabyte://00/%d/resp_%d.zip/3", id, id) || f["mimeType"] != "application/zip" || f["fileSize"].(float64) <= 0 {
		t.Errorf("result file %v", f)
	}
	if snap, _ := e.api.Order(id); snap.Result == "" || len(snap.Statuses) != 5 {
		t.Errorf("snapshot %+v", snap)
	}
}

func TestCustomScript(t *testing.T) {
	no := false
	script := Script{Processing: 0, Steps: []Step{
		{Status: StatusRegistered},
		{Status: StatusNeedsCorrection, Delay: time.Hour, Comment: "Приложите скан", Final: &no},
		{Status: StatusRefused, Delay: time.Hour},
	}}
	e := newEnv(t, nil, WithScript(script))
	id := pushed(t, e, "alice")
	if got := e.statusID("alice", id); got != StatusRegistered {
		t.Fatalf("at once: %d", got)
	}
	e.clk.Advance(time.Hour)
	_, o := e.details("alice", id)
	cur := o["currentStatusHistory"].(map[string]any)
	if cur["statusId"].(float64) != StatusNeedsCorrection || cur["comment"] != "Приложите скан" {
		t.Errorf("%v", cur)
	}
	e.clk.Advance(time.Hour)
	if got := e.statusID("alice", id); got != StatusRefused {
		t.Errorf("%d", got)
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t, nil)
	id := pushed(t, e, "alice")
	cancel := func(tok string, id int64) reply {
		return e.do("POST", fmt.Sprintf("/api/gusmev/order/%d/cancel", id), tok, "", nil)
	}
	// EPGU-2.2: only while cancelAllowed; the draft does not allow it.
	cancel("alice", id).errorCode(t, http.StatusMethodNotAllowed, CodeCancelNotAllowed)
	if rec := e.lastRequest(); rec.Breach == nil || rec.Breach.Rule != "EPGU-2.2" {
		t.Errorf("log entry %+v", rec)
	}
	e.clk.Advance(4 * time.Second) // 17, cancelAllowed in the default script
	cancel("bob", id).errorCode(t, http.StatusForbidden, CodeOrderAccess)
	cancel("alice", 7).errorCode(t, http.StatusNotFound, CodeNotFound)
	if r := cancel("alice", id); r.status != http.StatusOK {
		t.Fatalf("cancel at 17: %d %s", r.status, r.body)
	}
	_, o := e.details("alice", id)
	cur := o["currentStatusHistory"].(map[string]any)
	if cur["statusId"].(float64) != StatusCancelled || cur["finalStatus"] != true {
		t.Errorf("after cancel %v", cur)
	}
	e.clk.Advance(time.Hour)
	if got := e.statusID("alice", id); got != StatusCancelled {
		t.Errorf("the agency moved a cancelled order to %d", got)
	}
	cancel("alice", id).errorCode(t, http.StatusMethodNotAllowed, CodeCancelNotAllowed)

	late := pushed(t, e, "alice")
	e.clk.Advance(11 * time.Second) // 2: received by the agency, cancel not allowed
	if got := e.statusID("alice", late); got != StatusReceived {
		t.Fatalf("status %d", got)
	}
	cancel("alice", late).errorCode(t, http.StatusMethodNotAllowed, CodeCancelNotAllowed)
}

func TestDownload(t *testing.T) {
	e := newEnv(t, nil)
	id := pushed(t, e, "alice")
	paths := func(objectID int64, mnemonic string) (v112, v113 string) {
		return fmt.Sprintf("/api/storage/v2/files/%d/3/download?mnemonic=%s", objectID, mnemonic),
			fmt.Sprintf("/api/gusmev/files/download/%d/3?mnemonic=%s&eserviceCode=60010153", objectID, mnemonic)
	}
	e.clk.Advance(20 * time.Second) // status 2: no result yet
	_, o := e.details("alice", id)
	early := int64(o["currentStatusHistoryId"].(float64))
	v112, _ := paths(early, fmt.Sprintf("resp_%d.zip", id))
	e.do("GET", v112, "alice", "", nil).errorCode(t, http.StatusNotFound, CodeNotFound)
	// the result's status exists in the script already (the next id) but is not reached yet
	_, ahead := paths(early+1, fmt.Sprintf("resp_%d.zip", id))
	e.do("GET", ahead, "alice", "", nil).errorCode(t, http.StatusNotFound, CodeNotFound)

	e.clk.Advance(10 * time.Second)
	_, o = e.details("alice", id)
	objectID := int64(o["currentStatusHistoryId"].(float64))
	mnemonic := fmt.Sprintf("resp_%d.zip", id)
	if objectID != early+1 {
		t.Fatalf("the result's status id %d is not the next id after %d", objectID, early)
	}
	v112, v113 := paths(objectID, mnemonic)
	a := e.do("GET", v112, "alice", "", nil)
	b := e.do("GET", v113, "alice", "", nil)
	if a.status != 200 || b.status != 200 || string(a.body) != string(b.body) || len(a.body) == 0 {
		t.Fatalf("1.12 %d (%d bytes), 1.13 %d (%d bytes)", a.status, len(a.body), b.status, len(b.body))
	}
	if a.header.Get("Content-Type") != "application/zip" {
		t.Errorf("content type %q", a.header.Get("Content-Type"))
	}
	if f := o["orderResponseFiles"].([]any)[0].(map[string]any); f["fileSize"].(float64) != float64(len(a.body)) {
		t.Errorf("fileSize %v, body %d", f["fileSize"], len(a.body))
	}

	cases := []struct {
		name, tok, path string
		status          int
		code            string
	}{
		{"objectId is the orderId", "alice", fmt.Sprintf("/api/storage/v2/files/%d/3/download?mnemonic=%s", id, mnemonic), 404, CodeNotFound},
		// Appendix 4 gives no 404 for a wrong parameter: bad_request.
		{"wrong mnemonic", "alice", fmt.Sprintf("/api/storage/v2/files/%d/3/download?mnemonic=x.zip", objectID), 400, CodeBadRequest},
		{"objectType not a type", "alice", fmt.Sprintf("/api/storage/v2/files/%d/7/download?mnemonic=%s", objectID, mnemonic), 400, CodeBadRequest},
		{"objectType not a number", "alice", fmt.Sprintf("/api/gusmev/files/download/%d/x?mnemonic=%s&eserviceCode=60010153", objectID, mnemonic), 400, CodeBadRequest},
		// the simulator keeps no request files: not found, and the message says so
		{"objectType of the request files", "alice", fmt.Sprintf("/api/storage/v2/files/%d/2/download?mnemonic=req.xml", objectID), 404, CodeNotFound},
		{"no mnemonic", "alice", fmt.Sprintf("/api/storage/v2/files/%d/3/download", objectID), 400, CodeBadRequest},
		{"1.13 without eserviceCode", "alice", fmt.Sprintf("/api/gusmev/files/download/%d/3?mnemonic=%s", objectID, mnemonic), 400, CodeBadRequest},
		{"1.13 with another service", "alice", fmt.Sprintf("/api/gusmev/files/download/%d/3?mnemonic=%s&eserviceCode=10000000109", objectID, mnemonic), 400, CodeBadRequest},
		{"another user", "bob", v113, 403, CodeOrderAccess},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.do("GET", c.path, c.tok, "", nil).errorCode(t, c.status, c.code)
		})
	}
	if r := e.do("GET", v113, "", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("download without a token: %d", r.status)
	}
}
