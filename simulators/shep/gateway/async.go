package gateway

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/beevik/etree"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/store"
	"github.com/shepconf/shepconf/internal/wire"
	"github.com/shepconf/shepconf/internal/xmlguard"
)

// Defaults of the asynchronous channel. The Rules fix none of them: L-11 leaves the GetMessages
// amount to the gateway's configuration, and A2-T2 row 1 leaves the time to a result to the service.
const (
	DefaultAmount      = 10               // GetMessages without amount, or with 0 (A1-T10 row 9, L-11)
	DefaultRetryBase   = time.Second      // first wait after a failed push; doubles on every failure
	DefaultRetryMax    = 5 * time.Minute  // longest wait between two pushes
	DefaultMaxAttempts = 20               // pushes before the gateway stops delivery (DELIVERY_STOPPED)
	DefaultPushTimeout = 30 * time.Second // a participant's answer to a push
	pushWorkers        = 8
)

// Status codes of a message (MessageStatusInfo.statusCode, A1-T8 row 6). Neither the Rules nor the WSDL
// list any (O-14); these are numeric so they also fit the Rules' xsd:int.
const (
	StatusAccepted      = "100" // accepted, waiting for delivery
	StatusResend        = "101" // the recipient asked for the message again (RESEND)
	StatusAttemptFailed = "102" // a push failed; another follows
	StatusPushed        = "200" // the recipient answered the push (A1-T14)
	StatusConfirmed     = "201" // the recipient confirmed with MESSAGE_ACCEPTED (A1-T4)
	StatusRefused       = "400" // the recipient answered MESSAGE_NOT_ACCTEPTED without RESEND
	StatusAttemptsSpent = "500" // every push failed: delivery stopped
)

