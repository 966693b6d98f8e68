package shep

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// initiatorWorld is a scenario's state for the system under test as a synchronous initiator
// (features/role_sync_initiator.feature): the wire tap it reaches the gateway through, and what it
// reported each time it was made to send.
type initiatorWorld struct {
	*World
	tap     *relay
	tapURL  string
	results []trigger.Result
	calls   []relayCall // what the tap recorded up to the last send
}

func init() { stepSets = append(stepSets, registerSyncInitiatorSteps) }

func registerSyncInitiatorSteps(w *World, sc *godog.ScenarioContext) {
	i := &initiatorWorld{World: w}
	sc.Step(`^the system under test is registered with the gateway as an initiator$`, i.registered)
	sc.Step(`^the system under test is granted access to "([^"]*)"$`, i.granted)
	sc.Step(`^the system under test reaches the gateway through a wire tap$`, i.startTap)
	sc.Step(`^the wire tap takes the gateway's signature off the answers$`, func() { i.tap.set(unsignedAnswer) })
	sc.Step(`^the wire tap alters the answers after the gateway signed them$`, func() { i.tap.set(alteredAnswer) })
	sc.Step(`^the wire tap wraps the gateway's signed answers around a forged body$`, func() { i.tap.set(wrappedAnswer) })
	sc.Step(`^the wire tap signs the answers as "([^"]*)" instead of the gateway$`, i.tapSignsAs)
	sc.Step(`^the wire tap answers the next request with HTTP (\d+)$`, func(status int) { i.tap.failWith(status) })

	sc.Step(`^the system under test is made to send "([^"]*)" to "([^"]*)"$`, i.send)

	sc.Step(`^the request on the wire is valid against the synchronous channel schema$`, i.requestValid)
	sc.Step(`^the request on the wire carries a messageId and a messageDate$`, i.requestHasIDAndDate)
	sc.Step(`^the request on the wire carries the transport signature of the system under test$`, i.requestSigned)
	sc.Step(`^the journal records the initiator's exchange as "([^"]*)" from the system under test$`, i.journalOutcome)
	sc.Step(`^the gateway checked the initiator's transport signature against its certificate and BIN$`, i.gatewayCheckedSignature)
	sc.Step(`^the owner received the request of the system under test with the business data "([^"]*)"$`, i.ownerReceived)
	sc.Step(`^the system under test reports the owner's answer$`, i.reportsAnswer)
	sc.Step(`^the system under test refuses the answer$`, i.refusesAnswer)
	sc.Step(`^the system under test reports the fault "([^"]*)"$`, i.reportsFault)
	sc.Step(`^the system under test reports a failure$`, i.reportsFailure)
	sc.Step(`^the journal records the initiator's exchange as "([^"]*)" with code "([^"]*)" from the system under test$`, i.journalOutcomeCode)
	sc.Step(`^the system under test did not send that messageId again$`, func(ctx context.Context) error { return i.noMessageIDTwice(ctx, 1) })
	sc.Step(`^no messageId of the system under test reached the gateway twice$`, func(ctx context.Context) error { return i.noMessageIDTwice(ctx, 2) })
}

// ---- actors ----

// registered registers the system under test with the scenario's gateway with its senderId,
// password and BIN (R-53(2), R-54).
func (i *initiatorWorld) registered(ctx context.Context) error {
	if i.registry == nil {
		return msg.Errorf("start the gateway first")
	}
	t, err := i.target(ctx)
	if err != nil {
		return err
	}
	i.registry.AddSystem(gateway.System{ID: t.SystemID, Password: t.Password, Identifier: t.BIN})
	return nil
}

func (i *initiatorWorld) granted(ctx context.Context, serviceID string) error {
	t, err := i.target(ctx)
	if err != nil {
		return err
	}
	return i.World.granted(t.SystemID, serviceID)
}

// startTap puts the wire tap in front of the scenario's gateway; the system under test is given
// the tap's URL as the gateway's.
func (i *initiatorWorld) startTap() error {
	if i.gatewayURL == "" {
		return msg.Errorf("start the gateway first")
	}
	// The tap waits as long as an initiator may (the owner's 30 s and some), never less.
	i.tap = newRelay(i.gatewayURL, i.suite.Limits.Scaled(30*time.Second)+10*time.Second)
	srv, err := server.Start("127.0.0.1:0", i.tap)
	if err != nil {
		return err
	}
	i.servers = append(i.servers, srv)
	i.tapURL = srv.URL()
	return nil
}

