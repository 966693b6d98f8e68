package router

import (
	"net/http"
	"testing"
)

// SMDO-HALT: RefuseNext answers the next calls of a stage negatively (400, injected), the package
// unchanged; later calls go through.
func TestRefuseNext(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	p := documentPacket(e.agency, []string{"a.pdf"}, e.ministry)

	e.r.RefuseNext(e.agency.ID, StageCreate, 1)
	e.postJSON("POST", outgoingPath, tok, p).refusal(t, http.StatusBadRequest, "SMDO-HALT", "create")
	if rec := e.lastRequest(); !rec.Injected || rec.Op != "create" {
		t.Errorf("log entry %+v", rec)
	}
	if n := len(e.r.Packages()); n != 0 {
		t.Errorf("%d packages after a refused create", n)
	}
	id := e.create(tok, p)

	e.r.RefuseNext(e.agency.ID, StageAttach, 2)
	e.attachReply(tok, id, "a.pdf", []byte("A")).refusal(t, http.StatusBadRequest, "SMDO-HALT", "attach")
	e.attachReply(tok, id, "a.pdf", []byte("A")).refusal(t, http.StatusBadRequest, "SMDO-HALT", "attach")
	aid := e.attach(tok, id, "a.pdf", []byte("A"))

	e.r.RefuseNext(e.agency.ID, StageSigns, 1)
	e.signReply(tok, id, aid, signature(t, e.agency.id, []byte("A"))).refusal(t, http.StatusBadRequest, "SMDO-HALT", "signs")
	if got := e.pkg(id); got.State != StateAttached {
		t.Errorf("state %s", got.State)
	}
	e.sign(tok, id, aid, e.agency.id, []byte("A"))

	e.r.RefuseNext(e.agency.ID, StageSend, 1)
	e.r.RefuseNext(e.ministry.ID, StageSend, 5) // another subscriber's faults do not touch the agency
	e.sendReply(tok, id).refusal(t, http.StatusBadRequest, "SMDO-HALT", "send")
	if got := e.pkg(id); got.State != StateSigned || got.Refusal == nil || got.Refusal.Rule != "SMDO-HALT" {
		t.Errorf("state %s, refusal %+v", got.State, got.Refusal)
	}
	if r := e.sendReply(tok, id); r.status != http.StatusNoContent {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if got := e.pkg(id); got.State != StateRouted || got.Refusal != nil {
		t.Errorf("state %s, refusal %+v", got.State, got.Refusal)
	}
	e.r.RefuseNext(e.agency.ID, StageCreate, 3)
	e.r.RefuseNext(e.agency.ID, StageCreate, 0) // cancelled
	e.create(tok, documentPacket(e.agency, []string{"a.pdf"}, e.ministry))
}

// SMDO-NOTICE: StageRoute answers the send 204, then refuses the package for a format fault with a
// ROUTER notice to the sender naming the package; the next package is routed.
func TestRefuseNextAfterSending(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	files := map[string][]byte{"a.pdf": []byte("A")}
	e.r.RefuseNext(e.agency.ID, StageRoute, 1)
	id := e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry), files)
	if got := e.pkg(id); got.State != StateRefused || got.Refusal == nil || got.Refusal.Rule != "SMDO-FORMAT" {
		t.Fatalf("state %s, refusal %+v", got.State, got.Refusal)
	}
	in := e.list(tok, 0, 100, true)
	if len(in.Content) != 1 || in.Content[0].From.IDAbonent != RouterID || in.Content[0].ParentID != id {
		t.Fatalf("the agency's incoming list %+v, want one ROUTER notice about %s", in.Content, id)
	}
	if rec := e.lastRequest(); rec.Op != "list" || rec.Page != 0 || len(rec.Listed) != 1 {
		t.Errorf("log entry %+v", rec)
	}
	next := e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry), files)
	if got := e.pkg(next); got.State != StateRouted {
		t.Errorf("the next package is %s", got.State)
	}
}