// Async is the gateway's asynchronous channel (Appendix 1 section 1): it accepts messages into a
// durable store, delivers them by push or holds them for GetMessages, tracks their state and tells
// senders about changes.
type Async struct {
	g     *Gateway
	store *store.Store
	xsd   *schema.XSD

	amount      int
	retryBase   time.Duration
	retryMax    time.Duration
	maxAttempts int
	pushTimeout time.Duration
	poll        time.Duration
	delay       time.Duration // a degraded gateway: extra time before acceptance

	mu       sync.Mutex
	push     map[string]string // system ID -> its IAsyncChannelClient endpoint; absent: the system pulls
	inflight map[string]bool   // message or notification IDs being sent now

	wake   chan struct{}
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// AsyncOption configures the asynchronous channel.
type AsyncOption func(*Async)

// WithDefaultAmount sets how many messages GetMessages returns when amount is absent or 0 (L-11).
func WithDefaultAmount(n int) AsyncOption { return func(a *Async) { a.amount = n } }

// WithRetry sets the push retry policy: the first wait, the longest wait and the number of pushes
// after which delivery stops.
func WithRetry(base, max time.Duration, attempts int) AsyncOption {
	return func(a *Async) { a.retryBase, a.retryMax, a.maxAttempts = base, max, attempts }
}

// WithPushTimeout sets how long the gateway waits for a participant's answer to a push.
func WithPushTimeout(d time.Duration) AsyncOption { return func(a *Async) { a.pushTimeout = d } }

// WithAcceptanceDelay makes a degraded gateway that holds every message d before accepting it: it
// proves that the acceptance-time check notices a slow gateway.
func WithAcceptanceDelay(d time.Duration) AsyncOption { return func(a *Async) { a.delay = d } }

// EnableAsync opens the asynchronous channel on the gateway's handler (envelope.AsyncPath) over a
// durable store, and starts delivering whatever the store holds: after a restart, every message
// accepted before it is delivered. Close stops delivery.
func (g *Gateway) EnableAsync(st *store.Store, opts ...AsyncOption) (*Async, error) {
	xsd, err := schema.CompileXSD(shepfixtures.XSD(), "async-channel.xsd", "data")
	if err != nil {
		return nil, fmt.Errorf("asynchronous channel schema: %w", err)
	}
	a := &Async{
		g: g, store: st, xsd: xsd,
		amount: DefaultAmount, retryBase: DefaultRetryBase, retryMax: DefaultRetryMax,
		maxAttempts: DefaultMaxAttempts, pushTimeout: DefaultPushTimeout, poll: 200 * time.Millisecond,
		push: map[string]string{}, inflight: map[string]bool{}, wake: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(a)
	}
	if a.retryBase > 0 && a.poll > a.retryBase {
		a.poll = a.retryBase
	}
	g.async = a
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.done.Add(1)
	go a.deliver(ctx)
	return a, nil
}

// Close stops delivery and waits for pushes in flight; what they did not finish stays in the store.
func (a *Async) Close() {
	a.cancel()
	a.done.Wait()
}

// RegisterPush records in the registry that a system takes its messages and status notifications
// by PUSH on its IAsyncChannelClient endpoint (Appendix 1 section 1.2); an empty endpoint makes it
// pull them with GetMessages again.
func (a *Async) RegisterPush(systemID, endpoint string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if endpoint == "" {
		delete(a.push, systemID)
		return
	}
	a.push[systemID] = endpoint
}

func (a *Async) pushEndpoint(systemID string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.push[systemID]
}

// Store is the channel's durable message store.
func (a *Async) Store() *store.Store { return a.store }

// ServeHTTP serves the gateway's asynchronous interface, IAsyncChannel, on envelope.AsyncPath.
func (a *Async) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if serveContract(w, r, asyncWSDL) {
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "the asynchronous channel takes SOAP 1.1 requests by POST (Appendix 1 section 1.1); GET ?wsdl for its service description",
			http.StatusMethodNotAllowed)
		return
	}
	ctx := r.Context()
	x := &exchange{g: a.g, channel: "async", sessionID: envelope.NewGUID()}
	in, readErr := wire.ReadBody(w, r, MaxMessageSize)
	body := in.XML
	x.body = body
	// the acceptance clock starts when the message is read.
	if err := x.record(ctx, journal.Received, "", "", fmt.Sprintf("%s from %s", in.Describe(), r.RemoteAddr)); err != nil {
		writeXML(w, http.StatusInternalServerError, asyncFault(x, journalFailure(err), envelope.AsyncSendMessageFault))
		return
	}
	m, f := a.admit(ctx, x, body, readErr)
	x.parsed = m
	faultElement := envelope.AsyncSendMessageFault
	if m != nil {
		faultElement = faultElementOf(m.Payload.Tag)
	}
	var out []byte
	if f == nil {
		switch m.Payload.Tag {
		case "sendMessage":
			out, f = a.sendMessage(ctx, x, m)
		case "getMessageStatus":
			out, f = a.getMessageStatus(ctx, x, m)
		case "getMessages":
			out, f = a.getMessages(ctx, x, m)
		case "sendDeliveryNotification":
			out, f = a.sendDeliveryNotification(ctx, x, m)
		default:
			f = &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
				Rule: "A1-T1 row 1", Field: msg.Raw(m.Payload.Tag), Expected: envelope.AsyncGatewayMsg.Desc,
				Observed: msg.F("%s, which is not an operation of the gateway's asynchronous interface", m.Payload.Tag),
				Fix:      msg.F("send one of the four operations of Appendix 1 section 1.1")}}
		}
	}
	if f != nil {
		kind := journal.Rejected
		if f.code == envelope.SCE909 {
			kind = journal.Faulted
		}
		_ = x.record(ctx, kind, f.code.ID, f.breach.Rule, said(f.breach.Text()))
		writeXML(w, http.StatusInternalServerError, asyncFault(x, *f, faultElement))
		return
	}
	writeXML(w, http.StatusOK, out)
}

// admit checks what every request of the asynchronous channel must pass before its operation runs,
// cheapest first as on the synchronous channel (see admitSync): size, the streaming pre-scan, the
// sender's credentials read without a tree, then the channel schema (R-5, A1-T1 ... A1-T10) and the
// parse. The operation authenticates the decoded sender again (authenticate) and checks the
// transport signature.
func (a *Async) admit(ctx context.Context, x *exchange, body []byte, readErr error) (*envelope.Message, *failure) {
	if f := readFailure("A1-T1 row 1", readErr); f != nil {
		return nil, f
	}
	// A1-T1 row 1: a document within the parser limits, checked before any parser runs.
	if err := xmlguard.Scan(body); err != nil {
		return nil, a.g.scanFailure("A1-T1 row 1", err)
	}
	// R-53(2): the login and password before the message is validated or parsed. A request that
	// names no sender is left to the schema and to authenticate.
	if early := envelope.ReadCredentials(body); early.Found && early.SenderID != "" {
		x.senderID = early.SenderID
		// The fault element follows the operation (faultElementOf) even when nothing was parsed.
		op := &envelope.Message{Payload: etree.NewElement(early.Operation)}
		if early.Password == "" {
			return op, asyncNoPassword(early.Field)
		}
		if _, f := a.g.checkCredentials(ctx, x, claim{early.SenderID, early.Password, early.Field, clientAddress(ctx)}); f != nil {
			return op, f
		}
	}
	a.g.validating()
	if v := a.xsd.Validate(body); len(v) > 0 {
		kind := envelope.AsyncGatewayMsg
		m, parseErr := envelope.Parse(body)
		if parseErr == nil {
			kind = requestKind(m.Payload.Tag)
		}
		return m, &failure{code: envelope.SCE001, client: true, breach: envelope.ExplainAsync(v[0], kind)}
	}
	m, parseErr := envelope.Parse(body)
	if parseErr != nil {
		return nil, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T1 row 1", Expected: envelope.AsyncGatewayMsg.Desc, Observed: msg.Of(parseErr)}}
	}
	if m.Payload.NamespaceURI() != envelope.AsyncNS {
		return m, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T1 row 1", Field: msg.Raw(m.Payload.Tag), Expected: envelope.AsyncGatewayMsg.Desc,
			Observed: msg.F("%s in %s", m.Payload.Tag, m.Payload.NamespaceURI()),
			Fix:      msg.F("send an operation of the gateway's asynchronous interface to %s", envelope.AsyncPath)}}
	}
	return m, nil
}

