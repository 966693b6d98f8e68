package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// The BINs of the organisations in the signed asynchronous tests.
const (
	gatewayBIN   = "100000000001"
	initiatorBIN = "100000000002"
	ownerBIN     = "100000000003"
	strangerBIN  = "100000000099" // another organisation: valid certificate, wrong signer
)

// asyncPKI is the NCA of a signed asynchronous test and the certificates it issued.
type asyncPKI struct {
	ca       *nca.Authority
	checker  *xsig.Checker
	gateway  *pki.Identity
	systems  map[string]*pki.Identity // by system ID
	stranger *pki.Identity
}

// newAsyncPKI starts an NCA with OCSP and CRL and issues the gateway's and both systems' certificates.
func newAsyncPKI(tb testing.TB) *asyncPKI {
	tb.Helper()
	ca, err := nca.New("test NCA")
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := ca.Serve("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close(context.Background()) })
	issue := func(cn, bin string) *pki.Identity {
		id, err := ca.Issue(nca.Subject{CommonName: cn, BIN: bin}, pki.ECDSAP256)
		if err != nil {
			tb.Fatal(err)
		}
		return id
	}
	return &asyncPKI{ca: ca, checker: &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()},
		gateway:  issue("SHEP gateway", gatewayBIN),
		systems:  map[string]*pki.Identity{"IS-INIT": issue("IS-INIT", initiatorBIN), "IS-OWNER": issue("IS-OWNER", ownerBIN)},
		stranger: issue("Another organisation", strangerBIN)}
}

// registry is asyncRegistry with each system's registered BIN.
func (p *asyncPKI) registry() *gateway.Registry {
	reg := gateway.NewRegistry()
	reg.AddSystem(gateway.System{ID: "IS-INIT", Password: "pw-i", Identifier: initiatorBIN})
	reg.AddSystem(gateway.System{ID: "IS-OWNER", Password: "pw-o", Identifier: ownerBIN})
	reg.AddService(gateway.Service{ID: asyncService, Owner: "IS-OWNER"})
	reg.Grant(asyncService, "IS-INIT")
	return reg
}

// equip makes a participant sign as systemID and check the gateway's signature.
func (p *asyncPKI) equip(part *owner.Participant, systemID string) {
	part.Identity, part.Checker, part.GatewayID = p.systems[systemID], p.checker, gatewayBIN
}

func newSignedAsyncRig(tb testing.TB, push bool, opts ...gateway.AsyncOption) (*asyncRig, *asyncPKI) {
	tb.Helper()
	pki := newAsyncPKI(tb)
	return startAsyncRig(tb, push, pki, opts...), pki
}

// signedByGateway fails the test unless body carries the gateway's valid transport signature.
func signedByGateway(tb testing.TB, pki *asyncPKI, what string, body []byte) {
	tb.Helper()
	if _, err := pki.checker.CheckMessage(context.Background(), body, "the gateway", gatewayBIN); err != nil {
		tb.Fatalf("%s is not signed by the gateway (R-59): %v\n%s", what, err, body)
	}
}

