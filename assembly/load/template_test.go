package load

import (
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

func identity(t testing.TB, k pki.KeyType) *pki.Identity {
	t.Helper()
	ca, err := nca.New("test NCA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(nca.Subject{CommonName: "LOAD_INITIATOR", BIN: "100000000001"}, k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Every request made from the template is a SendMessage of its own (messageId, messageDate) whose
// transport signature verifies as the gateway checks it.
func TestTemplateRequestsVerify(t *testing.T) {
	for _, k := range []pki.KeyType{pki.ECDSAP256, pki.RSA2048, pki.GOST2004} {
		t.Run(k.String(), func(t *testing.T) {
			in := &owner.Initiator{SystemID: "LOAD_INITIATOR", Password: "secret", Gateway: "http://127.0.0.1:1", Identity: identity(t, k)}
			next := SyncTarget(in, "LOAD_SERVICE", nil).Envelope
			seen := map[string]bool{}
			for range 3 {
				req, err := next()
				if err != nil {
					t.Fatal(err)
				}
				s, err := xsig.Verify(req)
				if err != nil {
					t.Fatalf("%v\n%s", err, req)
				}
				if !s.Certificate.Equal(in.Identity.Certificate) {
					t.Fatalf("signed by %s", s.Certificate.Subject)
				}
				m, err := envelope.Parse(req)
				if err != nil {
					t.Fatal(err)
				}
				var sm envelope.SendMessage
				if err := m.Decode(&sm); err != nil {
					t.Fatal(err)
				}
				info := sm.Request.RequestInfo
				if seen[info.MessageID] || info.MessageID == "" {
					t.Fatalf("messageId %q again", info.MessageID)
				}
				seen[info.MessageID] = true
				if age := time.Since(info.MessageDate.Time); age < 0 || age > time.Minute || info.Sender.Password != "secret" {
					t.Fatalf("messageDate %s, sender %+v", info.MessageDate.Time, info.Sender)
				}
			}
		})
	}
}

// A slot is replaced where it stands: a sample that occurs twice (or not at all) could not be.
func TestTemplateRefusesAnAmbiguousSlot(t *testing.T) {
	id := identity(t, pki.ECDSAP256)
	var m envelope.SendMessage
	m.Request.RequestInfo = envelope.SyncMessageInfo{MessageID: "same", ServiceID: "same", MessageDate: envelope.Now(),
		Sender: envelope.SenderInfo{SenderID: "A", Password: "p"}}
	doc, err := envelope.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTemplate(doc, id, "same"); err == nil || !strings.Contains(err.Error(), "2 times") {
		t.Fatalf("a slot written twice: %v", err)
	}
	if _, err := NewTemplate(doc, id, "absent"); err == nil {
		t.Fatal("a slot the envelope lacks was accepted")
	}
}