// verifyTransport checks the transport signature of an asynchronous request (R-56, R-58, R-59,
// Appendix 6): once the sender is known and authenticated, before the operation runs and so before
// acceptance. The signature must be the registered sender's and its certificate valid
// (R-58 2). The evidence goes to the journal's ACCEPTED entry, as on the synchronous channel, with a
// remark when messageDate is far from the gateway's clock (A1-T1 row 8).
func (a *Async) verifyTransport(ctx context.Context, x *exchange, sys System) *failure {
	if a.g.sig == nil {
		return nil
	}
	var date envelope.DateTime
	if d := envelope.ReadCredentials(x.body).MessageDate; d != "" {
		_ = date.UnmarshalText([]byte(d)) // the schema has checked it
	}
	evidence, f := a.g.judgeSigned(ctx, a.g.verifyOnce(x.parsed, x.senderID), x.senderID, sys.Identifier, msg.Text{},
		messageDateRemark(date.Time, time.Now(), "A1-T1 row 8")...)
	x.signature = evidence
	return f
}

// authenticate checks a sender's login and password (R-53(2)). The asynchronous tables make the
// password optional (A1-T1 row 12, O-11); the gateway still requires it, as R-53(2) authorises every
// subject by login and password. An unknown system and a wrong password get one answer
// (checkCredentials).
func (a *Async) authenticate(ctx context.Context, x *exchange, s *envelope.SenderInfo, where, table string) (System, *failure) {
	if s == nil {
		return System{}, &failure{code: envelope.SCE002, client: true, breach: &rule.Breach{
			Rule: "R-53", Field: msg.Raw(where), Expected: msg.F("the sender (senderId and password) to authenticate the request"),
			Observed: msg.F("no sender"), Note: msg.F("%s makes sender optional (O-12), but the gateway cannot authorise an anonymous request", table),
			Fix: msg.F("send sender with the senderId and password issued by the operator")}}
	}
	x.senderID = s.SenderID
	if s.Password == "" {
		return System{}, asyncNoPassword(where)
	}
	sys, f := a.g.checkCredentials(ctx, x, claim{s.SenderID, s.Password, where, clientAddress(ctx)})
	if f != nil {
		return sys, f
	}
	return sys, a.verifyTransport(ctx, x, sys)
}

// asyncNoPassword refuses a sender without a password: the answer depends on the request alone.
func asyncNoPassword(where string) *failure {
	return noPassword("R-53", where+"/password", msg.F("the password issued by the operator (optional in the tables, O-11, but required by R-53(2))"))
}

