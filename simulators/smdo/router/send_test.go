package router

import (
	"net/http"
	"strings"
	"testing"
)

// SMDO-SIGN, SMDO-SEND: a package with an unsigned file, or a document without files, is refused
// before sending (400), unchanged and unsent; nothing reaches the receiver.
func TestRefusedBeforeSending(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	files := []string{"a.pdf", "b.docx"}
	id := e.create(tok, documentPacket(e.agency, files, e.ministry))
	a := e.attach(tok, id, "a.pdf", []byte("A"))
	e.sign(tok, id, a, e.agency.id, []byte("A"))
	e.attach(tok, id, "b.docx", []byte("B")) // not signed

	m := e.sendReply(tok, id).refusal(t, http.StatusBadRequest, "SMDO-SIGN", "attachments[1].sign")
	if msg := m["message"].(string); !strings.Contains(msg, `"b.docx"`) || !strings.Contains(msg, "refused before sending") {
		t.Errorf("the refusal does not name the file: %s", msg)
	}
	p := e.pkg(id)
	if p.State != StateAttached || p.Refusal == nil || p.Refusal.Rule != "SMDO-SIGN" {
		t.Errorf("state %s, refusal %+v", p.State, p.Refusal)
	}
	if rec := e.lastRequest(); rec.Op != "send" || rec.Rule != "SMDO-SIGN" || !strings.Contains(rec.Error, "b.docx") || rec.Injected {
		t.Errorf("log entry %+v", rec)
	}
	if l := e.list(e.token(e.ministry), 0, 100, true); l.TotalElements != 0 {
		t.Errorf("the receiver got %d packages", l.TotalElements)
	}

	empty := e.create(tok, documentPacket(e.agency, files, e.ministry))
	e.sendReply(tok, empty).refusal(t, http.StatusBadRequest, "SMDO-SEND", "attachments")
	if p := e.pkg(empty); p.State != StateDraft {
		t.Errorf("state %s", p.State)
	}

	// once signed, the same package goes
	e.sign(tok, id, e.pkg(id).Attachments[1].ID, e.agency.id, []byte("B"))
	if r := e.sendReply(tok, id); r.status != http.StatusNoContent {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if p := e.pkg(id); p.State != StateRouted || p.Refusal != nil {
		t.Errorf("state %s, refusal %+v", p.State, p.Refusal)
	}
}

// SMDO-SEND, SMDO-CONFIRM, SMDO-RECEIPT: a sent package is routed to the receiver's incoming list,
// its files downloadable; once confirmed it is delivered and the sender gets the router's receipt.
func TestSendRouteConfirmReceipt(t *testing.T) {
	e := newEnv(t)
	tok, mtok := e.token(e.agency), e.token(e.ministry)
	files := map[string][]byte{"a.pdf": []byte("%PDF A"), "b.odt": []byte("ODT B")}
	p := documentPacket(e.agency, []string{"a.pdf", "b.odt"}, e.ministry)
	id := e.sendAll(tok, e.agency, p, files)
	got := e.pkg(id)
	var states []string
	for _, h := range got.History {
		states = append(states, h.State)
	}
	if strings.Join(states, ",") != "draft,attached,signed,attached,signed,sent,routed" || got.MsgID != p.msgID() || got.MsgType != 1 || got.MsgAcknow != 2 {
		t.Errorf("history %v, msg_id %s, msg_type %d, msg_acknow %d", states, got.MsgID, got.MsgType, got.MsgAcknow)
	}
	if l := e.list(tok, 0, 100, true); l.TotalElements != 0 {
		t.Errorf("the sender's list holds %d before the confirmation", l.TotalElements)
	}

	l := e.list(mtok, 0, 100, true)
	if l.TotalElements != 1 || len(l.Content) != 1 {
		t.Fatalf("the receiver's list: %+v", l)
	}
	in := l.Content[0]
	if in.ID != id || in.From.IDAbonent != e.agency.ID || in.From.TypeAbonent != "SMDO" || in.To.IDAbonent != e.ministry.ID ||
		in.Ack || len(in.Attachments) != 2 || len(in.Attachments[0].Sign) != 1 || !strings.Contains(string(in.Body), p.msgID()) ||
		in.ConfirmID == "" || in.DateIn == "" || in.DateSent != "2026-12-02T10:00:00Z" {
		t.Errorf("incoming %+v", in)
	}
	for _, a := range in.Attachments {
		r := e.do("GET", incomingPath+"/"+id+"/attach/"+a.ID, mtok, "", nil)
		if r.status != http.StatusOK || string(r.body) != string(files[a.Name]) || r.header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("download %s: %d %q", a.Name, r.status, r.body)
		}
	}
	if d := e.pkg(id).Deliveries[0]; len(d.Downloaded) != 2 || d.To != e.ministry.ID || len(d.Offered) != 1 {
		t.Errorf("delivery %+v", d)
	}
	e.do("GET", incomingPath+"/"+id+"/attach/"+in.Attachments[0].ID, tok, "", nil).refusal(t, http.StatusNotFound, "SMDO-CONFIRM", "packageId")

	e.confirm(mtok, in.ConfirmID)
	if rec := e.lastRequest(); rec.Op != "confirm" || rec.PackageID != id || len(rec.ConfirmIDs) != 1 {
		t.Errorf("log entry %+v", rec)
	}
	if got := e.pkg(id); got.State != StateDelivered || got.Deliveries[0].Confirmed.IsZero() {
		t.Errorf("state %s", got.State)
	}
	if l := e.list(mtok, 0, 100, true); l.TotalElements != 0 {
		t.Errorf("still listed as new after the confirmation: %d", l.TotalElements)
	}

	s := e.list(tok, 0, 100, true)
	if len(s.Content) != 1 {
		t.Fatalf("the sender's list: %+v", s)
	}
	rc := s.Content[0]
	msgID, ackType, code, value := ackOf(t, rc.Body)
	if rc.From.IDAbonent != RouterID || rc.ParentID != id || !rc.Ack || msgID != p.msgID() || ackType != 1 || code != 0 || !strings.Contains(value, "доставлен") {
		t.Errorf("receipt %+v: %s", rc, rc.Body)
	}
	receipts := 0
	for _, q := range e.r.Packages() {
		if q.Router {
			receipts++
		}
	}
	e.confirm(mtok, in.ConfirmID) // a second confirmation changes nothing
	if n := len(e.r.Packages()); n != 2 || receipts != 1 {
		t.Errorf("%d packages, %d receipts after confirming twice", n, receipts)
	}
}

