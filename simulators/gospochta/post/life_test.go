package post

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// A message's life: accepted as sent with its hash registered, delivered with a signed act of
// acceptance, read; each state after sent pushed to the sender and acknowledged (GP-W-SIGN,
// GP-W-RECEIPT, GP-W-STATES), every transfer audited (GP-W-AUDIT).
func TestLifeOfAMessage(t *testing.T) {
	e := newEnv(t, fast()...)
	start := e.clock.Now()
	a := e.sendOK(e.outgoing("решение суда"))
	if a.State != wire.StateSent || a.DocumentHash != wire.DocumentHash([]byte("решение суда")) || a.AcceptedAt != stamp(start) {
		t.Fatalf("accepted %+v", a)
	}

	// GP-W-SIGN: the registry holds the hash, by the API and by Registry.
	r := e.do(e.agency, e.request(http.MethodGet, "/gospochta/api/v1/registry/"+a.DocumentHash, nil))
	var entry wire.RegistryEntry
	if r.status != http.StatusOK || json.Unmarshal(r.body, &entry) != nil || entry.MessageID != a.MessageID ||
		entry.Sender != "GP_AGENCY" || entry.Signer != e.ids["agency"].Certificate.Subject.String() {
		t.Fatalf("registry answered %d %s", r.status, r.body)
	}

	waitFor(t, "the message to be read", func() bool {
		m, _ := e.s.Message(a.MessageID)
		return !m.ReadAt.IsZero() && len(m.Notifications) == 2 && m.Notifications[1].Acknowledged
	})
	m, _ := e.s.Message(a.MessageID)
	// The virtual clock has not moved: the states carry their nominal times.
	wantDelivered, wantRead := start.Add(30*time.Millisecond), start.Add(60*time.Millisecond)
	if !m.DeliveredAt.Equal(wantDelivered) || !m.ReadAt.Equal(wantRead) || len(m.States) != 3 ||
		m.States[0].State != wire.StateSent || m.States[1].State != wire.StateDelivered || m.States[2].State != wire.StateRead {
		t.Fatalf("states %+v delivered %v read %v", m.States, m.DeliveredAt, m.ReadAt)
	}
	if m.Fields[wire.FieldFullName] != "Иванов Иван Иванович" || m.Fields["snils"] != "112-233-445 95" || m.Sender != "GP_AGENCY" {
		t.Errorf("message %+v", m)
	}
	for _, n := range m.Notifications {
		if !n.Acknowledged || n.Attempts != 1 || n.Status != http.StatusNoContent {
			t.Errorf("notification %+v", n)
		}
	}
	got := e.notify.received()
	if len(got) != 2 || got[0].State != wire.StateDelivered || got[1].State != wire.StateRead || got[0].MessageID != a.MessageID {
		t.Fatalf("pushes %+v", got)
	}
	if len(e.notify.bad) > 0 {
		t.Errorf("pushes not as the sender checks them: %v", e.notify.bad)
	}

	// GET messages/{id}: the states with their times.
	r = e.do(e.agency, e.request(http.MethodGet, "/gospochta/api/v1/messages/"+a.MessageID, nil))
	var st wire.MessageState
	if r.status != http.StatusOK || json.Unmarshal(r.body, &st) != nil || st.State != wire.StateRead || len(st.States) != 3 ||
		st.States[1].At != stamp(wantDelivered) {
		t.Fatalf("state answered %d %s", r.status, r.body)
	}

	// GP-W-RECEIPT: the act of acceptance, signed by the service, about this document.
	e.clock.Advance(time.Minute)
	r = e.do(e.agency, e.request(http.MethodGet, "/gospochta/api/v1/messages/"+a.MessageID+"/receipt", nil))
	var sr wire.SignedReceipt
	if r.status != http.StatusOK || json.Unmarshal(r.body, &sr) != nil {
		t.Fatalf("receipt answered %d %s", r.status, r.body)
	}
	raw, _ := base64.StdEncoding.DecodeString(sr.Receipt)
	sig, _ := base64.StdEncoding.DecodeString(sr.Signature)
	v, err := cms.Verifier{Roots: e.roots}.VerifyDetached(sig, raw)
	if err != nil || v.Signer.Subject.CommonName != "service system" {
		t.Fatalf("the receipt's signature: %v", err)
	}
	var rc wire.Receipt
	if err := json.Unmarshal(raw, &rc); err != nil || rc.MessageID != a.MessageID || rc.DocumentHash != a.DocumentHash ||
		rc.Sender != "GP_AGENCY" || rc.RecipientID != "R-0001" || rc.Kind != wire.KindCourtNotice || rc.DeliveredAt != stamp(wantDelivered) {
		t.Fatalf("receipt %s: %v", raw, err)
	}
	e.do(e.agency, e.request(http.MethodGet, "/gospochta/api/v1/messages/"+a.MessageID+"/receipt", nil))
	m, _ = e.s.Message(a.MessageID)
	if m.ReceiptFetches != 2 || !m.FirstReceiptFetch.Equal(start.Add(time.Minute)) {
		t.Errorf("receipt fetches %d, first at %v", m.ReceiptFetches, m.FirstReceiptFetch)
	}

	// GP-W-AUDIT: every transfer, the pushes included, with its request id and status.
	var in, out int
	for _, a := range e.s.Audit() {
		if a.RequestID == "" || a.Status == 0 {
			t.Errorf("audit entry without request id or status: %+v", a)
		}
		switch a.Direction {
		case DirectionIn:
			in++
		case DirectionOut:
			out++
			if a.Endpoint != "notify" || a.Status != http.StatusNoContent || a.Rule != "" {
				t.Errorf("push entry %+v", a)
			}
		}
	}
	if in != 5 || out != 2 {
		t.Errorf("audited %d requests and %d pushes, want 5 and 2", in, out)
	}
}