// sendMessage accepts a message into the channel (A1-T1) and answers with the gateway's identifiers
// (A1-T2): the message is in the durable store before the answer leaves.
func (a *Async) sendMessage(ctx context.Context, x *exchange, m *envelope.Message) ([]byte, *failure) {
	var req envelope.AsyncSendMessage
	if err := m.Decode(&req); err != nil {
		return nil, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{Rule: "A1-T1 row 1", Expected: envelope.AsyncSendMessageMsg.Desc, Observed: msg.Of(err)}}
	}
	info := &req.Request.MessageInfo
	x.serviceID = info.ServiceID
	sender, f := a.authenticate(ctx, x, &info.Sender, "request/messageInfo/sender", "A1-T1")
	if f != nil {
		return nil, f
	}
	// the replay key is taken from the message as sent, before the gateway fills in its ids.
	key := sendMessageKey(sender.ID, req.Request)
	recipient, chain, f := a.route(ctx, sender, info)
	if f != nil {
		return nil, f
	}

	received := time.Now()
	if a.delay > 0 {
		time.Sleep(a.delay)
	}
	// A1-T13 rows 3, 4 and 9: the gateway numbers the message and the chain and sets its session.
	notes := ""
	if info.MessageID != "" {
		notes = fmt.Sprintf("; the sender's messageId %q was replaced (A1-T13 row 3: it must be empty)", info.MessageID)
	}
	info.MessageID = envelope.NewGUID()
	if chain != nil {
		if info.CorrelationID != "" {
			notes += fmt.Sprintf("; the correlationId %q of a REQUEST was replaced (A1-T13 row 4)", info.CorrelationID)
		}
		info.CorrelationID = chain.CorrelationID
	}
	info.SessionID = x.sessionID
	info.Sender.Password = "" // the password authenticates the sender to the gateway only
	x.messageID = info.MessageID
	delivery, err := envelope.Marshal(req)
	if err != nil {
		return nil, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T13", Expected: msg.F("a message the gateway can deliver"), Observed: msg.Of(err)}}
	}
	message := store.Message{
		MessageID: info.MessageID, CorrelationID: info.CorrelationID, SessionID: x.sessionID,
		ServiceID: info.ServiceID, MessageType: info.MessageType, SenderID: sender.ID, RecipientID: recipient,
		Endpoint: a.pushEndpoint(recipient), Envelope: delivery,
		StatusCode: StatusAccepted, StatusMessage: "accepted, waiting for delivery to " + recipient,
		Received: received, Accepted: time.Now(),
	}
	// the message is stored under its replay key in one transaction: of copies sent at
	// once, or again after a lost answer, exactly one is stored and delivered.
	var replay *store.ReplayError
	if err := a.store.AcceptOnce(ctx, key, message, chain); errors.As(err, &replay) {
		x.messageID = replay.First
		return nil, replayFailure("request/messageInfo", sender.ID,
			msg.F("the same message (content %s) was accepted as messageId %s at %s", key.Digest, replay.First, astana(replay.At)),
			msg.F("nothing to resend: the message was accepted as messageId %s; a new message has a messageDate of its own", replay.First))
	} else if err != nil {
		return nil, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "R-47", Expected: msg.F("the message stored durably before it is accepted"),
			Observed: msg.Of(err), Fix: msg.F("retry later; the gateway accepts no message it cannot keep")}}
	}
	mode := "pull (GetMessages)"
	if message.Endpoint != "" {
		mode = "push to " + message.Endpoint
	}
	if err := x.record(ctx, journal.Accepted, "", "R-47", fmt.Sprintf("%s %s stored for %s by %s%s%s", info.MessageType, info.MessageID, recipient, mode, notes, x.signatureNote())); err != nil {
		return nil, ptr(journalFailure(err))
	}
	a.nudge()

	var answer envelope.AsyncSendMessageAnswer
	answer.Response = envelope.AsyncSendMessageResponse{MessageID: info.MessageID, CorrelationID: info.CorrelationID,
		ResponseDate: envelope.Now(), SessionID: x.sessionID}
	out, err := envelope.Marshal(answer)
	if err == nil {
		out, err = a.g.sign(out) // the gateway signs everything it sends
	}
	if err != nil {
		return nil, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T2", Expected: msg.F("an answer the gateway can send"), Observed: msg.Of(err)}}
	}
	// the asynchronous exchange is confirmed by the sender receiving the message's identifier.
	// Unrecorded, the answer is not sent: the sender's retry is then refused as a replay naming the
	// messageId the message was stored under.
	if err := x.record(ctx, journal.Answered, "", "R-22", "messageId "+info.MessageID+" and correlationId "+info.CorrelationID+" returned to the sender"); err != nil {
		f := journalFailure(err)
		return nil, &f
	}
	return out, nil
}