func (i *initiatorWorld) tapSignsAs(systemID string) error {
	id, ok := i.identities[systemID]
	if !ok {
		return msg.Errorf("%s has no certificate in this scenario", systemID)
	}
	i.tap.set(answerSignedBy(systemID, id))
	return nil
}

// ---- the system under test sends ----

// send makes the system under test send data to serviceID through the tap, and keeps what it
// reported and what travelled as evidence.
func (i *initiatorWorld) send(ctx context.Context, data, serviceID string) error {
	if i.tap == nil {
		return msg.Errorf("put the wire tap in front of the gateway first")
	}
	if _, known := i.registry.Service(serviceID); known {
		i.exercise(serviceID)
	}
	before := len(i.tap.recorded())
	res, err := i.fire(ctx, trigger.Request{Action: trigger.Send, Channel: trigger.Sync, Gateway: i.tapURL,
		ServiceID: serviceID, Data: data})
	if err != nil {
		return err
	}
	i.results = append(i.results, res)
	i.calls = i.tap.recorded()
	for n, c := range i.calls[before:] {
		i.attach(fmt.Sprintf("request %d on the wire.xml", before+n+1), "application/xml", c.Request)
		i.attach(fmt.Sprintf("answer %d from the gateway.xml", before+n+1), "application/xml", c.Gateway)
		if string(c.Passed) != string(c.Gateway) {
			i.attach(fmt.Sprintf("answer %d as the system under test got it (HTTP %d).xml", before+n+1, c.Status), "application/xml", c.Passed)
		}
	}
	return nil
}

// lastCall is the last request the system under test put on the wire.
func (i *initiatorWorld) lastCall(ruleID string) (relayCall, error) {
	if len(i.calls) == 0 {
		return relayCall{}, i.verify(ruleID, msg.F("a request from the system under test at the gateway"), msg.F("nothing arrived"), false)
	}
	return i.calls[len(i.calls)-1], nil
}

func (i *initiatorWorld) lastResult() trigger.Result {
	if len(i.results) == 0 {
		return trigger.Result{}
	}
	return i.results[len(i.results)-1]
}

// ---- what travelled ----

func (i *initiatorWorld) requestValid() error {
	c, err := i.lastCall("A1-T19")
	if err != nil {
		return err
	}
	observed := msg.F("valid")
	v := i.suite.SyncXSD.Validate(c.Request)
	if len(v) > 0 {
		observed = envelope.Explain(v[0], envelope.SyncRequestMsg).Text()
	}
	return i.verify("A1-T19", msg.F("SendMessage valid against the synchronous channel schema"), observed, len(v) == 0)
}

func (i *initiatorWorld) requestHasIDAndDate() error {
	c, err := i.lastCall("A1-T19")
	if err != nil {
		return err
	}
	var m envelope.SendMessage
	observed := msg.F("not SendMessage")
	ok := false
	if p, err := envelope.Parse(c.Request); err == nil && p.Decode(&m) == nil {
		info := m.Request.RequestInfo
		observed = msg.Raw(fmt.Sprintf("messageId %q, messageDate %q", info.MessageID, info.MessageDate.Format(time.RFC3339)))
		ok = info.MessageID != "" && !info.MessageDate.IsZero()
	}
	return i.verify("A1-T19", msg.F("a messageId (row 3) and a messageDate (row 6) set by the sender"), observed, ok)
}

// requestSigned checks on the wire what the gateway checks on arrival: the system signed its
// request with its own certificate, the one carrying its registered BIN.
func (i *initiatorWorld) requestSigned(ctx context.Context) error {
	c, err := i.lastCall("R-59")
	if err != nil {
		return err
	}
	t, err := i.target(ctx)
	if err != nil {
		return err
	}
	r, err := i.suite.checker().CheckMessage(ctx, c.Request, t.SystemID, t.BIN)
	i.attachJSON("transport signature of the request on the wire", r)
	observed := msg.F("signed by BIN %q, certificate %q", r.Certificate.BIN, r.Certificate.Subject)
	if err != nil {
		observed = msg.Of(err)
	}
	return i.verify("R-59", msg.F("a valid transport signature of %s (BIN %s)", t.SystemID, t.BIN), observed, err == nil)
}

// exchanges reads from the journal every exchange the gateway answered through the tap.
func (i *initiatorWorld) exchanges(ctx context.Context) ([]journal.Exchange, error) {
	var out []journal.Exchange
	for _, c := range i.calls {
		if c.Gateway == nil {
			continue // the tap answered itself: nothing reached the gateway
		}
		sid := sessionOfAnswer(c.Gateway)
		if sid == "" {
			return out, msg.Errorf("the gateway's answer names no session: %.200q", c.Gateway)
		}
		x, err := i.suite.Journal.Exchange(ctx, sid)
		if err != nil {
			return out, err
		}
		out = append(out, x)
	}
	return out, nil
}

