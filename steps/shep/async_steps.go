package shep

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/store"
	"github.com/shepconf/shepconf/internal/tamper"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// asyncWorld is the state of an asynchronous-channel scenario: its own gateway over its own durable
// store, the reference owner and initiator, and every message the scenario sent.
type asyncWorld struct {
	*World
	registry  *gateway.Registry
	async     *gateway.Async
	url       string
	xsd       *schema.XSD
	owner     *owner.Participant
	initiator *owner.Participant
	endpoints map[string]string // push endpoints of the participants
	service   string

	sent    []envelope.AsyncSendMessageResponse // the gateway's answers to the initiator, in order
	last    owner.AsyncExchange                 // the last exchange with the gateway
	fetched []envelope.AsyncSendMessageRequest
}

func init() { stepSets = append(stepSets, registerAsyncSteps) }

func registerAsyncSteps(w *World, sc *godog.ScenarioContext) {
	a := &asyncWorld{World: w, endpoints: map[string]string{}}
	sc.Step(`^the gateway runs its asynchronous channel$`, a.gatewayRuns)
	sc.Step(`^the owner system "([^"]*)" serves "([^"]*)" on the asynchronous channel$`, a.ownerServes)
	sc.Step(`^the initiator system "([^"]*)" may send requests to "([^"]*)"$`, a.initiatorGranted)
	sc.Step(`^the system "([^"]*)" may send requests to "([^"]*)"$`, a.systemGranted)
	sc.Step(`^both systems take their messages by push$`, a.byPush)
	sc.Step(`^both systems take their messages with GetMessages$`, a.byPull)
	sc.Step(`^the owner answers every request with "([^"]*)"$`, a.ownerReplies)
	sc.Step(`^the owner does not accept messages and asks for them again$`, a.ownerRefusesResend)
	sc.Step(`^the owner does not accept messages$`, a.ownerRefuses)
	sc.Step(`^the owner is down$`, a.ownerDown)
	sc.Step(`^the owner is back$`, a.ownerBack)
	sc.Step(`^the gateway's default amount for GetMessages is (\d+)$`, a.defaultAmount)
	sc.Step(`^the owner signs its answers with the certificate of another organisation$`, a.ownerSignsAsAnother)

	sc.Step(`^the initiator sends a request with the data "([^"]*)"$`, a.sendsData)
	sc.Step(`^the initiator sends (\d+) requests$`, a.sendsMany)
	sc.Step(`^the initiator sends a request to "([^"]*)"$`, a.sendsTo)
	sc.Step(`^the initiator sends a request with the password "([^"]*)"$`, a.sendsPassword)
	sc.Step(`^the initiator sends an unsigned request$`, a.sendsUnsigned)
	sc.Step(`^the initiator sends a request without "([^"]*)"$`, a.sendsWithout)
	sc.Step(`^the initiator sends a RESPONSE without a correlationId$`, a.sendsResponseWithoutChain)
	sc.Step(`^"([^"]*)" sends a RESPONSE in the initiator's chain$`, a.strangerWritesIntoChain)
	sc.Step(`^the (owner|initiator) collects its messages and confirms them$`, a.collects)
	sc.Step(`^the owner asks for its messages (.+)$`, a.asksFor)

	sc.Step(`^the gateway answers at once with a new messageId and correlationId$`, a.answeredWithIDs)
	sc.Step(`^the owner receives the request with the gateway's identifiers and the data unaltered$`, a.ownerReceivedRequest)
	sc.Step(`^the owner receives the request signed by the gateway$`, a.ownerReceivedSigned)
	sc.Step(`^the journal records the failed pushes with the fault "([^"]*)" citing "([^"]*)"$`, a.journalFailedPushes)
	sc.Step(`^the initiator (?:receives|has received) the owner's response in the same chain$`, a.initiatorReceivedResponse)
	sc.Step(`^the initiator is told by changeMassageStatusNotification that its request is "([^"]*)"$`, a.initiatorToldState)
	sc.Step(`^the state of the request (?:is|becomes) "([^"]*)"$`, a.stateIs)
	sc.Step(`^the status history of the request reads "([^"]*)"$`, a.historyReads)
	sc.Step(`^the owner has been given the request (\d+) times$`, a.ownerGivenTimes)
	sc.Step(`^the owner has taken the request exactly once$`, a.ownerTookOnce)
	sc.Step(`^the gateway tries to push the request at least (\d+) times$`, a.pushAttempts)
	sc.Step(`^the gateway returns (\d+) messages, valid against the asynchronous channel schema$`, a.returned)
	sc.Step(`^the gateway answers the fault "([^"]*)" citing "([^"]*)"$`, a.faultCiting)
	sc.Step(`^the journal records that the initiator received the request's messageId$`, a.journalAnswered)
	sc.Step(`^the journal records the request as received, then accepted, then answered$`, a.journalOrder)
	sc.Step(`^every message of the scenario was accepted within one minute$`, a.allAccepted)
}