// route finds the recipient of a message. A REQUEST starts a chain and goes to the service's owner;
// a later message carries the chain's correlationId and goes to the other party of the chain.
func (a *Async) route(ctx context.Context, sender System, info *envelope.AsyncMessageInfo) (string, *store.Chain, *failure) {
	svc, published := a.g.registry.Service(info.ServiceID)
	if !published {
		return "", nil, &failure{code: envelope.SCE004, client: true, breach: &rule.Breach{
			Rule: "R-6", Field: msg.Raw("request/messageInfo/serviceId"), Expected: msg.F("a service in the service registry"),
			Observed: msg.F("serviceId %q is not in the registry", info.ServiceID),
			Fix:      msg.F("call a published service (publication follows clauses 10-31)")}}
	}
	if info.RouteID != "" {
		if _, ok := svc.Routes[info.RouteID]; !ok {
			return "", nil, &failure{code: envelope.SCE004, client: true, breach: &rule.Breach{
				Rule: "A1-T1 row 7", Field: msg.Raw("request/messageInfo/routeId"), Expected: msg.F("a route of the service in the registry"),
				Observed: msg.F("routeId %q is not a route of %s", info.RouteID, svc.ID), Fix: msg.F("omit routeId or use one from the registry")}}
		}
	}
	if info.MessageType == envelope.TypeRequest {
		// only systems granted the service may start an interaction with it.
		if !svc.Granted[sender.ID] {
			return "", nil, &failure{code: envelope.SCE003, client: true, breach: &rule.Breach{
				Rule: "R-61", Field: msg.Raw("request/messageInfo/serviceId"), Expected: msg.F("a sender granted access to %s", svc.ID),
				Observed: msg.F("%s has no access to %s", sender.ID, svc.ID), Fix: msg.F("apply for connection to the service (clauses 32-45)")}}
		}
		return svc.Owner, &store.Chain{CorrelationID: envelope.NewGUID(), ServiceID: svc.ID, InitiatorID: sender.ID, OwnerID: svc.Owner}, nil
	}
	// A1-T13 row 4: every message after the REQUEST carries the chain's correlationId.
	if info.CorrelationID == "" {
		return "", nil, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T13 row 4", Field: msg.Raw("request/messageInfo/correlationId"),
			Expected: msg.F("the correlationId the gateway returned for the chain's REQUEST"), Observed: msg.F("no correlationId in a %s", info.MessageType),
			Fix: msg.F("send the correlationId of the chain, or messageType REQUEST to start a new one")}}
	}
	chain, err := a.store.Chain(ctx, info.CorrelationID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil, &failure{code: envelope.SCE020, client: true, breach: &rule.Breach{
			Rule: "A1-T13 row 4", Field: msg.Raw("request/messageInfo/correlationId"), Expected: msg.F("the correlationId of a chain the gateway started"),
			Observed: msg.F("no chain %q", info.CorrelationID), Fix: msg.F("send the correlationId from the answer to the chain's REQUEST")}}
	case err != nil:
		return "", nil, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "R-47", Expected: msg.F("the message store readable"), Observed: msg.Of(err)}}
	case chain.ServiceID != info.ServiceID:
		return "", nil, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T1 row 5", Field: msg.Raw("request/messageInfo/serviceId"), Expected: msg.F("the service of the chain, %s", chain.ServiceID),
			Observed: msg.Raw(info.ServiceID), Fix: msg.F("send the chain's serviceId")}}
	case sender.ID == chain.OwnerID:
		return chain.InitiatorID, nil, nil
	case sender.ID == chain.InitiatorID:
		return chain.OwnerID, nil, nil
	}
	return "", nil, &failure{code: envelope.SCE021, client: true, breach: &rule.Breach{
		Rule: "R-61", Field: msg.Raw("request/messageInfo/sender/senderId"), Expected: msg.F("%s or %s, the parties of chain %s", chain.InitiatorID, chain.OwnerID, chain.CorrelationID),
		Observed: msg.Raw(sender.ID), Fix: msg.F("only the initiator and the owner of a chain send messages in it")}}
}

