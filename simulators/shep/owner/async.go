package owner

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
)

// AsyncBehaviour is how a participant answers the gateway's pushes (Appendix 1 section 1.2). The zero
// value takes every message at once.
type AsyncBehaviour struct {
	Latency time.Duration       // real time to wait before answering a push
	Down    bool                // answer every push with HTTP 503, as a participant that is down
	Fault   *envelope.ErrorInfo // refuse every push with this fault (A1-T15)
	// Reply, when set, makes the participant answer every REQUEST it takes with a RESPONSE in the same
	// chain carrying this business data, sent through the gateway (the owner's side of a chain).
	Reply string
	// Refuse makes a pulling participant answer MESSAGE_NOT_ACCTEPTED; Resend adds RESEND to it.
	Refuse, Resend bool
}

// AsyncReceived is one message as the participant took it, by push or by GetMessages.
type AsyncReceived struct {
	At       time.Time
	By       string // "push" or "pull"
	Message  envelope.AsyncSendMessageRequest
	Answered bool   // the participant took it (answered the push, or will confirm MESSAGE_ACCEPTED)
	Repeat   bool   // the participant had taken this messageId before
	Body     []byte // the envelope as pushed; nil for a pulled message
	// Signature is the participant's check of the gateway's transport signature on a push, when it
	// checks (Checker set); SignatureErr is why the check failed, and the push was refused.
	Signature    xsig.Report
	SignatureErr error
}

// Participant is a reference system on the asynchronous channel: as owner it serves a service, as
// initiator it calls one. It sends through the gateway's IAsyncChannel and, when registered for push,
// serves IAsyncChannelClient itself.
type Participant struct {
	SystemID string
	Password string
	Gateway  string // the gateway's base URL; requests go to Gateway + envelope.AsyncPath
	HTTP     *http.Client
	// Identity signs every request the participant sends and every answer it gives; nil
	// sends everything unsigned.
	Identity *pki.Identity
	// Checker, when set, verifies the gateway's transport signature on every push and status
	// notification and refuses one that fails with a fault; GatewayID is the BIN the gateway's
	// certificate must carry (A6-S1).
	Checker   *xsig.Checker
	GatewayID string

	mu        sync.Mutex
	behaviour AsyncBehaviour
	received  []AsyncReceived
	taken     map[string]bool
	statuses  []envelope.ChangeStatusNotification
	replies   []AsyncExchange
}

// NewParticipant returns a participant that takes every message until told otherwise.
func NewParticipant(systemID, password, gatewayURL string) *Participant {
	return &Participant{SystemID: systemID, Password: password, Gateway: gatewayURL, taken: map[string]bool{}}
}

// Sign puts the participant's transport signature on an envelope; without an Identity it returns
// the envelope unchanged.
func (p *Participant) Sign(envelopeBytes []byte) ([]byte, error) {
	if p.Identity == nil {
		return envelopeBytes, nil
	}
	return xsig.Sign(envelopeBytes, p.Identity)
}

// Behave sets how the participant answers from now on.
func (p *Participant) Behave(b AsyncBehaviour) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.behaviour = b
}

func (p *Participant) current() AsyncBehaviour {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.behaviour
}

// Received returns every message delivered so far, repeats included.
func (p *Participant) Received() []AsyncReceived {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]AsyncReceived(nil), p.received...)
}

// Statuses returns the status notifications received so far (A1-T16).
func (p *Participant) Statuses() []envelope.ChangeStatusNotification {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]envelope.ChangeStatusNotification(nil), p.statuses...)
}

// Replies returns the answers the participant sent back by itself (Behaviour.Reply).
func (p *Participant) Replies() []AsyncExchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]AsyncExchange(nil), p.replies...)
}

// take records a delivered message and says whether it was taken before.
func (p *Participant) take(by string, m envelope.AsyncSendMessageRequest, answered bool, body []byte) AsyncReceived {
	return p.takeChecked(by, m, answered, body, xsig.Report{}, nil)
}

