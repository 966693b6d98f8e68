package gateway_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/store"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

const asyncService = "ASYNC_SERVICE"

type asyncRig struct {
	journal   *journal.Journal
	store     *store.Store
	async     *gateway.Async
	url       string
	owner     *owner.Participant
	initiator *owner.Participant
	xsd       *schema.XSD
}

// asyncRegistry is the registry of every asynchronous test: an initiator granted one service of an owner.
func asyncRegistry() *gateway.Registry {
	reg := gateway.NewRegistry()
	reg.AddSystem(gateway.System{ID: "IS-INIT", Password: "pw-i"})
	reg.AddSystem(gateway.System{ID: "IS-OWNER", Password: "pw-o"})
	reg.AddService(gateway.Service{ID: asyncService, Owner: "IS-OWNER"})
	reg.Grant(asyncService, "IS-INIT")
	return reg
}

// newAsyncRig starts a real gateway with its asynchronous channel over a file store, and the two
// reference participants; push registers both for PUSH delivery, otherwise they pull. Nothing is
// signed: newSignedAsyncRig adds the transport signatures.
func newAsyncRig(tb testing.TB, push bool, opts ...gateway.AsyncOption) *asyncRig {
	return startAsyncRig(tb, push, nil, opts...)
}

// startAsyncRig is newAsyncRig, with transport signatures when pki is not nil: the gateway signs
// and checks, and each participant signs with its registered certificate and checks the gateway's.
func startAsyncRig(tb testing.TB, push bool, pki *asyncPKI, opts ...gateway.AsyncOption) *asyncRig {
	tb.Helper()
	dir := tb.TempDir()
	j, err := journal.Open(filepath.Join(dir, "journal.sqlite"))
	if err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "messages.sqlite"))
	if err != nil {
		tb.Fatal(err)
	}
	reg := asyncRegistry()
	var gwOpts []gateway.Option
	if pki != nil {
		reg = pki.registry()
		gwOpts = append(gwOpts, gateway.WithSignatures(gateway.Signatures{Identity: pki.gateway, Checker: pki.checker}))
	}
	gw, err := gateway.New(reg, j, gwOpts...)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := gw.EnableAsync(st, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	gsrv, err := server.Start("127.0.0.1:0", gw.Handler())
	if err != nil {
		tb.Fatal(err)
	}
	r := &asyncRig{journal: j, store: st, async: a, url: gsrv.URL(),
		owner:     owner.NewParticipant("IS-OWNER", "pw-o", gsrv.URL()),
		initiator: owner.NewParticipant("IS-INIT", "pw-i", gsrv.URL())}
	if pki != nil {
		pki.equip(r.owner, "IS-OWNER")
		pki.equip(r.initiator, "IS-INIT")
	}
	var servers []*server.Server
	if push {
		for _, p := range []*owner.Participant{r.owner, r.initiator} {
			srv, err := server.Start("127.0.0.1:0", p)
			if err != nil {
				tb.Fatal(err)
			}
			servers = append(servers, srv)
			a.RegisterPush(p.SystemID, srv.URL()+"/async-client")
		}
	}
	r.xsd, err = schema.CompileXSD(shepfixtures.XSD(), "async-channel.xsd", "data")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx := context.Background()
		gsrv.Close(ctx)
		a.Close()
		for _, s := range servers {
			s.Close(ctx)
		}
		st.Close()
		j.Close()
	})
	return r
}

func (r *asyncRig) valid(tb testing.TB, what string, body []byte) {
	tb.Helper()
	if v := r.xsd.Validate(body); len(v) > 0 {
		tb.Fatalf("%s breaks the asynchronous channel schema: %v\n%s", what, v[0], body)
	}
}

func (r *asyncRig) request(tb testing.TB, data string) envelope.AsyncSendMessageResponse {
	tb.Helper()
	x := r.initiator.Send(context.Background(), r.initiator.Message(asyncService, envelope.TypeRequest, "", envelope.StringData(data)))
	var answer envelope.AsyncSendMessageAnswer
	if err := x.Decode(&answer); err != nil {
		tb.Fatal(err)
	}
	r.valid(tb, "sendMessageResponse", x.Response)
	return answer.Response
}

