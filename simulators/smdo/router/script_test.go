package router

import (
	"strings"
	"testing"
	"time"
)

// SMDO-ACK, SMDO-RECEIPT: a scripted receiver confirms (the sender gets the router's receipt) and,
// for a document asking for acknowledgement, sends its registration notice with the scripted
// errorcode; the sender's list holds both, each naming the original package.
func TestScriptedReceiver(t *testing.T) {
	for _, c := range []struct {
		name   string
		script Script
		value  string
	}{
		{"registered", Script{ErrorCode: Registered, RegNumber: "15-вх"}, "15-вх"},
		{"not subject to registration", Script{ErrorCode: NotForRegistration}, "не подлежит"},
		{"refused", Script{ErrorCode: RegistrationRefused, Reason: "Не по адресу"}, "Не по адресу"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			c.script.ConfirmAfter, c.script.RegisterAfter = 10*time.Millisecond, 10*time.Millisecond
			if err := e.r.SetScript(e.scripted.ID, c.script); err != nil {
				t.Fatal(err)
			}
			tok := e.token(e.agency)
			p := documentPacket(e.agency, []string{"a.pdf"}, e.scripted)
			id := e.sendAll(tok, e.agency, p, map[string][]byte{"a.pdf": []byte("A")})
			var l incoming
			eventually(t, "a receipt and a registration notice", func() bool {
				l = e.list(tok, 0, 100, true)
				return len(l.Content) == 2
			})
			receipt, notice := l.Content[0], l.Content[1]
			if msgID, ackType, code, _ := ackOf(t, receipt.Body); receipt.From.IDAbonent != RouterID || ackType != 1 || code != 0 || msgID != p.msgID() {
				t.Errorf("receipt %+v", receipt)
			}
			msgID, ackType, code, value := ackOf(t, notice.Body)
			if notice.From.IDAbonent != e.scripted.ID || notice.ParentID != id || !notice.Ack || msgID != p.msgID() || ackType != 2 ||
				code != c.script.ErrorCode || !strings.Contains(value, c.value) {
				t.Errorf("notice from %s parent %s: ack_type %d errorcode %d %q", notice.From.IDAbonent, notice.ParentID, ackType, code, value)
			}
			hasInc := strings.Contains(string(notice.Body), `"incNumber"`)
			if hasInc != (c.script.ErrorCode == Registered) {
				t.Errorf("incNumber present %v: %s", hasInc, notice.Body)
			}
			if got := e.pkg(id); got.State != StateDelivered {
				t.Errorf("state %s", got.State)
			}
		})
	}
}

// A document that asks for no acknowledgement (msg_acknow 0) gets the receipt only.
func TestScriptedReceiverNoAck(t *testing.T) {
	e := newEnv(t)
	if err := e.r.SetScript(e.scripted.ID, Script{}); err != nil {
		t.Fatal(err)
	}
	tok := e.token(e.agency)
	p := documentPacket(e.agency, []string{"a.pdf"}, e.scripted).set("body.envelop.header.msg_acknow", 0)
	e.sendAll(tok, e.agency, p, map[string][]byte{"a.pdf": []byte("A")})
	eventually(t, "the receipt", func() bool { return e.list(tok, 0, 100, true).TotalElements == 1 })
	time.Sleep(30 * time.Millisecond)
	if n := e.list(tok, 0, 100, true).TotalElements; n != 1 {
		t.Errorf("%d packages, want the receipt only", n)
	}
}

// Close stops the scripted answers still pending.
func TestCloseStopsScripts(t *testing.T) {
	e := newEnv(t)
	if err := e.r.SetScript(e.scripted.ID, Script{ConfirmAfter: 30 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	tok := e.token(e.agency)
	id := e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.scripted), map[string][]byte{"a.pdf": []byte("A")})
	e.r.Close()
	time.Sleep(60 * time.Millisecond)
	if p := e.pkg(id); p.State != StateRouted {
		t.Errorf("state %s after Close", p.State)
	}
	if err := e.r.SetScript("nobody", Script{}); err == nil {
		t.Error("a script for no subscriber")
	}
	if err := e.r.SetScript(e.scripted.ID, Script{ErrorCode: 3}); err == nil {
		t.Error("errorcode 3 accepted")
	}
}