// getMessageStatus answers the state of a message and its last status (A1-T7, A1-T8). The Rules do
// not say who may ask (O-22): the gateway answers the message's sender and recipient only.
func (a *Async) getMessageStatus(ctx context.Context, x *exchange, m *envelope.Message) ([]byte, *failure) {
	var req envelope.AsyncGetMessageStatus
	if err := m.Decode(&req); err != nil {
		return nil, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{Rule: "A1-T7 row 1", Expected: envelope.AsyncGetStatusMsg.Desc, Observed: msg.Of(err)}}
	}
	x.messageID = req.Request.MessageID
	sys, f := a.authenticate(ctx, x, &req.Request.Sender, "request/sender", "A1-T7")
	if f != nil {
		return nil, f
	}
	message, f := a.messageOf(ctx, req.Request.MessageID, "request/messageId", "A1-T7 row 2")
	if f != nil {
		return nil, f
	}
	x.serviceID = message.ServiceID
	if sys.ID != message.SenderID && sys.ID != message.RecipientID {
		return nil, &failure{code: envelope.SCE021, client: true, breach: &rule.Breach{
			Rule: "A1-T7 row 2", Field: msg.Raw("request/messageId"), Expected: msg.F("a message the requester sent or receives"),
			Observed: msg.F("%s is neither the sender nor the recipient of %s", sys.ID, message.MessageID),
			Note:     msg.F("The Rules do not say who may ask (O-22); the gateway tells only the parties of the message")}}
	}
	var answer envelope.AsyncGetMessageStatusAnswer
	answer.Response.MessageState = message.State
	answer.Response.Status = envelope.MessageStatusInfo{StatusCode: message.StatusCode, StatusMessage: message.StatusMessage,
		StatusDate: envelope.DateTime{Time: message.StatusDate}}
	answer.Response.ResponseDate = envelope.Now()
	answer.Response.SessionID = x.sessionID
	return a.answer(ctx, x, answer, "state "+message.State+" of "+message.MessageID)
}

// messageOf reads a message the request names.
func (a *Async) messageOf(ctx context.Context, id, field, ruleID string) (store.Message, *failure) {
	message, err := a.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return message, &failure{code: envelope.SCE020, client: true, breach: &rule.Breach{
			Rule: ruleID, Field: msg.Raw(field), Expected: msg.F("the messageId the gateway gave the message"), Observed: msg.F("no message %q", id),
			Fix: msg.F("send the messageId from the gateway's answer to sendMessage")}}
	}
	if err != nil {
		return message, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: ruleID, Expected: msg.F("the message store readable"), Observed: msg.Of(err)}}
	}
	return message, nil
}

// answer marshals an answer, signs it and journals that it was sent.
func (a *Async) answer(ctx context.Context, x *exchange, p envelope.Payload, detail string) ([]byte, *failure) {
	out, err := envelope.Marshal(p)
	if err == nil {
		out, err = a.g.sign(out)
	}
	if err != nil {
		return nil, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T1", Expected: msg.F("an answer the gateway can send"), Observed: msg.Of(err)}}
	}
	if err := x.record(ctx, journal.Answered, "", "", detail); err != nil {
		f := journalFailure(err)
		return nil, &f
	}
	return out, nil
}

// getMessages hands a pulling recipient its messages (A1-T10, A1-T11) by one of the three selections
// of the Rules: one message, one chain, or all of a service, always the requester's own. A message
// stays ON_DELIVERY, and is offered again, until its recipient confirms it with
// sendDeliveryNotification (O-23).
func (a *Async) getMessages(ctx context.Context, x *exchange, m *envelope.Message) ([]byte, *failure) {
	var req envelope.AsyncGetMessages
	if err := m.Decode(&req); err != nil {
		return nil, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{Rule: "A1-T10 row 1", Expected: envelope.AsyncGetMessagesMsg.Desc, Observed: msg.Of(err)}}
	}
	r := req.Request
	x.serviceID = r.ServiceID
	sys, f := a.authenticate(ctx, x, r.Sender, "request/sender", "A1-T10")
	if f != nil {
		return nil, f
	}
	if _, ok := a.g.registry.Service(r.ServiceID); !ok {
		return nil, &failure{code: envelope.SCE004, client: true, breach: &rule.Breach{
			Rule: "R-6", Field: msg.Raw("request/serviceId"), Expected: msg.F("a service in the service registry"),
			Observed: msg.F("serviceId %q is not in the registry", r.ServiceID), Fix: msg.F("ask for the messages of a published service")}}
	}
	amount := a.amount
	if r.Amount != nil && *r.Amount < 0 {
		return nil, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T10 row 9", Field: msg.Raw("request/amount"), Expected: msg.F("the largest number of messages wanted, or 0 for the gateway's default"),
			Observed: msg.Raw(fmt.Sprint(*r.Amount)), Fix: msg.F("send a positive amount, 0, or none")}}
	}
	if r.Amount != nil && *r.Amount > 0 { // L-11: absent or 0 takes the gateway's value
		amount = *r.Amount
	}
	msgs, err := a.store.Pending(ctx, store.Selection{RecipientID: sys.ID, ServiceID: r.ServiceID,
		MessageID: r.MessageID, CorrelationID: r.CorrelationID, Limit: amount})
	if err != nil {
		return nil, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T10", Expected: msg.F("the message store readable"), Observed: msg.Of(err)}}
	}
	var answer envelope.AsyncGetMessagesAnswer
	answer.Response.ResponseDate = envelope.Now()
	answer.Response.SessionID = x.sessionID
	for _, message := range msgs {
		var stored envelope.AsyncSendMessage
		if err := decodeStored(message.Envelope, &stored); err != nil {
			return nil, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T11", Expected: msg.F("stored messages readable"), Observed: msg.Of(err)}}
		}
		answer.Response.Messages = append(answer.Response.Messages, stored.Request)
		c := store.Change{At: time.Now(), State: message.State, StatusCode: message.StatusCode, StatusMessage: message.StatusMessage,
			Detail: said(msg.F("handed to %s by getMessages (session %s)", sys.ID, x.sessionID))}
		if err := a.store.Update(ctx, message.MessageID, c, message.Attempts+1, message.NextAttempt, nil); err != nil {
			return nil, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T11", Expected: msg.F("the hand-out recorded"), Observed: msg.Of(err)}}
		}
		a.recordFor(ctx, message, journal.Pulled, "", "", c.Detail)
	}
	return a.answer(ctx, x, answer, fmt.Sprintf("%d message(s) of %s handed to %s (amount %d)", len(msgs), r.ServiceID, sys.ID, amount))
}