func (r *asyncRig) state(tb testing.TB, p *owner.Participant, id string) string {
	tb.Helper()
	x := p.Status(context.Background(), id)
	var answer envelope.AsyncGetMessageStatusAnswer
	if err := x.Decode(&answer); err != nil {
		tb.Fatal(err)
	}
	r.valid(tb, "getMessageStatusResponse", x.Response)
	return answer.Response.MessageState
}

// eventually polls cond for up to five seconds.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	tb.Fatalf("timed out waiting: %s", what)
}

func TestAsyncChainByPush(t *testing.T) {
	r := newAsyncRig(t, true)
	r.owner.Behave(owner.AsyncBehaviour{Reply: "<answer>42</answer>"})
	sent := r.request(t, "<question/>")
	if sent.MessageID == "" || sent.CorrelationID == "" || sent.SessionID == "" {
		t.Fatalf("A1-T2: identifiers missing: %+v", sent)
	}
	eventually(t, "the owner's RESPONSE reaches the initiator", func() bool { return len(r.initiator.Received()) == 1 })
	got := r.owner.Received()
	if len(got) != 1 || got[0].Message.MessageInfo.MessageID != sent.MessageID || got[0].Message.MessageData.Text() != "<question/>" {
		t.Fatalf("owner received %+v", got)
	}
	r.valid(t, "pushed sendMessage", got[0].Body)
	if got[0].Message.MessageInfo.Sender.Password != "" {
		t.Error("the initiator's password was pushed to the owner")
	}
	back := r.initiator.Received()[0].Message.MessageInfo
	if back.CorrelationID != sent.CorrelationID || back.MessageType != envelope.TypeResponse {
		t.Fatalf("RESPONSE %+v not in chain %s", back, sent.CorrelationID)
	}
	eventually(t, "status notification DELIVERED to the initiator", func() bool {
		for _, n := range r.initiator.Statuses() {
			if n.MessageID == sent.MessageID && n.MessageState == envelope.Delivered {
				return true
			}
		}
		return false
	})
	if s := r.state(t, r.initiator, sent.MessageID); s != envelope.Delivered {
		t.Fatalf("state %s", s)
	}
	// STATUS_SENT is journalled once the initiator has answered the notification, which may be
	// just after the initiator recorded it: read the journal until it is there.
	want := []journal.Kind{journal.Received, journal.Accepted, journal.Answered, journal.PushAttempted, journal.Delivered, journal.StatusSent}
	var x journal.Exchange
	lacking := func() []journal.Kind {
		var err error
		if x, err = r.journal.Exchange(context.Background(), sent.SessionID); err != nil {
			t.Fatal(err)
		}
		kinds := map[journal.Kind]bool{}
		for _, e := range x.Events {
			kinds[e.Kind] = true
		}
		var out []journal.Kind
		for _, k := range want {
			if !kinds[k] {
				out = append(out, k)
			}
		}
		return out
	}
	eventually(t, "the exchange's journal complete", func() bool { return len(lacking()) == 0 })
	if gateway.AcceptanceBreach(x, rule.RulesLimits()) != nil {
		t.Fatalf("acceptance: %v", gateway.AcceptanceBreach(x, rule.RulesLimits()))
	}
}