// ---- actors ----

func (a *asyncWorld) gatewayRuns() error { return a.startGateway() }

func (a *asyncWorld) startGateway(opts ...gateway.AsyncOption) error {
	if a.async != nil { // restarted with other options: the registry and the store carry over
		a.async.Close()
	}
	// R-59, A6-S1: the gateway signs everything it sends with its own certificate and checks the
	// signature of everything it receives, as on the synchronous channel.
	if a.identities == nil {
		a.identities = map[string]*pki.Identity{}
	}
	gwID := a.identities[gatewaySystem]
	if gwID == nil {
		var err error
		if gwID, err = a.issue(gatewaySystem, a.suite.Key); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "shepconf-async-")
	if err != nil {
		return err
	}
	st, err := store.Open(filepath.Join(dir, "messages.sqlite"))
	if err != nil {
		return err
	}
	if a.registry == nil {
		a.registry = gateway.NewRegistry()
	}
	gw, err := gateway.New(a.registry, a.suite.Journal, gateway.WithLimits(a.suite.Limits),
		gateway.WithSignatures(gateway.Signatures{Identity: gwID, Checker: a.suite.checker(), Off: a.suite.SignatureChecksOff}))
	if err != nil {
		return err
	}
	// Push retries are the gateway's own policy, not a limit of the Rules: short, so a scenario waits little.
	opts = append([]gateway.AsyncOption{gateway.WithRetry(20*time.Millisecond, 200*time.Millisecond, 100)}, opts...)
	if a.async, err = gw.EnableAsync(st, opts...); err != nil {
		return err
	}
	srv, err := server.Start("127.0.0.1:0", gw.Handler())
	if err != nil {
		return err
	}
	async := a.async
	a.servers = append(a.servers, srv)
	a.onClose(func(context.Context) { async.Close(); st.Close(); os.RemoveAll(dir) })
	a.url = srv.URL()
	for id, ep := range a.endpoints {
		a.async.RegisterPush(id, ep)
	}
	for _, p := range []*owner.Participant{a.owner, a.initiator} {
		if p != nil {
			p.Gateway = a.url
		}
	}
	if a.xsd == nil {
		a.xsd, err = schema.CompileXSD(shepfixtures.XSD(), "async-channel.xsd", "data")
	}
	return err
}

// register enters a system in the registry with its password and the BIN of its EDS registration
// certificate, issued here by the run's NCA.
func (a *asyncWorld) register(systemID, password string) error {
	cert, err := a.issue(systemID, a.suite.Key)
	if err != nil {
		return err
	}
	a.registry.AddSystem(gateway.System{ID: systemID, Password: password, Identifier: binOf(systemID)})
	a.attach("EDS registration certificate of "+systemID+".pem", "application/x-pem-file", pki.PEM(cert.Certificate))
	return nil
}

// participantOf returns the reference participant of a registered system: it signs with the system's
// certificate and checks the gateway's signature on what it is pushed.
func (a *asyncWorld) participantOf(systemID, password string) *owner.Participant {
	p := owner.NewParticipant(systemID, password, a.url)
	p.Identity, p.Checker, p.GatewayID = a.identities[systemID], a.suite.checker(), binOf(gatewaySystem)
	return p
}

func (a *asyncWorld) ownerServes(systemID, serviceID string) error {
	if err := a.register(systemID, "owner-secret"); err != nil {
		return err
	}
	a.registry.AddService(gateway.Service{ID: serviceID, Owner: systemID})
	a.owner, a.service = a.participantOf(systemID, "owner-secret"), serviceID
	return nil
}