// takeChecked is take with the participant's check of the gateway's signature.
func (p *Participant) takeChecked(by string, m envelope.AsyncSendMessageRequest, answered bool, body []byte, sig xsig.Report, sigErr error) AsyncReceived {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := m.MessageInfo.MessageID
	r := AsyncReceived{At: time.Now(), By: by, Message: m, Answered: answered, Repeat: p.taken[id], Body: body,
		Signature: sig, SignatureErr: sigErr}
	if answered {
		p.taken[id] = true
	}
	p.received = append(p.received, r)
	return r
}

// ServeHTTP serves IAsyncChannelClient: the gateway's pushes (sendMessage, A1-T13) and status
// notifications (changeMassageStatusNotification, A1-T16).
func (p *Participant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	m, err := envelope.Parse(body)
	if err != nil {
		p.fault(w, envelope.AsyncClientSendMessageFault, "PARTICIPANT-BAD-REQUEST", err.Error())
		return
	}
	// A6-S1, R-58: what the gateway hands on carries the gateway's signature; a participant that
	// checks refuses anything else before it reads the message.
	var report xsig.Report
	var sigErr error
	if p.Checker != nil {
		report, sigErr = p.Checker.CheckMessage(r.Context(), body, "the gateway", p.GatewayID)
	}
	switch m.Payload.Tag {
	case "changeMassageStatusNotification":
		if sigErr != nil {
			p.fault(w, envelope.AsyncStatusNotifyFault, "PARTICIPANT-BAD-SIGNATURE", sigErr.Error())
			return
		}
		var n envelope.ChangeMassageStatusNotification
		if err := m.Decode(&n); err != nil {
			p.fault(w, envelope.AsyncStatusNotifyFault, "PARTICIPANT-BAD-REQUEST", err.Error())
			return
		}
		p.mu.Lock()
		p.statuses = append(p.statuses, n.Request.Notification)
		p.mu.Unlock()
		var answer envelope.ChangeMassageStatusNotificationAnswer
		answer.Response.ResponseDate = envelope.Now()
		answer.Response.SessionID = n.Request.SessionID // A1-T17 row 3: the request's session
		if answer.Response.SessionID == "" {
			answer.Response.SessionID = envelope.NewGUID()
		}
		p.write(w, http.StatusOK, answer)
	case "sendMessage":
		b := p.current()
		if b.Latency > 0 {
			select {
			case <-time.After(b.Latency):
			case <-r.Context().Done():
				return
			}
		}
		var req envelope.AsyncSendMessage
		if err := m.Decode(&req); err != nil {
			p.fault(w, envelope.AsyncClientSendMessageFault, "PARTICIPANT-BAD-REQUEST", err.Error())
			return
		}
		switch {
		case sigErr != nil:
			p.takeChecked("push", req.Request, false, body, report, sigErr)
			p.fault(w, envelope.AsyncClientSendMessageFault, "PARTICIPANT-BAD-SIGNATURE", sigErr.Error())
			return
		case b.Down:
			p.take("push", req.Request, false, body)
			http.Error(w, "reference participant: programmed to be down", http.StatusServiceUnavailable)
			return
		case b.Fault != nil:
			p.take("push", req.Request, false, body)
			p.fault(w, envelope.AsyncClientSendMessageFault, b.Fault.ErrorCode, b.Fault.ErrorMessage)
			return
		}
		got := p.takeChecked("push", req.Request, true, body, report, nil)
		info := req.Request.MessageInfo
		var answer envelope.AsyncSendMessageAnswer
		answer.Response = envelope.AsyncSendMessageResponse{MessageID: info.MessageID, CorrelationID: info.CorrelationID,
			ResponseDate: envelope.Now(), SessionID: info.SessionID}
		p.write(w, http.StatusOK, answer)
		if b.Reply != "" && info.MessageType == envelope.TypeRequest && !got.Repeat {
			go p.reply(info, b.Reply)
		}
	default:
		p.fault(w, envelope.AsyncClientSendMessageFault, "PARTICIPANT-BAD-REQUEST", "not an operation of IAsyncChannelClient: "+m.Payload.Tag)
	}
}