func TestAsyncPullSelectionsAndAmount(t *testing.T) {
	r := newAsyncRig(t, false, gateway.WithDefaultAmount(3))
	var sent []envelope.AsyncSendMessageResponse
	for i := 0; i < 5; i++ {
		sent = append(sent, r.request(t, "m"))
	}
	ctx := context.Background()
	count := func(req envelope.AsyncGetMessages) int {
		msgs, x := r.owner.Get(ctx, req)
		if x.Err != nil || x.Fault != nil {
			t.Fatalf("getMessages: %v %+v", x.Err, x.Fault)
		}
		r.valid(t, "getMessagesResponse", x.Response)
		return len(msgs)
	}
	two, zero := 2, 0
	for name, c := range map[string]struct {
		req  envelope.AsyncGetMessages
		want int
	}{
		"amount 2":            {r.owner.Selection(asyncService, "", "", &two), 2},
		"amount 0: default 3": {r.owner.Selection(asyncService, "", "", &zero), 3},
		"no amount: default":  {r.owner.Selection(asyncService, "", "", nil), 3},
		"by messageId":        {r.owner.Selection(asyncService, sent[4].MessageID, "", nil), 1},
		"by correlationId":    {r.owner.Selection(asyncService, "", sent[1].CorrelationID, nil), 1},
		"not the initiator's": {r.initiator.Selection(asyncService, "", "", nil), 0},
	} {
		var got int
		if name == "not the initiator's" {
			msgs, _ := r.initiator.Get(ctx, c.req)
			got = len(msgs)
		} else {
			got = count(c.req)
		}
		if got != c.want {
			t.Errorf("%s: %d messages, want %d", name, got, c.want)
		}
	}
	taken, err := r.owner.Poll(ctx, asyncService)
	if err != nil || len(taken) != 3 {
		t.Fatalf("poll: %d, %v", len(taken), err)
	}
	if s := r.state(t, r.initiator, sent[0].MessageID); s != envelope.Delivered {
		t.Fatalf("confirmed message in state %s", s)
	}
	if n := count(r.owner.Selection(asyncService, "", "", &zero)); n != 2 {
		t.Fatalf("after confirming 3 of 5, %d offered", n)
	}
}

func TestAsyncNotAcceptedWithResend(t *testing.T) {
	r := newAsyncRig(t, false)
	sent := r.request(t, "m")
	ctx := context.Background()
	r.owner.Behave(owner.AsyncBehaviour{Refuse: true, Resend: true})
	if _, err := r.owner.Poll(ctx, asyncService); err != nil {
		t.Fatal(err)
	}
	if s := r.state(t, r.owner, sent.MessageID); s != envelope.OnDelivery {
		t.Fatalf("after RESEND: %s", s)
	}
	r.owner.Behave(owner.AsyncBehaviour{Refuse: true})
	if msgs, err := r.owner.Poll(ctx, asyncService); err != nil || len(msgs) != 1 {
		t.Fatalf("resent message not offered again: %d %v", len(msgs), err)
	}
	if s := r.state(t, r.owner, sent.MessageID); s != envelope.NotDelivered {
		t.Fatalf("after NOT_RESEND: %s", s)
	}
	h, _ := r.store.History(ctx, sent.MessageID)
	if len(h) < 4 {
		t.Fatalf("history %+v", h)
	}
}

func TestAsyncRecipientDownThenBackIsDeliveredOnce(t *testing.T) {
	r := newAsyncRig(t, true, gateway.WithRetry(20*time.Millisecond, 100*time.Millisecond, 50))
	r.owner.Behave(owner.AsyncBehaviour{Down: true})
	sent := r.request(t, "m")
	eventually(t, "three failed pushes", func() bool { return len(r.owner.Received()) >= 3 })
	if s := r.state(t, r.initiator, sent.MessageID); s != envelope.OnDelivery {
		t.Fatalf("while down: %s", s)
	}
	r.owner.Behave(owner.AsyncBehaviour{})
	eventually(t, "delivered", func() bool { return r.state(t, r.initiator, sent.MessageID) == envelope.Delivered })
	time.Sleep(150 * time.Millisecond)
	taken := 0
	for _, g := range r.owner.Received() {
		if g.Answered {
			taken++
		}
	}
	if taken != 1 {
		t.Fatalf("taken %d times", taken)
	}
}