// sendDeliveryNotification takes a recipient's word on a message (A1-T4, A1-T5): MESSAGE_ACCEPTED
// delivers it; MESSAGE_NOT_ACCTEPTED with RESEND puts it back on delivery; without RESEND it is not
// delivered.
func (a *Async) sendDeliveryNotification(ctx context.Context, x *exchange, m *envelope.Message) ([]byte, *failure) {
	var req envelope.AsyncSendDeliveryNotification
	if err := m.Decode(&req); err != nil {
		return nil, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{Rule: "A1-T4 row 1", Expected: envelope.AsyncDeliveryNotifMsg.Desc, Observed: msg.Of(err)}}
	}
	n := req.Request.Notification
	x.messageID, x.serviceID = n.MessageID, n.ServiceID
	sys, f := a.authenticate(ctx, x, req.Request.Sender, "request/sender", "A1-T4")
	if f != nil {
		return nil, f
	}
	message, f := a.messageOf(ctx, n.MessageID, "request/notification/messageId", "A1-T4 row 3")
	if f != nil {
		return nil, f
	}
	switch {
	case message.RecipientID != sys.ID:
		return nil, &failure{code: envelope.SCE021, client: true, breach: &rule.Breach{
			Rule: "A1-T4 row 3", Field: msg.Raw("request/notification/messageId"), Expected: msg.F("a message addressed to the notifier"),
			Observed: msg.F("%s is addressed to %s, not to %s", message.MessageID, message.RecipientID, sys.ID),
			Fix:      msg.F("only the recipient of a message reports its delivery")}}
	case message.ServiceID != n.ServiceID:
		return nil, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T4 row 4", Field: msg.Raw("request/notification/serviceId"), Expected: msg.F("the service of the message, %s", message.ServiceID),
			Observed: msg.Raw(n.ServiceID), Fix: msg.F("send the message's serviceId")}}
	}
	st := n.DeliveryStatus
	c := store.Change{At: time.Now()}
	next := message.NextAttempt
	switch {
	case st.ReceiveStatus == envelope.MessageAccepted:
		c.State, c.StatusCode, c.StatusMessage = store.Delivered, StatusConfirmed, sys.ID+" confirmed MESSAGE_ACCEPTED"
	case st.ResendMessage == envelope.Resend:
		c.State, c.StatusCode, c.StatusMessage = store.OnDelivery, StatusResend, sys.ID+" answered MESSAGE_NOT_ACCTEPTED and asked to RESEND"
		next = c.At
	default:
		c.State, c.StatusCode, c.StatusMessage = store.NotDelivered, StatusRefused, sys.ID+" answered MESSAGE_NOT_ACCTEPTED, NOT_RESEND"
	}
	if st.Error != nil {
		c.StatusMessage += fmt.Sprintf(" (%s: %s)", st.Error.ErrorCode, st.Error.ErrorMessage)
	}
	c.Detail = "sendDeliveryNotification, session " + x.sessionID
	// a notification is taken once; a replayed one (a captured RESEND, say) changes nothing.
	notificationID := envelope.NewGUID()
	var replay *store.ReplayError
	if err := a.changeStateOnce(ctx, notificationKey(sys.ID, n), notificationID, message, c, message.Attempts, next); errors.As(err, &replay) {
		return nil, replayFailure("request/notification", sys.ID,
			msg.F("the same notification (%s/%s of %s, content %s) was taken as notificationId %s at %s",
				st.ReceiveStatus, st.ResendMessage, message.MessageID, replay.Key.Digest, replay.First, astana(replay.At)),
			msg.F("send a new notification, with its own notificationDate and statusDate, to report a new delivery status"))
	} else if err != nil {
		return nil, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T4", Expected: msg.F("the notification recorded"), Observed: msg.Of(err)}}
	}
	a.recordFor(ctx, message, journal.Notified, "", "A1-T4", fmt.Sprintf("%s/%s from %s: %s -> %s", st.ReceiveStatus, st.ResendMessage, sys.ID, message.State, c.State))
	a.nudge()
	var answer envelope.AsyncSendDeliveryNotificationAnswer
	answer.Response.NotificationID = notificationID
	answer.Response.ResponseDate = envelope.Now()
	answer.Response.SessionID = x.sessionID
	return a.answer(ctx, x, answer, "notification "+answer.Response.NotificationID+" on "+message.MessageID)
}