func (a *asyncWorld) initiatorGranted(systemID, serviceID string) error {
	if err := a.grant(systemID, "initiator-secret", serviceID); err != nil {
		return err
	}
	a.initiator = a.participantOf(systemID, "initiator-secret")
	return nil
}

func (a *asyncWorld) systemGranted(systemID, serviceID string) error {
	return a.grant(systemID, "other-secret", serviceID)
}

func (a *asyncWorld) grant(systemID, password, serviceID string) error {
	if err := a.register(systemID, password); err != nil {
		return err
	}
	if !a.registry.Grant(serviceID, systemID) {
		return msg.Errorf("no service %s in the registry", serviceID)
	}
	return nil
}

func (a *asyncWorld) byPush() error {
	for _, p := range []*owner.Participant{a.owner, a.initiator} {
		srv, err := server.Start("127.0.0.1:0", p)
		if err != nil {
			return err
		}
		a.servers = append(a.servers, srv)
		a.endpoints[p.SystemID] = srv.URL() + "/async-client"
		a.async.RegisterPush(p.SystemID, a.endpoints[p.SystemID])
	}
	return nil
}

func (a *asyncWorld) byPull() error { return nil } // a system without a push endpoint pulls

func (a *asyncWorld) ownerReplies(data string) error {
	a.owner.Behave(owner.AsyncBehaviour{Reply: data})
	return nil
}

func (a *asyncWorld) ownerRefusesResend() error {
	a.owner.Behave(owner.AsyncBehaviour{Refuse: true, Resend: true})
	return nil
}

func (a *asyncWorld) ownerRefuses() error {
	a.owner.Behave(owner.AsyncBehaviour{Refuse: true})
	return nil
}

func (a *asyncWorld) ownerDown() error {
	a.owner.Behave(owner.AsyncBehaviour{Down: true})
	return nil
}

func (a *asyncWorld) ownerBack() error {
	a.owner.Behave(owner.AsyncBehaviour{})
	return nil
}

func (a *asyncWorld) defaultAmount(n int) error { return a.startGateway(gateway.WithDefaultAmount(n)) }

// ownerSignsAsAnother makes the owner sign its answers with a valid certificate of the NCA that
// belongs to another organisation than the one registered for it.
func (a *asyncWorld) ownerSignsAsAnother() error {
	id, err := a.suite.NCA.Issue(nca.Subject{CommonName: "Another organisation's system", BIN: binOf("ANOTHER_ORG")}, a.suite.Key)
	if err != nil {
		return err
	}
	a.owner.Identity = id
	return nil
}

// ---- sending ----

func (a *asyncWorld) request(p *owner.Participant, serviceID, data string) envelope.AsyncSendMessage {
	return p.Message(serviceID, envelope.TypeRequest, "", envelope.StringData(data))
}

// send posts a message signed by its sender and keeps the gateway's answer; a fault is kept for
// the Then steps.
func (a *asyncWorld) send(p *owner.Participant, m envelope.AsyncSendMessage) error {
	body, err := envelope.Marshal(m)
	if err == nil {
		body, err = p.Sign(body)
	}
	if err != nil {
		return err
	}
	return a.post(p, body)
}

func (a *asyncWorld) post(p *owner.Participant, body []byte) error {
	a.last = p.Post(context.Background(), body)
	a.attach("sent to the gateway", "text/xml", body)
	a.attach("gateway's answer", "text/xml", a.last.Response)
	if a.last.Err != nil {
		return a.last.Err
	}
	if a.last.Fault != nil {
		return nil
	}
	var answer envelope.AsyncSendMessageAnswer
	if err := a.last.Decode(&answer); err != nil {
		return err
	}
	if p == a.initiator {
		a.sent = append(a.sent, answer.Response)
	}
	return nil
}

func (a *asyncWorld) sendsData(data string) error {
	return a.send(a.initiator, a.request(a.initiator, a.service, data))
}

func (a *asyncWorld) sendsMany(n int) error {
	for i := 0; i < n; i++ {
		if err := a.sendsData(fmt.Sprintf("<question n=\"%d\"/>", i)); err != nil {
			return err
		}
		if a.last.Fault != nil {
			return msg.Errorf("request %d refused: %s", i, gateway.Explain(a.last.Fault.Detail.ErrorData))
		}
	}
	return nil
}