func TestAsyncDeliveryStopsAfterAttempts(t *testing.T) {
	r := newAsyncRig(t, true, gateway.WithRetry(5*time.Millisecond, 10*time.Millisecond, 3))
	r.owner.Behave(owner.AsyncBehaviour{Fault: &envelope.ErrorInfo{ErrorCode: "OWNER-REFUSES", ErrorMessage: "no"}})
	sent := r.request(t, "m")
	eventually(t, "DELIVERY_STOPPED", func() bool { return r.state(t, r.initiator, sent.MessageID) == envelope.DeliveryStopped })
	if n := len(r.owner.Received()); n != 3 {
		t.Fatalf("%d pushes, want 3", n)
	}
}

func TestAsyncFaults(t *testing.T) {
	r := newAsyncRig(t, false)
	ctx := context.Background()
	stranger := owner.NewParticipant("IS-INIT", "guess", r.url)
	m := r.initiator.Message(asyncService, envelope.TypeRequest, "", envelope.StringData("m"))
	bad, _ := envelope.Marshal(m)
	bad = []byte(strings.Replace(string(bad), "<messageType>REQUEST</messageType>", "", 1))
	for name, c := range map[string]struct {
		x          owner.AsyncExchange
		code, rule string
	}{
		"unknown service": {r.initiator.Send(ctx, r.initiator.Message("NO_SUCH", envelope.TypeRequest, "", envelope.StringData("m"))), "SCE004", "R-6"},
		"wrong password":  {stranger.Send(ctx, stranger.Message(asyncService, envelope.TypeRequest, "", envelope.StringData("m"))), "SCE002", "R-53"},
		"no messageType":  {r.initiator.Post(ctx, bad), "SCE001", "A1-T1 row 6"},
		"no chain":        {r.initiator.Send(ctx, r.initiator.Message(asyncService, envelope.TypeResponse, "", envelope.StringData("m"))), "SCE001", "A1-T13 row 4"},
		"unknown chain":   {r.initiator.Send(ctx, r.initiator.Message(asyncService, envelope.TypeUpdate, envelope.NewGUID(), envelope.StringData("m"))), "SCE020", "A1-T13 row 4"},
		"unknown message": {r.initiator.Status(ctx, envelope.NewGUID()), "SCE020", "A1-T7 row 2"},
	} {
		if c.x.Fault == nil {
			t.Errorf("%s: no fault (HTTP %d, %v)", name, c.x.Status, c.x.Err)
			continue
		}
		r.valid(t, name+" fault", c.x.Response)
		d := c.x.Fault.Detail
		if d.ErrorCode != c.code || !strings.Contains(d.ErrorData, c.rule) || d.ErrorDate.IsZero() || d.SessionID == "" {
			t.Errorf("%s: %+v, want %s citing %s", name, d, c.code, c.rule)
		}
	}
	// The owner of a chain answers in it; a third party may not.
	reg := r.request(t, "m")
	third := owner.NewParticipant("IS-OWNER", "pw-o", r.url)
	x := third.Notify(ctx, reg.MessageID, asyncService, envelope.MessageAccepted, envelope.NotResend)
	if x.Fault != nil {
		t.Fatalf("recipient's notification refused: %+v", x.Fault.Detail)
	}
	x = r.initiator.Notify(ctx, reg.MessageID, asyncService, envelope.MessageAccepted, envelope.NotResend)
	if x.Fault == nil || x.Fault.Detail.ErrorCode != "SCE021" {
		t.Fatalf("a notification from the sender itself was not refused with SCE021: %+v", x.Fault)
	}
}

// the acceptance check passes a healthy gateway and catches one that holds messages too long.
func TestAcceptanceBreachCatchesASlowGateway(t *testing.T) {
	limits := rule.ScaledLimits(0.001) // one minute becomes 60 ms
	for name, c := range map[string]struct {
		delay  time.Duration
		breach bool
	}{"healthy": {0, false}, "holds 120 ms": {120 * time.Millisecond, true}} {
		r := newAsyncRig(t, false, gateway.WithAcceptanceDelay(c.delay))
		sent := r.request(t, "m")
		x, err := r.journal.Exchange(context.Background(), sent.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		if b := gateway.AcceptanceBreach(x, limits); (b != nil) != c.breach {
			t.Errorf("%s: breach %v, measured %s", name, b, x.AcceptanceTime())
		}
	}
}