// changeState records a message's new state and, when the state changes and the sender takes
// notifications by push, queues changeMassageStatusNotification in the same transaction (A1-T16).
func (a *Async) changeState(ctx context.Context, message store.Message, c store.Change, attempts int, next time.Time) error {
	var n *store.Notification
	if c.State != message.State {
		if ep := a.pushEndpoint(message.SenderID); ep != "" {
			n = &store.Notification{ID: envelope.NewGUID(), MessageID: message.MessageID, SystemID: message.SenderID, Endpoint: ep,
				State: c.State, StatusCode: c.StatusCode, StatusMsg: c.StatusMessage, StatusDate: c.At}
		}
	}
	if err := a.store.Update(ctx, message.MessageID, c, attempts, next, n); err != nil {
		return err
	}
	if c.State != message.State {
		a.recordFor(ctx, message, journal.StateChanged, "", "", fmt.Sprintf("%s -> %s: %s %s", message.State, c.State, c.StatusCode, c.StatusMessage))
	}
	return nil
}

// recordFor journals an event of a message's life in the session that brought the message.
func (a *Async) recordFor(ctx context.Context, message store.Message, kind journal.Kind, code, ruleID, detail string) {
	x := &exchange{g: a.g, channel: "async", sessionID: message.SessionID, messageID: message.MessageID,
		senderID: message.SenderID, serviceID: message.ServiceID}
	_ = x.record(ctx, kind, code, ruleID, detail)
}

// nudge wakes the delivery loop.
func (a *Async) nudge() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func requestKind(tag string) envelope.MessageKind {
	switch tag {
	case "sendMessage":
		return envelope.AsyncSendMessageMsg
	case "sendDeliveryNotification":
		return envelope.AsyncDeliveryNotifMsg
	case "getMessageStatus":
		return envelope.AsyncGetStatusMsg
	case "getMessages":
		return envelope.AsyncGetMessagesMsg
	}
	return envelope.AsyncGatewayMsg
}

func faultElementOf(tag string) xml.Name {
	switch tag {
	case "sendDeliveryNotification":
		return envelope.AsyncDeliveryNotifyFault
	case "getMessageStatus":
		return envelope.AsyncGetMessageStatusFault
	case "getMessages":
		return envelope.AsyncGetMessagesFault
	}
	return envelope.AsyncSendMessageFault
}

// asyncFault renders a failure as the asynchronous channel's fault (A1-T3, T6, T9, T12): errorCode,
// errorMessage, errorData (the breach, citing the rule), errorDate, sessionId. The gateway signs it
// like every message it sends.
func asyncFault(x *exchange, f failure, element xml.Name) []byte {
	soapCode := "Server"
	if f.client {
		soapCode = "Client"
	}
	out, err := envelope.Marshal(envelope.Fault{
		Code:   soapCode,
		String: fmt.Sprintf("%s %s (%s)", f.code.ID, f.code.Message, f.breach.Rule),
		Detail: envelope.ErrorInfo{ErrorCode: f.code.ID, ErrorMessage: f.code.Message, ErrorData: f.breach.Error(),
			ErrorDate: envelope.Now(), SessionID: x.sessionID},
		DetailElement: element,
	})
	if err != nil { // only a bug in the envelope types can get here
		panic(err)
	}
	if signed, err := x.g.sign(out); err == nil {
		out = signed
	}
	return out
}

func decodeStored(b []byte, v any) error {
	m, err := envelope.Parse(b)
	if err != nil {
		return err
	}
	return m.Decode(v)
}

func ptr[T any](v T) *T { return &v }