// SMDO-FORMAT, SMDO-NOTICE: after the 204 the router checks the format; a fault makes the package
// refused and puts a ROUTER notice naming the field into the sender's list; the receiver gets nothing.
func TestFormatFaults(t *testing.T) {
	e := newEnv(t)
	if err := e.r.AddSubscriber(Subscriber{ID: "1009", Code: "SMDO-CLOSED", Name: "Закрытая организация", Status: StatusBlocked}); err != nil {
		t.Fatal(err)
	}
	tok := e.token(e.agency)
	taken := e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry), map[string][]byte{"a.pdf": []byte("A")})
	takenID := e.pkg(taken).MsgID
	blocked := party{ID: "1009", Code: "SMDO-CLOSED"}

	for _, c := range []struct {
		name  string
		edit  func(p packet)
		files map[string][]byte
		rule  string
		field string
	}{
		{"envelope type", func(p packet) { p.set("body.envelop.type", "SDIP-1.0") }, nil, "SMDO-FORMAT", "body.envelop.type"},
		{"msg_id not a UUID", func(p packet) { p.set("body.envelop.msg_id", "42") }, nil, "SMDO-FORMAT", "body.envelop.msg_id"},
		{"msg_id taken", func(p packet) { p.set("body.envelop.msg_id", takenID) }, nil, "SMDO-FORMAT", "body.envelop.msg_id"},
		{"no msg_type", func(p packet) { p.set("body.envelop.header.msg_type", nil) }, nil, "SMDO-FORMAT", "body.envelop.header.msg_type"},
		{"sender not the caller", func(p packet) { p.set("body.envelop.header.sender.id", e.ministry.Code) }, nil, "SMDO-FORMAT", "body.envelop.header.sender.id"},
		{"unknown receiver", func(p packet) { p.set("to.0.idAbonent", "9999") }, nil, "SMDO-FORMAT", "to[0].idAbonent"},
		{"blocked receiver", func(p packet) {
			p.set("to.0.idAbonent", blocked.ID).set("body.envelop.header.receiver.0.id", blocked.Code)
		}, nil, "SMDO-FORMAT", "to[0].idAbonent"},
		{"receiver codes differ", func(p packet) { p.set("body.envelop.header.receiver.0.id", e.scripted.Code) }, nil, "SMDO-FORMAT", "body.envelop.header.receiver[0].id"},
		{"kind not in the directory", func(p packet) { p.set("body.envelop.body.document.kind", "Меморандум") }, nil, "SMDO-DIR", "body.envelop.body.document.kind"},
		{"inactive kind", func(p packet) { p.set("body.envelop.body.document.kind", "Телеграмма") }, nil, "SMDO-DIR", "body.envelop.body.document.kind"},
		{"file type not in the directory", func(p packet) { p.set("body.envelop.body.document.docTransfer.0.type", ".exe") }, nil, "SMDO-DIR", "body.envelop.body.document.docTransfer[0].type"},
		{"inactive file type", func(p packet) { p.set("body.envelop.body.document.docTransfer.0.type", ".rtf") }, nil, "SMDO-DIR", "body.envelop.body.document.docTransfer[0].type"},
		{"referenceid not attached", func(p packet) { p.set("body.envelop.body.document.docTransfer.0.data.referenceid", "other.pdf") }, nil, "SMDO-FORMAT", "body.envelop.body.document.docTransfer[0].data.referenceid"},
		{"attachment not named", func(p packet) {}, map[string][]byte{"a.pdf": []byte("A"), "extra.pdf": []byte("X")}, "SMDO-FORMAT", "attachments[1]"},
		{"msg_type against the body", func(p packet) { p.set("body.envelop.header.msg_type", 2) }, nil, "SMDO-FORMAT", "body.envelop.header.msg_type"},
		{"no docTransfer", func(p packet) { p.set("body.envelop.body.document.docTransfer", nil) }, nil, "SMDO-FORMAT", "body.envelop.body.document.docTransfer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := documentPacket(e.agency, []string{"a.pdf"}, e.ministry)
			c.edit(p)
			files := c.files
			if files == nil {
				files = map[string][]byte{"a.pdf": []byte("A")}
			}
			id := e.sendAll(tok, e.agency, p, files)
			got := e.pkg(id)
			if got.State != StateRefused || got.Refusal == nil || got.Refusal.Rule != c.rule || got.Refusal.Field.String() != c.field {
				t.Fatalf("state %s, refusal %+v", got.State, got.Refusal)
			}
			var notice *Package
			for _, q := range e.r.Packages() {
				if q.Router && q.ParentID == id {
					notice = &q
				}
			}
			if notice == nil || notice.From != RouterID || len(notice.To) != 1 || notice.To[0] != e.agency.ID {
				t.Fatalf("no ROUTER notice for %s: %+v", id, notice)
			}
			if msg := messageOf(t, notice.Body); msg != got.Refusal.Error() || !strings.Contains(msg, c.field+": breaks "+c.rule) {
				t.Errorf("notice message %q", msg)
			}
			if len(got.Deliveries) != 0 {
				t.Errorf("a refused package was routed: %+v", got.Deliveries)
			}
		})
	}
	// the sender's list holds the notices (and nothing reached the ministry beyond the first)
	l := e.list(tok, 0, 100, true)
	for _, in := range l.Content {
		if in.From.IDAbonent != RouterID || in.ParentID == "" || in.Ack || messageOf(t, in.Body) == "" {
			t.Errorf("notice %+v %s", in, in.Body)
		}
	}
	if l.TotalElements != 16 {
		t.Errorf("%d notices, want 16", l.TotalElements)
	}
	if m := e.list(e.token(e.ministry), 0, 100, true); m.TotalElements != 1 {
		t.Errorf("the ministry got %d packages", m.TotalElements)
	}
}