func TestReceiptBeforeDelivery(t *testing.T) {
	e := newEnv(t, WithDeliveryDelay(time.Hour))
	a := e.sendOK(e.outgoing("приказ"))
	r := e.do(e.agency, e.request(http.MethodGet, "/gospochta/api/v1/messages/"+a.MessageID+"/receipt", nil))
	e.refusal(r, http.StatusConflict, wire.CodeReceiptNotReady, "GP-W-RECEIPT", "messageId")
	if m, _ := e.s.Message(a.MessageID); m.ReceiptFetches != 0 {
		t.Errorf("a refused fetch counted: %d", m.ReceiptFetches)
	}
}

// A message and its receipt are its sender's only.
func TestOtherSystemsMessagesAreNotFound(t *testing.T) {
	e := newEnv(t, fast()...)
	a := e.sendOK(e.outgoing("приказ"))
	for _, p := range []string{"/gospochta/api/v1/messages/" + a.MessageID, "/gospochta/api/v1/messages/" + a.MessageID + "/receipt",
		"/gospochta/api/v1/messages/no-such-id"} {
		req := e.request(http.MethodGet, p, nil)
		req.Header.Set("Authorization", "Bearer "+tokOther)
		r := e.do(e.other, resign(req, otherKey, nil))
		e.refusal(r, http.StatusNotFound, wire.CodeMessageNotFound, "GP-W-STATES", "messageId")
	}
	r := e.do(e.agency, e.request(http.MethodGet, "/gospochta/api/v1/registry/"+wire.DocumentHash([]byte("nothing")), nil))
	e.refusal(r, http.StatusNotFound, wire.CodeMessageNotFound, "GP-W-SIGN", "documentHash")
}

