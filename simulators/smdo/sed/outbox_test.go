package sed

import (
	"testing"
	"time"
)

// The outbox keeps a bounded number of records: beyond, the oldest settled goes first, and only
// when none is settled the oldest of all; a notice for a dropped record is no longer filed.
func TestOutboxBounded(t *testing.T) {
	o := newOutbox(3)
	add := func(msgID string, settled bool) *record {
		r := o.add(msgID, []string{"1002"})
		o.bind(msgID, "pkg-"+msgID)
		if settled {
			o.settle(r)
		}
		return r
	}
	add("a", false)
	b := add("b", false)
	add("c", true)
	add("d", false) // drops c, settled, though a and b are older
	add("e", false) // none settled: drops a, the oldest
	for _, k := range []struct {
		msgID string
		kept  bool
	}{{"a", false}, {"b", true}, {"c", false}, {"d", true}, {"e", true}} {
		byMsg := o.note(Notice{PackageID: "n1-" + k.msgID, MsgID: k.msgID})
		byPkg := o.note(Notice{PackageID: "n2-" + k.msgID, About: "pkg-" + k.msgID})
		if byMsg != k.kept || byPkg != k.kept {
			t.Errorf("record %s: filed by msg_id %v, by package %v; want kept %v", k.msgID, byMsg, byPkg, k.kept)
		}
	}
	if n := o.size(); n != 3 {
		t.Errorf("%d records kept, want 3", n)
	}
	if len(o.byMsg) != 3 || len(o.byPkg) != 3 {
		t.Errorf("indexes hold %d and %d records, want 3", len(o.byMsg), len(o.byPkg))
	}
	if got := o.notices(b); len(got) != 2 {
		t.Errorf("the kept record b took %d notices, want 2", len(got))
	}
}

// The notices a system sends while its Send waits for a receipt fill a small outbox without
// pushing out the package awaited: they are settled at once, it is not until the Send returns.
func TestOutboxKeepsTheAwaited(t *testing.T) {
	w := newWorld(t)
	agency, ministry := New(w.config(w.agency)), New(w.config(w.ministry, DefectFastRestart))
	agency.out = newOutbox(2)
	for range 3 {
		o := letter(w.agency)
		o.AskAck = true
		post(t, ministry, o)
	}
	o := letter(w.registry)
	o.AskAck = true
	s, err := agency.Send(within(t, 10*time.Second), o)
	if err != nil || s.Receipt == nil || s.Registration == nil {
		t.Fatalf("send: receipt %+v, registration %+v, %v", s.Receipt, s.Registration, err)
	}
	if got := w.sentAckTypes(w.agency.ID); len(got) != 6 {
		t.Errorf("the agency sent %d notices while it waited, want 2 for each of 3 letters", len(got))
	}
	agency.out.mu.Lock()
	defer agency.out.mu.Unlock()
	for _, r := range agency.out.order {
		if !r.settled {
			t.Errorf("record %s is not settled after its Send returned", r.msgID)
		}
	}
}