// lastExchange is the last exchange in the journal, its events attached as evidence.
func (i *initiatorWorld) lastExchange(ctx context.Context) (journal.Exchange, error) {
	xs, err := i.exchanges(ctx)
	if err == nil && len(xs) == 0 {
		err = msg.Errorf("no exchange of the system under test reached the gateway")
	}
	if err != nil {
		return journal.Exchange{}, err
	}
	x := xs[len(xs)-1]
	i.attachJSON("journal "+x.SessionID, x.Events)
	i.signatureChecks(x.Events) // the remarks on the system's signature
	return x, nil
}

// journalOutcome checks the gateway's own record: the exchange ended as kind and every entry names
// the system under test as the sender it authenticated (R-53(2), R-53(3)).
func (i *initiatorWorld) journalOutcome(ctx context.Context, kind string) error {
	return i.journalOutcomeCode(ctx, kind, "")
}

// journalOutcomeCode is journalOutcome with the fault code the gateway journaled, when code is set.
// An exchange the gateway refused or failed cites the rule the gateway found broken.
func (i *initiatorWorld) journalOutcomeCode(ctx context.Context, kind, code string) error {
	t, err := i.target(ctx)
	if err != nil {
		return err
	}
	x, err := i.lastExchange(ctx)
	if err != nil {
		return i.verify("R-53", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	senders := map[string]bool{}
	for _, e := range x.Events {
		if e.SenderID != "" {
			senders[e.SenderID] = true
		}
	}
	ok := string(x.Outcome) == kind && (code == "" || x.Code == code)
	ruleID := "R-53"
	if !ok && x.Rule != "" {
		ruleID = x.Rule
	}
	expected := msg.F("the exchange journaled as %s, sent by %s", kind, t.SystemID)
	if code != "" {
		expected = msg.F("the exchange journaled as %s with code %s, sent by %s", kind, code, t.SystemID)
	}
	observed := msg.F("outcome %s (code %q, rule %q), senders %v", x.Outcome, x.Code, x.Rule, slices.Sorted(maps.Keys(senders)))
	return i.verify(ruleID, expected, observed, ok && len(senders) == 1 && senders[t.SystemID])
}

// gatewayCheckedSignature reads the gateway's signature check from the journal's ACCEPTED entry:
// the signer's certificate carries the BIN the system is registered with (R-54, A6-S2).
func (i *initiatorWorld) gatewayCheckedSignature(ctx context.Context) error {
	t, err := i.target(ctx)
	if err != nil {
		return err
	}
	x, err := i.lastExchange(ctx)
	if err != nil {
		return i.verify("R-54", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	var r xsig.Report
	if checks := i.signatureChecks(x.Events); len(checks) > 0 {
		r = checks[0] // the sender's; a later one is the owner's answer's
	}
	i.attachJSON("the gateway's check of the transport signature", r)
	return i.verify("R-54", msg.F("the gateway accepted the signature of a valid certificate with BIN %s", t.BIN),
		msg.F("signer BIN %q, status %q, problem %q", r.Certificate.BIN, r.Certificate.Revocation, r.Problem),
		r.Certificate.BIN == t.BIN && r.Problem == "")
}

// ownerReceived checks what the reference owner got from the gateway: the request of the system
// under test, in the exchange the journal names, with the business data it was given.
func (i *initiatorWorld) ownerReceived(ctx context.Context, data string) error {
	t, err := i.target(ctx)
	if err != nil {
		return err
	}
	x, err := i.lastExchange(ctx)
	if err != nil {
		return i.verify("R-61", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	for n, r := range i.owner.Received() {
		info := r.Request.Request.RequestInfo
		if info.SessionID != x.SessionID {
			continue
		}
		i.attach(fmt.Sprintf("request %d received by the owner.xml", n+1), "application/xml", r.Body)
		got := businessData(r.Request.Request.RequestData)
		return i.verify("R-61", msg.F("the request of %s with the business data %q", t.SystemID, data),
			msg.F("senderId %q, business data %q", info.Sender.SenderID, got),
			info.Sender.SenderID == t.SystemID && got == canonicalXML(data))
	}
	return i.verify("R-61", msg.F("the owner received the request of session %s", x.SessionID),
		msg.F("%d requests at the owner, none of that session", len(i.owner.Received())), false)
}

// ---- what the system under test did with what came back ----

// reportsAnswer checks that the system took the answer the gateway sent: the business data it
// reports is the gateway's answer's (A1-T20).
func (i *initiatorWorld) reportsAnswer() error {
	res := i.lastResult()
	c, err := i.lastCall("A1-T20")
	if err != nil {
		return err
	}
	want := "?"
	if m, err := envelope.Parse(c.Gateway); err == nil {
		var r envelope.SendMessageResponse
		if m.Decode(&r) == nil {
			want = businessData(r.Response.ResponseData)
		}
	}
	return i.verify("A1-T20", msg.F("outcome %q with the answer's business data %q", trigger.Answered, want),
		describeResult(res), res.Outcome == trigger.Answered && canonicalXML(res.Answer) == want)
}

// refusesAnswer checks that the system refused the answer the tap altered; the rule is the one
// the alteration breaks.
func (i *initiatorWorld) refusesAnswer() error {
	res := i.lastResult()
	ruleID, what := "A6-S1", msg.F("the answer")
	if i.tap.alter != nil {
		ruleID, what = i.tap.alter.rule, msg.F("the answer %s", i.tap.alter.what)
	}
	return i.verify(ruleID, msg.F("outcome %q: %s is not the gateway's signed answer (A6-S1)", trigger.Refused, what),
		describeResult(res), res.Outcome == trigger.Refused)
}

func (i *initiatorWorld) reportsFault(code string) error {
	res := i.lastResult()
	return i.verify("A1-T21", msg.F("outcome %q with the errorCode %s", trigger.Fault, code), describeResult(res),
		res.Outcome == trigger.Fault && res.Code == code)
}

func (i *initiatorWorld) reportsFailure() error {
	res := i.lastResult()
	return i.verify("A1-T20 row 1", msg.F("outcome %q: an HTTP error is no answer", trigger.Failed), describeResult(res),
		res.Outcome == trigger.Failed)
}

// noMessageIDTwice is the replay rule from the initiator's side: each message it put on the
// wire - whatever came back, a fault, an HTTP error - carries a messageId never sent before, and
// the gateway's journal holds each of its messageIds in one exchange only.
// The check means something only once least messages were sent.
func (i *initiatorWorld) noMessageIDTwice(ctx context.Context, least int) error {
	t, err := i.target(ctx)
	if err != nil {
		return err
	}
	seen := map[string]int{}
	var wire []string
	for _, c := range i.calls {
		id := "(unreadable)"
		var m envelope.SendMessage
		if p, err := envelope.Parse(c.Request); err == nil && p.Decode(&m) == nil {
			id = m.Request.RequestInfo.MessageID
		}
		seen[id]++
		wire = append(wire, fmt.Sprintf("%s (HTTP %d)", id, c.Status))
	}
	xs, err := i.exchanges(ctx)
	if err != nil {
		return i.verify("R-61", msg.F("every exchange of the system under test in the gateway's journal"), msg.Of(err), false)
	}
	inJournal := map[string]int{}
	for _, x := range xs {
		for _, e := range x.Events {
			if e.MessageID != "" && e.SenderID == t.SystemID {
				inJournal[e.MessageID]++
				break
			}
		}
	}
	ok := len(wire) >= least
	for id, n := range seen {
		ok = ok && n == 1 && id != "" && inJournal[id] <= 1
	}
	i.attachJSON("messageIds on the wire and in the journal", map[string]any{"wire": wire, "journal": inJournal})
	return i.verify("R-61", msg.F("%d message(s) or more of %s, each with a messageId of its own: none sent again after a fault or an HTTP error", least, t.SystemID),
		msg.F("on the wire: %s; in the journal: %s", strings.Join(wire, ", "), countsOf(inJournal)), ok)
}

// countsOf is how many times each key was seen, "id ×1, id2 ×2" in key order, or "none".
func countsOf(seen map[string]int) msg.Text {
	if len(seen) == 0 {
		return msg.F("none")
	}
	var parts []string
	for _, id := range slices.Sorted(maps.Keys(seen)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", id, seen[id]))
	}
	return msg.Raw(strings.Join(parts, ", "))
}

// describeResult is what the system under test reported: its outcome, code, answer and its own
// error text, each as the system gave it.
func describeResult(r trigger.Result) msg.Text {
	parts := []msg.Text{msg.F("outcome %q", r.Outcome)}
	if r.Code != "" {
		parts = append(parts, msg.F("code %q", r.Code))
	}
	if r.Answer != "" {
		parts = append(parts, msg.F("answer %q", r.Answer))
	}
	if r.Error != "" {
		parts = append(parts, quoted(r.Error))
	}
	return msg.Join(parts, ", ")
}
