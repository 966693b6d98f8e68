package router

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
)

// Deliver: the harness's counterpart sends to the system under test without the outgoing API;
// the files' signatures come from the docTransfers and are verified as the signs call does, and
// the checks are those of sending.
func TestDeliver(t *testing.T) {
	e := newEnv(t)
	file := []byte("%PDF counterpart")
	p := documentPacket(e.ministry, []string{"m.pdf"}, e.agency)
	p.set("body.envelop.body.document.docTransfer.0.signature", []any{map[string]any{"keyid": nil, "signer": nil, "value": signature(t, e.ministry.id, file)}})
	got, err := e.r.Deliver(e.ministry.ID, p.bytes(), map[string][]byte{"m.pdf": file})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateRouted || got.From != e.ministry.ID || len(got.Attachments) != 1 || len(got.Attachments[0].Verified) != 1 {
		t.Fatalf("delivered %+v", got)
	}
	tok := e.token(e.agency)
	l := e.list(tok, 0, 100, true)
	if len(l.Content) != 1 || l.Content[0].ID != got.ID || len(l.Content[0].Attachments[0].Sign) != 1 {
		t.Fatalf("the agency's list: %+v", l)
	}
	r := e.do("GET", incomingPath+"/"+got.ID+"/attach/"+got.Attachments[0].ID, tok, "", nil)
	if r.status != http.StatusOK || string(r.body) != string(file) {
		t.Errorf("download: %d %q", r.status, r.body)
	}
	// the agency confirms: the counterpart gets its receipt
	e.confirm(tok, l.Content[0].ConfirmID)
	if n := e.list(e.token(e.ministry), 0, 100, true).TotalElements; n != 1 {
		t.Errorf("the counterpart's receipts: %d", n)
	}

	// a file without a signature is refused before sending: nothing is kept or listed
	unsigned := documentPacket(e.ministry, []string{"m.pdf"}, e.agency)
	_, err = e.r.Deliver(e.ministry.ID, unsigned.bytes(), map[string][]byte{"m.pdf": file})
	var b *rule.Breach
	if !errors.As(err, &b) || b.Rule != "SMDO-SIGN" || !strings.Contains(b.Error(), "m.pdf") {
		t.Errorf("unsigned: %v", err)
	}
	// a signature over other bytes
	bad := documentPacket(e.ministry, []string{"m.pdf"}, e.agency)
	bad.set("body.envelop.body.document.docTransfer.0.signature", []any{map[string]any{"value": signature(t, e.ministry.id, []byte("x"))}})
	if _, err = e.r.Deliver(e.ministry.ID, bad.bytes(), map[string][]byte{"m.pdf": file}); !errors.As(err, &b) || b.Rule != "SMDO-SIGN" {
		t.Errorf("bad signature: %v", err)
	}
	// a format fault: refused, as after sending
	wrong := documentPacket(e.ministry, []string{"m.pdf"}, e.agency).set("body.envelop.body.document.kind", "Меморандум")
	wrong.set("body.envelop.body.document.docTransfer.0.signature", []any{map[string]any{"value": signature(t, e.ministry.id, file)}})
	refused, err := e.r.Deliver(e.ministry.ID, wrong.bytes(), map[string][]byte{"m.pdf": file})
	if !errors.As(err, &b) || b.Rule != "SMDO-DIR" || refused.State != StateRefused {
		t.Errorf("format fault: %v, state %s", err, refused.State)
	}
	if n := e.list(tok, 0, 100, true).TotalElements; n != 0 {
		t.Errorf("the agency got %d more", n)
	}
	if _, err := e.r.Deliver("nobody", p.bytes(), nil); err == nil {
		t.Error("a package from no subscriber")
	}
}

// A document Delivered to the system under test can be answered by the system and acknowledged
// by a scripted counterpart: the whole exchange of the harness's scenarios.
func TestDeliverToScripted(t *testing.T) {
	e := newEnv(t)
	if err := e.r.SetScript(e.scripted.ID, Script{RegNumber: "7-вх"}); err != nil {
		t.Fatal(err)
	}
	tok := e.token(e.agency)
	id := e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.scripted), map[string][]byte{"a.pdf": []byte("A")})
	eventually(t, "the scripted answers", func() bool { return e.list(tok, 0, 100, true).TotalElements == 2 })
	var notice Package
	for _, p := range e.r.Packages() {
		if p.From == e.scripted.ID {
			notice = p
		}
	}
	if notice.ParentID != id || notice.MsgType != 0 || notice.State != StateRouted || len(notice.History) == 0 ||
		notice.History[len(notice.History)-1].At.After(time.Now()) {
		t.Errorf("the registration notice %+v", notice)
	}
}
