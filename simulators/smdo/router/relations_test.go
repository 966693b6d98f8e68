package router

import (
	"net/http"
	"testing"
)

// received sends a document from the agency to the ministry and returns it as sent.
func (e *env) received() (id string, p packet) {
	e.t.Helper()
	p = documentPacket(e.agency, []string{"a.pdf"}, e.ministry)
	id = e.sendAll(e.token(e.agency), e.agency, p, map[string][]byte{"a.pdf": []byte("A")})
	return id, p
}

// expectRefused sends p from the ministry and checks the router refused it on rule at field.
func (e *env) expectRefused(tok string, from party, p packet, files map[string][]byte, ruleID, field string) {
	e.t.Helper()
	id := e.sendAll(tok, from, p, files)
	got := e.pkg(id)
	if got.State != StateRefused || got.Refusal == nil || got.Refusal.Rule != ruleID || got.Refusal.Field.String() != field {
		e.t.Fatalf("state %s, refusal %+v; want %s at %s", got.State, got.Refusal, ruleID, field)
	}
}

func ackPacket(from, to party, parentID, msgID string, ackType, code int) packet {
	p := envelopePacket(from, 0, 0, map[string]any{"acknowledgement": map[string]any{"msg_id": msgID, "ack_type": ackType,
		"ackResult": []any{map[string]any{"value": "Документ доставлен", "errorcode": code}}}}, to)
	p["parentId"] = parentID
	return p
}

// SMDO-ACK: a receiver's acknowledgement names the package it answers by parentId and its msg_id,
// needs no file, and is routed to that package's sender.
func TestAcknowledgement(t *testing.T) {
	e := newEnv(t)
	id, orig := e.received()
	mtok := e.token(e.ministry)
	ackID := e.sendAll(mtok, e.ministry, ackPacket(e.ministry, e.agency, id, orig.msgID(), 1, 0), nil)
	if p := e.pkg(ackID); p.State != StateRouted || p.ParentID != id {
		t.Fatalf("state %s, refusal %+v", p.State, p.Refusal)
	}
	l := e.list(e.token(e.agency), 0, 100, true)
	if len(l.Content) != 1 || l.Content[0].ID != ackID || !l.Content[0].Ack || l.Content[0].ParentID != id || l.Content[0].From.IDAbonent != e.ministry.ID {
		t.Fatalf("the sender's list: %+v", l)
	}
	// confirming an acknowledgement brings no receipt (a notice is not itself acknowledged)
	e.confirm(e.token(e.agency), l.Content[0].ConfirmID)
	for _, in := range e.list(mtok, 0, 100, true).Content {
		if in.From.IDAbonent == RouterID {
			t.Errorf("the ministry got a ROUTER packet for its acknowledgement: %s", in.Body)
		}
	}

	e.expectRefused(mtok, e.ministry, ackPacket(e.ministry, e.agency, "", orig.msgID(), 1, 0), nil, "SMDO-ACK", "parentId")
	e.expectRefused(mtok, e.ministry, ackPacket(e.ministry, e.agency, "unknown", orig.msgID(), 1, 0), nil, "SMDO-ACK", "parentId")
	e.expectRefused(mtok, e.ministry, ackPacket(e.ministry, e.agency, id, "00000000-0000-4000-8000-000000000000", 2, 0), nil,
		"SMDO-ACK", "body.envelop.body.acknowledgement.msg_id")
	e.expectRefused(mtok, e.ministry, ackPacket(e.ministry, e.scripted, id, orig.msgID(), 2, 0), nil, "SMDO-ACK", "to")
	// the sender cannot acknowledge its own package
	e.expectRefused(e.token(e.agency), e.agency, ackPacket(e.agency, e.ministry, id, orig.msgID(), 1, 0), nil, "SMDO-ACK", "parentId")
}