// GP-W-STATES: a push not acknowledged is retried after the pause, up to PushAttempts times.
func TestPushRetries(t *testing.T) {
	e := newEnv(t, fast()...)
	e.notify.mu.Lock()
	e.notify.fail = 2
	e.notify.mu.Unlock()
	a := e.sendOK(e.outgoing("извещение"))
	waitFor(t, "both pushes", func() bool {
		m, _ := e.s.Message(a.MessageID)
		return len(m.Notifications) == 2 && m.Notifications[1].Acknowledged
	})
	m, _ := e.s.Message(a.MessageID)
	if n := m.Notifications[0]; n.State != wire.StateDelivered || n.Attempts != 3 || !n.Acknowledged || !n.Err.IsZero() {
		t.Errorf("first push %+v", n)
	}
	if got := e.notify.received(); len(got) != 2 || got[0].State != wire.StateDelivered {
		t.Errorf("pushes received in order %+v", got)
	}
	var refused int
	for _, en := range e.s.Audit() {
		if en.Direction == DirectionOut && en.Status == http.StatusServiceUnavailable {
			refused++
			if en.Rule != "GP-W-STATES" || en.Breach == nil || en.Error != "answered 503" {
				t.Errorf("failed push entry %+v", en)
			}
		}
	}
	if refused != 2 {
		t.Errorf("%d failed pushes audited, want 2", refused)
	}
	ids := map[string]bool{}
	for _, id := range e.notify.ids {
		if ids[id] {
			t.Errorf("push request id %s repeated", id)
		}
		ids[id] = true
	}
}

func TestPushGivesUp(t *testing.T) {
	e := newEnv(t, fast()...)
	e.notify.mu.Lock()
	e.notify.fail = 1000
	e.notify.mu.Unlock()
	a := e.sendOK(e.outgoing("извещение"))
	waitFor(t, "the pushes to give up", func() bool {
		m, _ := e.s.Message(a.MessageID)
		return m.Notifications != nil && len(m.Notifications) == 2 && m.Notifications[1].Attempts == PushAttempts
	})
	m, _ := e.s.Message(a.MessageID)
	for _, n := range m.Notifications {
		if n.Acknowledged || n.Attempts != PushAttempts || n.Status != http.StatusServiceUnavailable || n.Err.IsZero() {
			t.Errorf("notification %+v", n)
		}
	}
}

// Close stops the life of the messages: a pending delivery does not happen.
func TestCloseStopsDeliveries(t *testing.T) {
	e := newEnv(t, WithDeliveryDelay(50*time.Millisecond))
	a := e.sendOK(e.outgoing("приказ"))
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(120 * time.Millisecond)
	if m, _ := e.s.Message(a.MessageID); !m.DeliveredAt.IsZero() || len(m.Notifications) != 0 {
		t.Errorf("delivered after Close: %+v", m)
	}
}

// The cap on messages: a settled message makes room, an unsettled one does not (503).
func TestCapacity(t *testing.T) {
	e := newEnv(t, append(fast(), WithLimits(Limits{MaxMessages: 1}))...)
	first := e.sendOK(e.outgoing("первый"))
	r := e.do(e.agency, e.request(http.MethodPost, wire.PathMessages, mustJSON(t, e.outgoing("второй"))))
	e.refusal(r, http.StatusServiceUnavailable, wire.CodeBusy, "GP-W-FAILRATE", "")
	waitFor(t, "the first message to settle", func() bool { return e.settled(first.MessageID) })
	second := e.sendOK(e.outgoing("второй"))
	if _, ok := e.s.Message(first.MessageID); ok {
		t.Error("the settled message was not dropped")
	}
	if _, ok := e.s.Registry(first.DocumentHash); ok {
		t.Error("the dropped message's registry entry was kept")
	}
	if ms := e.s.Messages(); len(ms) != 1 || ms[0].ID != second.MessageID {
		t.Errorf("messages %+v", ms)
	}
}

// Messages and Message are copies: a caller cannot change what the service holds.
func TestMessagesAreCopies(t *testing.T) {
	e := newEnv(t, WithDeliveryDelay(time.Hour))
	a := e.sendOK(e.outgoing("приказ"))
	m, _ := e.s.Message(a.MessageID)
	m.Fields[wire.FieldFullName] = "changed"
	m.States[0].State = "changed"
	again := e.s.Messages()[0]
	if again.Fields[wire.FieldFullName] != "Иванов Иван Иванович" || again.States[0].State != wire.StateSent || again.RequestID == "" {
		t.Errorf("the service's message changed through a copy: %+v", again)
	}
}