func (a *asyncWorld) sendsTo(serviceID string) error {
	return a.send(a.initiator, a.request(a.initiator, serviceID, "<question/>"))
}

func (a *asyncWorld) sendsPassword(password string) error {
	m := a.request(a.initiator, a.service, "<question/>")
	m.Request.MessageInfo.Sender.Password = password
	return a.send(a.initiator, m)
}

func (a *asyncWorld) sendsWithout(path string) error {
	body, err := envelope.Marshal(a.request(a.initiator, a.service, "<question/>"))
	if err != nil {
		return err
	}
	if body, err = tamper.Apply(body, tamper.Remove(path)); err != nil {
		return err
	}
	if body, err = a.initiator.Sign(body); err != nil { // signed as sent: only the defect is the field
		return err
	}
	return a.post(a.initiator, body)
}

// sendsUnsigned sends a well-formed request without a transport signature.
func (a *asyncWorld) sendsUnsigned() error {
	body, err := envelope.Marshal(a.request(a.initiator, a.service, "<question/>"))
	if err != nil {
		return err
	}
	return a.post(a.initiator, body)
}

func (a *asyncWorld) sendsResponseWithoutChain() error {
	return a.send(a.initiator, a.initiator.Message(a.service, envelope.TypeResponse, "", envelope.StringData("<answer/>")))
}

func (a *asyncWorld) strangerWritesIntoChain(systemID string) error {
	first, err := a.first()
	if err != nil {
		return err
	}
	stranger := a.participantOf(systemID, "other-secret")
	return a.send(stranger, stranger.Message(a.service, envelope.TypeResponse, first.CorrelationID, envelope.StringData("<answer/>")))
}

func (a *asyncWorld) participant(who string) *owner.Participant {
	if who == "owner" {
		return a.owner
	}
	return a.initiator
}

func (a *asyncWorld) collects(who string) error {
	got, err := a.participant(who).Poll(context.Background(), a.service)
	a.attachJSON(who+" collected", got)
	return err
}

func (a *asyncWorld) asksFor(selection string) error {
	var amount *int
	var messageID, correlationID string
	switch {
	case strings.HasPrefix(selection, "of the service with amount "):
		var n int
		if _, err := fmt.Sscan(strings.TrimPrefix(selection, "of the service with amount "), &n); err != nil {
			return err
		}
		amount = &n
	case selection == "of the service":
	case selection == "by the first request's messageId":
		messageID = a.sent[0].MessageID
	case selection == "by the second request's correlationId":
		correlationID = a.sent[1].CorrelationID
	default:
		return msg.Errorf("unknown selection %q", selection)
	}
	var x owner.AsyncExchange
	a.fetched, x = a.owner.Get(context.Background(), a.owner.Selection(a.service, messageID, correlationID, amount))
	a.last = x
	a.attach("getMessages answer", "text/xml", x.Response)
	return x.Decode(new(envelope.AsyncGetMessagesAnswer))
}

// ---- checks ----

func (a *asyncWorld) first() (envelope.AsyncSendMessageResponse, error) {
	if len(a.sent) == 0 {
		return envelope.AsyncSendMessageResponse{}, msg.Errorf("the gateway accepted no request in this scenario")
	}
	return a.sent[0], nil
}

// schemaCheck judges body against the asynchronous channel's schema; what names the message (an
// element name, or a phrase such as "the fault").
func (a *asyncWorld) schemaCheck(ruleID string, what msg.Text, body []byte) error {
	v := a.xsd.Validate(body)
	observed := msg.F("valid")
	if len(v) > 0 {
		observed = envelope.ExplainAsync(v[0], envelope.AsyncGatewayMsg).Text()
	}
	return a.verify(ruleID, msg.F("%s valid against the asynchronous channel schema", what), observed, len(v) == 0)
}

func (a *asyncWorld) answeredWithIDs() error {
	first, err := a.first()
	if err != nil {
		return err
	}
	if err := a.schemaCheck("A1-T2", msg.Raw("sendMessageResponse"), a.last.Response); err != nil {
		return err
	}
	ok := first.MessageID != "" && first.CorrelationID != "" && !first.ResponseDate.IsZero() && first.MessageID != first.CorrelationID
	return a.verify("R-22", msg.F("a non-empty messageId and correlationId and a responseDate (A1-T2 rows 2-4)"),
		msg.F("messageId %s, correlationId %s, answered after %s", first.MessageID, first.CorrelationID, a.last.Elapsed.Round(time.Millisecond)), ok)
}