// A6-S1, R-59: with signatures on, a whole chain travels by push; everything the gateway sends is
// signed by it, every participant's check of the gateway's signature passes, and the journal's
// ACCEPTED entry carries the check of the sender's signature.
func TestAsyncSignedChainByPush(t *testing.T) {
	r, pki := newSignedAsyncRig(t, true)
	ctx := context.Background()
	r.owner.Behave(owner.AsyncBehaviour{Reply: "<answer>42</answer>"})
	x := r.initiator.Send(ctx, r.initiator.Message(asyncService, envelope.TypeRequest, "", envelope.StringData("<question/>")))
	var answer envelope.AsyncSendMessageAnswer
	if err := x.Decode(&answer); err != nil {
		t.Fatal(err)
	}
	r.valid(t, "signed sendMessageResponse", x.Response)
	signedByGateway(t, pki, "sendMessageResponse", x.Response)
	sent := answer.Response

	eventually(t, "the owner's RESPONSE reaches the initiator", func() bool { return len(r.initiator.Received()) == 1 })
	for who, p := range map[string]*owner.Participant{"owner": r.owner, "initiator": r.initiator} {
		got := p.Received()[0]
		if got.SignatureErr != nil || got.Signature.Certificate.BIN != gatewayBIN || !got.Answered {
			t.Errorf("the %s's check of the pushed message: %+v, %v", who, got.Signature, got.SignatureErr)
		}
		r.valid(t, "signed push to the "+who, got.Body)
	}
	eventually(t, "status notification DELIVERED to the initiator", func() bool {
		for _, n := range r.initiator.Statuses() {
			if n.MessageID == sent.MessageID && n.MessageState == envelope.Delivered {
				return true
			}
		}
		return false
	})
	st := r.initiator.Status(ctx, sent.MessageID)
	signedByGateway(t, pki, "getMessageStatusResponse", st.Response)

	events, err := r.journal.Events(ctx, sent.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	accepted := ""
	for _, e := range events {
		if e.Kind == journal.Accepted {
			accepted = e.Detail
		}
	}
	if !strings.Contains(accepted, `"bin":"`+initiatorBIN+`"`) {
		t.Errorf("ACCEPTED does not carry the check of the initiator's signature: %q", accepted)
	}
}

// a request that is unsigned, signed by another organisation or altered after
// signing is refused before acceptance, with a fault the gateway signs.
func TestAsyncSignatureRefusals(t *testing.T) {
	r, pki := newSignedAsyncRig(t, false)
	ctx := context.Background()
	msg := r.initiator.Message(asyncService, envelope.TypeRequest, "", envelope.StringData("<question/>"))
	unsigned, err := envelope.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	other, err := xsig.Sign(unsigned, pki.stranger)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := r.initiator.Sign(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	altered := []byte(strings.Replace(string(signed), "&lt;question/&gt;", "&lt;forged/&gt;", 1))
	if string(altered) == string(signed) {
		t.Fatal("the test could not alter the signed message")
	}
	for name, c := range map[string]struct {
		body       []byte
		code, rule string
	}{
		"unsigned":                     {unsigned, "SCE007", "R-59"},
		"another organisation signs":   {other, "SCE011", "R-54"},
		"altered after signing":        {altered, "SCE006", "R-53"},
		"signed by the sender (valid)": {signed, "", ""},
	} {
		x := r.initiator.Post(ctx, c.body)
		if c.code == "" {
			if x.Fault != nil || x.Err != nil {
				t.Errorf("%s: refused: %v %+v", name, x.Err, x.Fault)
			}
			continue
		}
		if x.Fault == nil {
			t.Errorf("%s: accepted (HTTP %d, %v)", name, x.Status, x.Err)
			continue
		}
		r.valid(t, name+" fault", x.Response)
		signedByGateway(t, pki, name+" fault", x.Response)
		if d := x.Fault.Detail; d.ErrorCode != c.code || !strings.Contains(d.ErrorData, "breaks "+c.rule) {
			t.Errorf("%s: %s %s, want %s citing %s", name, d.ErrorCode, d.ErrorData, c.code, c.rule)
		}
	}
}

// a participant that answers pushes under another organisation's certificate has not taken
// the message: every push is a failed attempt, journalled with the signature problem, until
// delivery stops.
func TestAsyncPushAnswerOfAnotherOrganisationIsNotDelivery(t *testing.T) {
	r, pki := newSignedAsyncRig(t, true, gateway.WithRetry(5*time.Millisecond, 10*time.Millisecond, 3))
	r.owner.Identity = pki.stranger
	sent := r.request(t, "m")
	eventually(t, "DELIVERY_STOPPED", func() bool { return r.state(t, r.initiator, sent.MessageID) == envelope.DeliveryStopped })
	events, err := r.journal.Events(context.Background(), sent.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range events {
		switch {
		case e.Kind == journal.Delivered:
			t.Errorf("counted as delivered: %s", e.Detail)
		case e.Kind == journal.DeliveryFailed && e.MessageID == sent.MessageID:
			failed++
			if e.Code != "SCE011" || e.Rule != "R-54" || !strings.Contains(e.Detail, "participant's answer") {
				t.Errorf("failed push journalled as %s %s: %s", e.Code, e.Rule, e.Detail)
			}
		}
	}
	if failed != 3 {
		t.Errorf("%d failed pushes journalled, want 3", failed)
	}
}

// A6-S1: a participant that checks refuses a push that does not carry the signature of the gateway
// it knows; the gateway counts the refusal as a failed attempt.
func TestAsyncParticipantRefusesPushNotSignedByItsGateway(t *testing.T) {
	r, _ := newSignedAsyncRig(t, true, gateway.WithRetry(5*time.Millisecond, 10*time.Millisecond, 2))
	r.owner.GatewayID = "999999999999" // the owner expects another gateway
	sent := r.request(t, "m")
	eventually(t, "DELIVERY_STOPPED", func() bool { return r.state(t, r.initiator, sent.MessageID) == envelope.DeliveryStopped })
	for _, got := range r.owner.Received() {
		if got.Answered || xsig.ProblemOf(got.SignatureErr) != xsig.NotTheSender {
			t.Errorf("push taken or refused for the wrong reason: answered %v, %v", got.Answered, got.SignatureErr)
		}
	}
	if n := len(r.owner.Received()); n != 2 {
		t.Errorf("%d pushes, want 2", n)
	}
}