// SMDO-REPLY: a reply names the document answered in docParent and its package in parentId.
func TestReply(t *testing.T) {
	e := newEnv(t)
	id, orig := e.received()
	mtok := e.token(e.ministry)
	reply := func(parentID string) packet {
		p := documentPacket(e.ministry, []string{"r.pdf"}, e.agency)
		p["parentId"] = parentID
		return p.set("body.envelop.body.document.docParent", map[string]any{
			"idnumber": orig.get("body.envelop.body.document.idnumber"), "lastmsg_id": orig.msgID(), "parmsg_id": orig.msgID(),
			"parorg_id": e.agency.Code, "delivery_type": 1})
	}
	files := map[string][]byte{"r.pdf": []byte("R")}
	rid := e.sendAll(mtok, e.ministry, reply(id), files)
	if p := e.pkg(rid); p.State != StateRouted {
		t.Fatalf("state %s, refusal %+v", p.State, p.Refusal)
	}
	if l := e.list(e.token(e.agency), 0, 100, true); len(l.Content) != 1 || l.Content[0].ParentID != id {
		t.Errorf("the reply in the agency's list: %+v", l)
	}
	e.expectRefused(mtok, e.ministry, reply(""), files, "SMDO-REPLY", "parentId")
	e.expectRefused(mtok, e.ministry, reply(rid), files, "SMDO-REPLY", "parentId") // its own package, not one received
	e.expectRefused(mtok, e.ministry, reply(id).set("body.envelop.body.document.docParent.idnumber", "other"), files,
		"SMDO-REPLY", "body.envelop.body.document.docParent.idnumber")
	const other = "00000000-0000-4000-8000-000000000000"
	e.expectRefused(mtok, e.ministry, reply(id).set("body.envelop.body.document.docParent.lastmsg_id", other).
		set("body.envelop.body.document.docParent.parmsg_id", other), files, "SMDO-REPLY", "body.envelop.body.document.docParent.lastmsg_id")
	e.expectRefused(mtok, e.ministry, reply(id).set("body.envelop.body.document.docParent.parorg_id", "SMDO-OTHER"), files,
		"SMDO-REPLY", "body.envelop.body.document.docParent.parorg_id")
	for _, p := range e.r.Packages() {
		if p.Refusal != nil && p.Refusal.Rule == "SMDO-REPLY" && p.Refusal.Field.String() != "parentId" && !contains(p.Refusal.Error(), "reconstructed") {
			t.Errorf("the refusal does not say the check is reconstructed: %s", p.Refusal.Error())
		}
	}

	// Reconstructed: clients put the answered msg_id in parmsg_id or in lastmsg_id, and name the
	// sender by smdoCode or idAbonent; each is accepted.
	for name, p := range map[string]packet{
		"msg_id in parmsg_id only":   reply(id).set("body.envelop.body.document.docParent.lastmsg_id", other),
		"msg_id in lastmsg_id only":  reply(id).set("body.envelop.body.document.docParent.parmsg_id", other),
		"parorg_id the idAbonent":    reply(id).set("body.envelop.body.document.docParent.parorg_id", e.agency.ID),
		"parorg_id the smdoCode too": reply(id),
	} {
		if got := e.pkg(e.sendAll(mtok, e.ministry, p, files)); got.State != StateRouted {
			t.Errorf("%s: state %s, refusal %+v", name, got.State, got.Refusal)
		}
	}
}

// SMDO-ADD: additional materials refer to a document the sender sent.
func TestAdditions(t *testing.T) {
	e := newEnv(t)
	id, orig := e.received()
	tok := e.token(e.agency)
	add := func(idnumber string) packet {
		p := envelopePacket(e.agency, 2, 0, map[string]any{"addDocuments": map[string]any{"folder": []any{map[string]any{
			"add_type": 2, "contents": "Замена файла", "referred": map[string]any{"retype": "1", "idnumber": idnumber},
			"docTransfer": []any{map[string]any{"name": "Письмо (новая редакция).pdf", "type": ".pdf", "description": "Замена",
				"data": map[string]any{"referenceid": "a2.pdf"}}},
		}}}}, e.ministry)
		p["parentId"] = id
		return p
	}
	files := map[string][]byte{"a2.pdf": []byte("A2")}
	aid := e.sendAll(tok, e.agency, add(orig.get("body.envelop.body.document.idnumber").(string)), files)
	if p := e.pkg(aid); p.State != StateRouted || p.MsgType != 2 {
		t.Fatalf("state %s, refusal %+v", p.State, p.Refusal)
	}
	e.expectRefused(tok, e.agency, add("SMDO-AGENCY_unknown"), files, "SMDO-ADD", "body.envelop.body.addDocuments.folder[0].referred.idnumber")
	// the ministry cannot add to the agency's document
	mtok := e.token(e.ministry)
	p := add(orig.get("body.envelop.body.document.idnumber").(string))
	p.set("body.envelop.header.sender.id", e.ministry.Code).set("to.0.idAbonent", e.agency.ID).set("body.envelop.header.receiver.0.id", e.agency.Code)
	delete(p, "parentId")
	id2 := e.prepare(mtok, e.ministry, p, files)
	if r := e.sendReply(mtok, id2); r.status != http.StatusNoContent {
		t.Fatalf("%d", r.status)
	}
	if got := e.pkg(id2); got.Refusal == nil || got.Refusal.Rule != "SMDO-ADD" {
		t.Errorf("refusal %+v", got.Refusal)
	}
	// additional materials without a file are refused before sending
	noFile := e.create(tok, add(orig.get("body.envelop.body.document.idnumber").(string)))
	e.sendReply(tok, noFile).refusal(t, http.StatusBadRequest, "SMDO-SEND", "attachments")
}