// waitFor polls cond until it holds or a few seconds pass; delivery is asynchronous by nature.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func (a *asyncWorld) ownerReceivedRequest() error {
	first, err := a.first()
	if err != nil {
		return err
	}
	got := a.ownerReceives(func(r owner.AsyncReceived) bool { return r.Answered })
	if got.Body == nil {
		return a.verify("A1-T13", msg.F("the request pushed to the owner"), msg.F("nothing pushed"), false)
	}
	a.attach("pushed to the owner", "text/xml", got.Body)
	if err := a.schemaCheck("A1-T13", msg.F("the pushed sendMessage"), got.Body); err != nil {
		return err
	}
	info := got.Message.MessageInfo
	if err := a.verify("A1-T13", msg.F("messageId %s and correlationId %s set by the gateway", first.MessageID, first.CorrelationID),
		msg.F("messageId %s, correlationId %s, sessionId %s", info.MessageID, info.CorrelationID, info.SessionID),
		info.MessageID == first.MessageID && info.CorrelationID == first.CorrelationID && info.SessionID != ""); err != nil {
		return err
	}
	want := "<question><uin>990101300123</uin></question>"
	return a.verify("R-2.5", msg.F("the business data unaltered: %s", want), msg.Raw(got.Message.MessageData.Text()), got.Message.MessageData.Text() == want)
}