// reply answers a REQUEST with a RESPONSE in its chain, through the gateway.
func (p *Participant) reply(req envelope.AsyncMessageInfo, data string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	x := p.Send(ctx, p.Message(req.ServiceID, envelope.TypeResponse, req.CorrelationID, envelope.StringData(data)))
	p.mu.Lock()
	p.replies = append(p.replies, x)
	p.mu.Unlock()
}

// write marshals an answer, signs it with the participant's certificate and sends it.
func (p *Participant) write(w http.ResponseWriter, status int, v envelope.Payload) {
	out, err := envelope.Marshal(v)
	if err == nil {
		out, err = p.Sign(out)
	}
	if err != nil {
		http.Error(w, "reference participant: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeXML(w, status, out)
}

func (p *Participant) fault(w http.ResponseWriter, element xml.Name, code, message string) {
	out, err := envelope.Marshal(envelope.Fault{Code: "Server", String: message, DetailElement: element,
		Detail: envelope.ErrorInfo{ErrorCode: code, ErrorMessage: message, ErrorData: "reference participant " + p.SystemID, ErrorDate: envelope.Now()}})
	if err == nil {
		out, err = p.Sign(out)
	}
	if err != nil {
		http.Error(w, "reference participant: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeXML(w, http.StatusInternalServerError, out)
}

// ---- the participant as a client of the gateway's IAsyncChannel ----

// Message builds a sendMessage for serviceID (A1-T1): a REQUEST starts a chain and carries no
// correlationId; a later message carries the chain's.
func (p *Participant) Message(serviceID, messageType, correlationID string, data envelope.Data) envelope.AsyncSendMessage {
	var m envelope.AsyncSendMessage
	m.Request.MessageInfo = envelope.AsyncMessageInfo{
		CorrelationID: correlationID, ServiceID: serviceID, MessageType: messageType, MessageDate: envelope.Now(),
		Sender: envelope.SenderInfo{SenderID: p.SystemID, Password: p.Password},
	}
	m.Request.MessageData = data
	return m
}

// AsyncExchange is one request to the gateway's asynchronous channel and what came back.
type AsyncExchange struct {
	Request  []byte
	Response []byte
	Status   int
	Elapsed  time.Duration
	Err      error // transport failure: no HTTP answer at all
	Message  *envelope.Message
	Fault    *envelope.Fault
}

// Post sends an envelope to the gateway's asynchronous endpoint as it is, signed or not, and reads
// the answer. The operations below (Send, Status, Get, Notify) sign what they send.
func (p *Participant) Post(ctx context.Context, body []byte) AsyncExchange {
	x := AsyncExchange{Request: body}
	x.Response, x.Status, x.Elapsed, x.Err = postSOAP(ctx, p.HTTP, strings.TrimSuffix(p.Gateway, "/")+envelope.AsyncPath, body)
	if x.Err != nil {
		return x
	}
	if x.Message, x.Err = envelope.Parse(x.Response); x.Err != nil {
		x.Err = msg.Errorf("gateway answer (HTTP %d): %w", x.Status, x.Err)
		return x
	}
	if x.Message.IsFault() {
		f, err := x.Message.Fault()
		x.Fault, x.Err = &f, err
	}
	return x
}

// Decode reads the answer into v; it fails on a fault or a transport error.
func (x AsyncExchange) Decode(v any) error {
	switch {
	case x.Err != nil:
		return x.Err
	case x.Fault != nil:
		return msg.Errorf("the gateway answered the fault %s: %s (%s)", x.Fault.Detail.ErrorCode, x.Fault.Detail.ErrorMessage, x.Fault.Detail.ErrorData)
	}
	return x.Message.Decode(v)
}

func (p *Participant) call(ctx context.Context, v envelope.Payload) AsyncExchange {
	body, err := envelope.Marshal(v)
	if err == nil {
		body, err = p.Sign(body) // every message is signed by its sender
	}
	if err != nil {
		return AsyncExchange{Err: err}
	}
	return p.Post(ctx, body)
}

// Send sends a message into the channel (sendMessage, A1-T1).
func (p *Participant) Send(ctx context.Context, m envelope.AsyncSendMessage) AsyncExchange {
	return p.call(ctx, m)
}

// Status asks the gateway for a message's state (getMessageStatus, A1-T7).
func (p *Participant) Status(ctx context.Context, messageID string) AsyncExchange {
	var req envelope.AsyncGetMessageStatus
	req.Request.MessageID = messageID
	req.Request.RequestDate = envelope.Now()
	req.Request.Sender = envelope.SenderInfo{SenderID: p.SystemID, Password: p.Password}
	return p.call(ctx, req)
}

// Selection builds a getMessages request for the participant's own messages of a service (A1-T10);
// amount nil leaves the number to the gateway.
func (p *Participant) Selection(serviceID, messageID, correlationID string, amount *int) envelope.AsyncGetMessages {
	var req envelope.AsyncGetMessages
	now := envelope.Now()
	req.Request = envelope.AsyncGetMessagesRequest{MessageID: messageID, CorrelationID: correlationID, RequestDate: &now,
		ServiceID: serviceID, Sender: &envelope.SenderInfo{SenderID: p.SystemID, Password: p.Password}, Amount: amount}
	return req
}

// Get selects messages from the gateway (getMessages, A1-T10, A1-T11).
func (p *Participant) Get(ctx context.Context, req envelope.AsyncGetMessages) ([]envelope.AsyncSendMessageRequest, AsyncExchange) {
	x := p.call(ctx, req)
	var answer envelope.AsyncGetMessagesAnswer
	if err := x.Decode(&answer); err != nil {
		if x.Err == nil && x.Fault == nil {
			x.Err = err
		}
		return nil, x
	}
	return answer.Response.Messages, x
}

// Notify tells the gateway whether the participant took a message (sendDeliveryNotification, A1-T4).
func (p *Participant) Notify(ctx context.Context, messageID, serviceID, receiveStatus, resend string) AsyncExchange {
	var req envelope.AsyncSendDeliveryNotification
	req.Request.Notification = envelope.DeliveryNotification{MessageID: messageID, ServiceID: serviceID, NotificationDate: envelope.Now(),
		DeliveryStatus: envelope.DeliveryStatusInfo{ReceiveStatus: receiveStatus, StatusDate: envelope.Now(), ResendMessage: resend}}
	req.Request.RequestDate = envelope.Now()
	req.Request.Sender = &envelope.SenderInfo{SenderID: p.SystemID, Password: p.Password}
	return p.call(ctx, req)
}

// Poll is one round of a pulling participant: it takes its waiting messages of a service, confirms
// each (MESSAGE_ACCEPTED, or MESSAGE_NOT_ACCTEPTED when programmed to refuse) and answers a REQUEST
// when programmed to. It returns the messages taken.
func (p *Participant) Poll(ctx context.Context, serviceID string) ([]envelope.AsyncSendMessageRequest, error) {
	msgs, x := p.Get(ctx, p.Selection(serviceID, "", "", nil))
	if x.Err != nil || x.Fault != nil {
		return nil, x.Decode(nil)
	}
	b := p.current()
	for _, m := range msgs {
		info := m.MessageInfo
		status, resend := envelope.MessageAccepted, envelope.NotResend
		if b.Refuse {
			status = envelope.MessageNotAccepted
			if b.Resend {
				resend = envelope.Resend
			}
		}
		got := p.take("pull", m, !b.Refuse, nil)
		if err := p.Notify(ctx, info.MessageID, info.ServiceID, status, resend).Decode(&envelope.AsyncSendDeliveryNotificationAnswer{}); err != nil {
			return msgs, err
		}
		if !b.Refuse && b.Reply != "" && info.MessageType == envelope.TypeRequest && !got.Repeat {
			p.reply(info, b.Reply)
		}
	}
	return msgs, nil
}
