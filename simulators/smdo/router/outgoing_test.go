package router

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// SMDO-SEND: create answers the package with the router's ids in state draft; get, update and
// delete work on the caller's own unsent package only.
func TestCreateGetUpdateDelete(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	p := documentPacket(e.agency, []string{"letter.pdf"}, e.ministry)
	r := e.postJSON("POST", outgoingPath, tok, p)
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	id, _ := m["packageId"].(string)
	for _, k := range []string{"packageId", "confirmId", "headerId"} {
		if s, _ := m[k].(string); len(s) != 36 {
			t.Errorf("%s %v", k, m[k])
		}
	}
	if m["state"] != StateDraft || m["attachments"] == nil || len(m["attachments"].([]any)) != 0 || m["body"] == nil || m["to"] == nil {
		t.Errorf("answer %s", r.body)
	}
	if rec := e.lastRequest(); rec.Op != "create" || rec.PackageID != id {
		t.Errorf("log entry %+v", rec)
	}

	got := e.do("GET", outgoingPath+"/"+id, tok, "", nil)
	if got.status != http.StatusOK || got.json(t)["packageId"] != id {
		t.Fatalf("get: %d %s", got.status, got.body)
	}
	// The whole package as GET answered it goes back with PUT (as working clients do).
	var whole map[string]any
	json.Unmarshal(got.body, &whole)
	whole["body"].(map[string]any)["envelop"].(map[string]any)["subject"] = "Новая тема"
	if r := e.postJSON("PUT", outgoingPath, tok, whole); r.status != http.StatusOK || !strings.Contains(string(r.body), "Новая тема") {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if !strings.Contains(string(e.pkg(id).Body), "Новая тема") {
		t.Error("the update is not kept")
	}
	delete(whole, "packageId")
	e.postJSON("PUT", outgoingPath, tok, whole).refusal(t, http.StatusBadRequest, "SMDO-SEND", "packageId")

	// another subscriber does not see it
	mtok := e.token(e.ministry)
	e.do("GET", outgoingPath+"/"+id, mtok, "", nil).refusal(t, http.StatusNotFound, "SMDO-SEND", "packageId")
	e.do("DELETE", outgoingPath+"/"+id, mtok, "", nil).refusal(t, http.StatusNotFound, "SMDO-SEND", "packageId")

	if r := e.do("DELETE", outgoingPath+"/"+id, tok, "", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	e.do("GET", outgoingPath+"/"+id, tok, "", nil).refusal(t, http.StatusNotFound, "SMDO-SEND", "packageId")
	if _, ok := e.r.Package(id); ok {
		t.Error("the deleted package is kept")
	}
}

// A sent package cannot change: update, delete, attach, detach, signs and send again are 409.
func TestSentPackageIsFrozen(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	id := e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry), map[string][]byte{"a.pdf": []byte("A")})
	aid := e.pkg(id).Attachments[0].ID
	var whole map[string]any
	json.Unmarshal(e.do("GET", outgoingPath+"/"+id, tok, "", nil).body, &whole)
	for name, r := range map[string]reply{
		"update": e.postJSON("PUT", outgoingPath, tok, whole),
		"delete": e.do("DELETE", outgoingPath+"/"+id, tok, "", nil),
		"attach": e.attachReply(tok, id, "b.pdf", []byte("B")),
		"detach": e.do("DELETE", outgoingPath+"/"+id+"/attach/"+aid, tok, "", nil),
		"signs":  e.signReply(tok, id, aid, signature(t, e.agency.id, []byte("A"))),
		"unsign": e.do("DELETE", outgoingPath+"/"+id+"/attach/"+aid+"/signs", tok, "", nil),
		"send":   e.sendReply(tok, id),
	} {
		t.Run(name, func(t *testing.T) { r.refusal(t, http.StatusConflict, "SMDO-SEND", "packageId") })
	}
	if p := e.pkg(id); p.State != StateRouted || len(p.Attachments) != 1 || len(p.Attachments[0].Signs) != 1 {
		t.Errorf("the sent package changed: %s %+v", p.State, p.Attachments)
	}
}

// SMDO-SEND: files are attached by the multipart part "file"; the filename is the attachment's
// name. The state follows the files: draft, attached, signed.
func TestAttachDetach(t *testing.T) {
	e := newEnv(t, WithLimits(Limits{MaxFileBytes: 100}))
	tok := e.token(e.agency)
	id := e.create(tok, documentPacket(e.agency, []string{"a.pdf"}, e.ministry))
	r := e.attachReply(tok, id, "a.pdf", []byte("%PDF-1.7 letter"))
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	aid, _ := m["id"].(string)
	if aid == "" || m["name"] != "a.pdf" || m["size"] != float64(15) {
		t.Errorf("answer %s", r.body)
	}
	if rec := e.lastRequest(); rec.Op != "attach" || rec.PackageID != id || rec.AttachID != aid {
		t.Errorf("log entry %+v", rec)
	}
	if p := e.pkg(id); p.State != StateAttached || string(p.Attachments[0].Data) != "%PDF-1.7 letter" {
		t.Errorf("state %s, attachments %+v", p.State, p.Attachments)
	}
	e.attachReply(tok, id, "a.pdf", []byte("again")).refusal(t, http.StatusBadRequest, "SMDO-FORMAT", "file")
	e.attachReply(tok, id, "big.pdf", make([]byte, 101)).refusal(t, http.StatusRequestEntityTooLarge, "SMDO-SEND", "file")
	e.do("POST", outgoingPath+"/"+id+"/attach", tok, "application/json", []byte(`{}`)).refusal(t, http.StatusBadRequest, "SMDO-SEND", "Content-Type")
	ct, body := multipartOf(t, "document", "x.pdf", "x")
	e.do("POST", outgoingPath+"/"+id+"/attach", tok, ct, body).refusal(t, http.StatusBadRequest, "SMDO-SEND", "file")
	ct, body = multipartOf(t, "file", "", "x")
	e.do("POST", outgoingPath+"/"+id+"/attach", tok, ct, body).refusal(t, http.StatusBadRequest, "SMDO-SEND", "file")

	e.sign(tok, id, aid, e.agency.id, []byte("%PDF-1.7 letter"))
	if p := e.pkg(id); p.State != StateSigned {
		t.Errorf("state %s after the signature", p.State)
	}
	e.do("DELETE", outgoingPath+"/"+id+"/attach/nope", tok, "", nil).refusal(t, http.StatusNotFound, "SMDO-SEND", "attachId")
	if r := e.do("DELETE", outgoingPath+"/"+id+"/attach/"+aid, tok, "", nil); r.status != http.StatusNoContent {
		t.Fatalf("detach: %d %s", r.status, r.body)
	}
	p := e.pkg(id)
	var states []string
	for _, h := range p.History {
		states = append(states, h.State)
	}
	if p.State != StateDraft || len(p.Attachments) != 0 || strings.Join(states, ",") != "draft,attached,signed,draft" {
		t.Errorf("state %s, history %v", p.State, states)
	}
}