// ownerReceives waits for the first message the owner received that matches; the zero value when
// none came in time.
func (a *asyncWorld) ownerReceives(match func(owner.AsyncReceived) bool) owner.AsyncReceived {
	var got owner.AsyncReceived
	waitFor(func() bool {
		for _, r := range a.owner.Received() {
			if match(r) {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

// ownerReceivedSigned checks the owner's own check of the gateway's signature on the push (A6-S1).
func (a *asyncWorld) ownerReceivedSigned() error {
	got := a.ownerReceives(func(r owner.AsyncReceived) bool { return r.By == "push" })
	if got.Body == nil {
		return a.verify("A6-S1", msg.F("the request pushed to the owner, signed by the gateway"), msg.F("nothing pushed"), false)
	}
	a.attach("pushed to the owner", "text/xml", got.Body)
	a.attachJSON("owner's check of the gateway's signature", got.Signature)
	observed := msg.F("signed by BIN %q (%q)", got.Signature.Certificate.BIN, got.Signature.Certificate.Revocation)
	if got.SignatureErr != nil {
		observed = msg.Of(got.SignatureErr)
	}
	return a.verify("A6-S1", msg.F("a push signed by the gateway (BIN %s), valid", binOf(gatewaySystem)), observed,
		got.SignatureErr == nil && got.Answered && got.Signature.Certificate.BIN == binOf(gatewaySystem))
}

func (a *asyncWorld) initiatorReceivedResponse() error {
	first, err := a.first()
	if err != nil {
		return err
	}
	var got *envelope.AsyncMessageInfo
	waitFor(func() bool {
		for _, r := range a.initiator.Received() {
			if r.Message.MessageInfo.MessageType == envelope.TypeResponse {
				info := r.Message.MessageInfo
				got = &info
				return true
			}
		}
		return false
	})
	observed := msg.F("no RESPONSE received")
	if got != nil {
		observed = msg.F("%s from %s, correlationId %s", got.MessageType, got.Sender.SenderID, got.CorrelationID)
	}
	return a.verify("A1-T13", msg.F("a RESPONSE from the owner with correlationId %s", first.CorrelationID), observed,
		got != nil && got.CorrelationID == first.CorrelationID && got.Sender.SenderID == a.owner.SystemID)
}

func (a *asyncWorld) initiatorToldState(state string) error {
	first, err := a.first()
	if err != nil {
		return err
	}
	var seen []string
	ok := waitFor(func() bool {
		seen = seen[:0]
		for _, n := range a.initiator.Statuses() {
			if n.MessageID == first.MessageID {
				seen = append(seen, n.MessageState+" ("+n.Status.StatusCode+" "+strconv.Quote(n.Status.StatusMessage)+")")
				if n.MessageState == state {
					return true
				}
			}
		}
		return false
	})
	return a.verify("A1-T16", msg.F("changeMassageStatusNotification with messageState %s", state), msg.Raw(fmt.Sprint(seen)), ok)
}

func (a *asyncWorld) currentState(id string) (string, error) {
	x := a.initiator.Status(context.Background(), id)
	var answer envelope.AsyncGetMessageStatusAnswer
	if err := x.Decode(&answer); err != nil {
		return "", err
	}
	if err := a.schemaCheck("A1-T8", msg.Raw("getMessageStatusResponse"), x.Response); err != nil {
		return "", err
	}
	a.attach("getMessageStatus answer", "text/xml", x.Response)
	r := answer.Response
	return r.MessageState + " (" + r.Status.StatusCode + " " + strconv.Quote(r.Status.StatusMessage) + ")", nil
}

func (a *asyncWorld) stateIs(state string) error {
	first, err := a.first()
	if err != nil {
		return err
	}
	var observed string
	var stateErr error
	waitFor(func() bool {
		observed, stateErr = a.currentState(first.MessageID)
		return stateErr == nil && strings.HasPrefix(observed, state+" ")
	})
	if stateErr != nil {
		return stateErr
	}
	return a.verify("A1-T8", msg.F("messageState %s", state), msg.Raw(observed), strings.HasPrefix(observed, state+" "))
}

func (a *asyncWorld) historyReads(want string) error {
	first, err := a.first()
	if err != nil {
		return err
	}
	h, err := a.async.Store().History(context.Background(), first.MessageID)
	if err != nil {
		return err
	}
	a.attachJSON("status history", h)
	var states []string
	for _, c := range h {
		states = append(states, c.State)
	}
	got := strings.Join(states, ", ")
	return a.verify("A1-T8", msg.F("the status history %s", want), msg.Raw(got), got == want)
}

func (a *asyncWorld) ownerGivenTimes(n int) error {
	first, err := a.first()
	if err != nil {
		return err
	}
	count := 0
	for _, r := range a.owner.Received() {
		if r.Message.MessageInfo.MessageID == first.MessageID {
			count++
		}
	}
	return a.verify("A1-T4 row 9", msg.F("the request handed to the owner %d times", n), msg.F("%d times", count), count == n)
}

func (a *asyncWorld) ownerTookOnce() error {
	first, err := a.first()
	if err != nil {
		return err
	}
	time.Sleep(100 * time.Millisecond) // time for a stray second push to arrive
	taken, pushes := 0, 0
	for _, r := range a.owner.Received() {
		if r.Message.MessageInfo.MessageID == first.MessageID {
			pushes++
			if r.Answered {
				taken++
			}
		}
	}
	return a.verify("A2-T2", msg.F("the request taken exactly once"), msg.F("taken %d times in %d pushes", taken, pushes), taken == 1)
}

func (a *asyncWorld) pushAttempts(n int) error {
	first, err := a.first()
	if err != nil {
		return err
	}
	var attempts int
	waitFor(func() bool {
		events, err := a.suite.Journal.Events(context.Background(), first.SessionID)
		attempts = 0
		for _, e := range events {
			if e.Kind == journal.DeliveryFailed {
				attempts++
			}
		}
		return err == nil && attempts >= n
	})
	return a.verify("A1-T15", msg.F("at least %d failed pushes journalled, each followed by a retry", n), msg.F("%d failed pushes", attempts), attempts >= n)
}

// journalFailedPushes checks that every failed push of the request was journalled with the fault
// and the rule of the participant's answer; at least one push must have failed.
func (a *asyncWorld) journalFailedPushes(code, ruleID string) error {
	first, err := a.first()
	if err != nil {
		return err
	}
	var failed []journal.Event
	waitFor(func() bool {
		events, err := a.suite.Journal.Events(context.Background(), first.SessionID)
		failed = failed[:0]
		for _, e := range events {
			if e.Kind == journal.DeliveryFailed && e.MessageID == first.MessageID {
				failed = append(failed, e)
			}
		}
		return err == nil && len(failed) > 0
	})
	a.attachJSON("failed pushes", failed)
	ok := len(failed) > 0
	observed := msg.F("no failed push")
	for _, e := range failed {
		observed = msg.F("%d failed pushes, the last %s (%s): %s", len(failed), e.Code, e.Rule, gateway.Explain(e.Detail))
		ok = ok && e.Code == code && e.Rule == ruleID
	}
	return a.verify(ruleID, msg.F("every failed push journalled with %s citing %s", code, ruleID), observed, ok)
}

func (a *asyncWorld) returned(n int) error {
	if err := a.schemaCheck("A1-T11", msg.Raw("getMessagesResponse"), a.last.Response); err != nil {
		return err
	}
	return a.verify("A1-T10 row 9", msg.F("%d messages", n), msg.F("%d messages", len(a.fetched)), len(a.fetched) == n)
}

func (a *asyncWorld) faultCiting(code, ruleID string) error {
	if a.last.Fault == nil {
		return a.verify(ruleID, msg.F("the fault %s", code), msg.F("HTTP %d without a fault", a.last.Status), false)
	}
	if err := a.schemaCheck("A1-T3", msg.F("the fault"), a.last.Response); err != nil {
		return err
	}
	d := a.last.Fault.Detail
	ok := d.ErrorCode == code && strings.Contains(d.ErrorData, "breaks "+ruleID) && !d.ErrorDate.IsZero() && d.SessionID != ""
	return a.verify(ruleID, msg.F("the fault %s citing %s, with errorData, errorDate and the gateway's sessionId (A1-T3)", code, ruleID),
		msg.F("%s: %s", d.ErrorCode, gateway.Explain(d.ErrorData)), ok)
}

func (a *asyncWorld) journalAnswered() error {
	first, err := a.first()
	if err != nil {
		return err
	}
	x, err := a.suite.Journal.Exchange(context.Background(), first.SessionID)
	if err != nil {
		return err
	}
	a.attachJSON("journal "+first.SessionID, x.Events)
	var found string
	for _, e := range x.Events {
		if e.Kind == journal.Answered && e.MessageID == first.MessageID && strings.Contains(e.Detail, first.MessageID) {
			found = e.Detail
		}
	}
	return a.verify("R-22", msg.F("a journal entry: the sender received messageId %s", first.MessageID), gateway.Explain(found), found != "")
}

func (a *asyncWorld) journalOrder() error {
	first, err := a.first()
	if err != nil {
		return err
	}
	x, err := a.suite.Journal.Exchange(context.Background(), first.SessionID)
	if err != nil {
		return err
	}
	a.attachJSON("journal "+first.SessionID, x.Events)
	var kinds []string
	for _, e := range x.Events {
		if e.Kind == journal.Received || e.Kind == journal.Accepted || e.Kind == journal.Answered {
			kinds = append(kinds, string(e.Kind))
		}
	}
	got := strings.Join(kinds, ", ")
	return a.verify("R-40", msg.Raw("RECEIVED, ACCEPTED, ANSWERED"), msg.Raw(got), got == "RECEIVED, ACCEPTED, ANSWERED")
}

// allAccepted judges R-47 on the acceptance time the journal measured for every message the
// scenario sent, the response messages of the owner included.
func (a *asyncWorld) allAccepted() error {
	sessions := []string{}
	for _, s := range a.sent {
		sessions = append(sessions, s.SessionID)
	}
	for _, x := range append(a.owner.Replies(), a.initiator.Replies()...) {
		var answer envelope.AsyncSendMessageAnswer
		if x.Decode(&answer) == nil {
			sessions = append(sessions, answer.Response.SessionID)
		}
	}
	if len(sessions) == 0 {
		return msg.Errorf("no message was accepted in this scenario")
	}
	var worst time.Duration
	var breach *rule.Breach
	for _, s := range sessions {
		x, err := a.suite.Journal.Exchange(context.Background(), s)
		if err != nil {
			return err
		}
		if b := gateway.AcceptanceBreach(x, a.suite.Limits); b != nil && breach == nil {
			breach = b
		}
		worst = max(worst, x.AcceptanceTime())
	}
	observed := msg.F("%d messages, longest acceptance %s", len(sessions), worst.Round(time.Microsecond))
	if breach != nil {
		observed = msg.F("%d messages, longest acceptance %s; %s", len(sessions), worst.Round(time.Microsecond), breach)
	}
	return a.verify("R-47", msg.F("every message accepted within %s", a.suite.Limits.Describe(time.Minute)), observed, breach == nil)
}
