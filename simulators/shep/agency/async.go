package agency

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// The asynchronous roles (Appendix 1 section 1): the sender, which sends sendMessage and follows
// its delivery; the receiver by pull, which takes its messages with getMessages and acknowledges
// them; and the receiver by push, which serves the participant's side of the channel at AsyncPath.
// The protocol is the reference participant's (owner.Participant); this file only decides what the
// system does with what the gateway gives it.

// followLimit bounds how long a sender follows a delivery before it reports that no final state came.
const followLimit = 30 * time.Second

// followPoll is how often a sender asks getMessageStatus while it follows a delivery.
const followPoll = 50 * time.Millisecond

// participantKey is where the participant serving AsyncPath is kept in System.state.
const participantKey = "async-participant"

func init() {
	addRole("async-sender", map[string]string{
		"unsigned-async-message": "it sends sendMessage without its transport signature (R-59)",
		"no-status-follow":       "it reports a delivery state without asking the gateway with getMessageStatus (A1-T7)",
	}, setupAsyncSender)
	addRole("async-receiver-pull", map[string]string{
		"no-acknowledgement":         "it takes its messages with getMessages and never sends sendDeliveryNotification (A1-T4)",
		"accept-unverified-messages": "it accepts the messages of a getMessages answer whose gateway signature fails (A6-S1)",
	}, setupAsyncReceiverPull)
	addRole("async-receiver-push", map[string]string{
		"accept-unsigned-push":  "it takes a pushed sendMessage that the gateway did not sign (A6-S1)",
		"unsigned-async-answer": "it answers pushes and status notifications without its transport signature (R-59)",
	}, setupAsyncReceiverPush)
}

// setupAsyncReceiverPush serves IAsyncChannelClient at AsyncPath: the gateway's pushes (A1-T13)
// and its status notifications (A1-T16), each checked for the gateway's signature first (A6-S1)
// and answered signed with the system's own certificate. The sender follows its deliveries
// through the same participant.
func setupAsyncReceiverPush(s *System) error {
	p := owner.NewParticipant(s.cfg.SystemID, s.cfg.Password, "")
	if !s.Defect("unsigned-async-answer") {
		p.Identity = s.cfg.Identity
	}
	if !s.Defect("accept-unsigned-push") {
		p.Checker, p.GatewayID = s.cfg.Checker, s.cfg.GatewayBIN
	}
	s.state.Store(participantKey, p)
	s.mux.Handle(AsyncPath, p)
	return nil
}

func setupAsyncSender(s *System) error {
	s.on(trigger.Async, trigger.Send, s.sendAsync)
	return nil
}

func setupAsyncReceiverPull(s *System) error {
	s.on(trigger.Async, trigger.Receive, s.receiveAsync)
	return nil
}

// served is the participant at AsyncPath, which holds the status notifications pushed to the system.
func (s *System) served() *owner.Participant {
	p, _ := s.state.Load(participantKey)
	participant, _ := p.(*owner.Participant)
	return participant
}

// asyncClient calls the gateway at base as the system: its senderId and password (R-53(2)) and
// its transport signature on every request.
func (s *System) asyncClient(base string) *owner.Participant {
	p := owner.NewParticipant(s.cfg.SystemID, s.cfg.Password, base)
	p.Identity, p.HTTP = s.cfg.Identity, s.cfg.HTTP
	return p
}

// gatewayAnswer turns an exchange with the gateway into the error a system reports: transport
// failure, a fault, or an answer without the gateway's valid transport signature (A6-S1), which
// the system does not believe.
func (s *System) gatewayAnswer(ctx context.Context, x owner.AsyncExchange, v any) (trigger.Result, bool) {
	switch {
	case x.Err != nil:
		return trigger.Result{Outcome: trigger.Failed, Error: x.Err.Error()}, false
	case x.Fault != nil:
		d := x.Fault.Detail
		return trigger.Result{Outcome: trigger.Fault, Code: d.ErrorCode, Error: d.ErrorMessage + ": " + d.ErrorData}, false
	}
	if _, err := s.cfg.Checker.CheckMessage(ctx, x.Response, "the gateway", s.cfg.GatewayBIN); err != nil {
		return trigger.Result{Outcome: trigger.Refused, Error: "the gateway's answer: " + err.Error()}, false
	}
	if err := x.Decode(v); err != nil {
		return trigger.Result{Outcome: trigger.Refused, Error: "the gateway's answer: " + err.Error()}, false
	}
	return trigger.Result{}, true
}

// sendAsync sends one message (A1-T1) and, when asked, follows its delivery to a final state.
func (s *System) sendAsync(ctx context.Context, r trigger.Request) trigger.Result {
	p := s.asyncClient(r.Gateway)
	if s.Defect("unsigned-async-message") {
		p.Identity = nil
	}
	kind := r.MessageType
	if kind == "" {
		kind = envelope.TypeRequest
	}
	var answer envelope.AsyncSendMessageAnswer
	res, ok := s.gatewayAnswer(ctx, p.Send(ctx, p.Message(r.ServiceID, kind, r.CorrelationID, envelope.StringData(r.Data))), &answer)
	if !ok {
		return res
	}
	// the gateway's messageId confirms the message was accepted.
	res = trigger.Result{Outcome: trigger.Accepted, MessageID: answer.Response.MessageID, CorrelationID: answer.Response.CorrelationID}
	ctx, cancel := context.WithTimeout(ctx, followLimit)
	defer cancel()
	var err error
	switch r.Follow {
	case trigger.FollowStatus:
		if s.Defect("no-status-follow") {
			res.State = envelope.Delivered // a guess, never asked for
			return res
		}
		res.State, err = s.followByStatus(ctx, p, res.MessageID)
	case trigger.FollowNotification:
		res.State, err = s.followByNotification(ctx, res.MessageID)
	}
	if err != nil {
		res.Error = err.Error()
	}
	return res
}

// final says whether a message's state ends its delivery (A1-T8 row 2).
func final(state string) bool {
	return slices.Contains([]string{envelope.Delivered, envelope.NotDelivered, envelope.DeliveryStopped}, state)
}

// followByStatus asks getMessageStatus (A1-T7) until the state is final.
func (s *System) followByStatus(ctx context.Context, p *owner.Participant, messageID string) (string, error) {
	last := ""
	for {
		var answer envelope.AsyncGetMessageStatusAnswer
		res, ok := s.gatewayAnswer(ctx, p.Status(ctx, messageID), &answer)
		if !ok {
			return last, fmt.Errorf("getMessageStatus: %s %s", res.Outcome, res.Error)
		}
		if last = answer.Response.MessageState; final(last) {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("no final state within %s: %w", followLimit, ctx.Err())
		case <-time.After(followPoll):
		}
	}
}

// followByNotification waits for the changeMassageStatusNotification (A1-T16) that the gateway
// pushes to AsyncPath with a final state of the message.
func (s *System) followByNotification(ctx context.Context, messageID string) (string, error) {
	p := s.served()
	if p == nil {
		return "", errors.New("no participant serves " + AsyncPath)
	}
	for {
		for _, n := range p.Statuses() {
			if n.MessageID == messageID && final(n.MessageState) {
				return n.MessageState, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no changeMassageStatusNotification with a final state within %s: %w", followLimit, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// receiveAsync takes the system's waiting messages of a service with getMessages (A1-T10) and
// acknowledges each with sendDeliveryNotification (A1-T4): MESSAGE_ACCEPTED for what it accepted,
// MESSAGE_NOT_ACCTEPTED with RESEND for what it refused, so the gateway offers it again.
func (s *System) receiveAsync(ctx context.Context, r trigger.Request) trigger.Result {
	if r.ServiceID == "" {
		return trigger.Result{Outcome: trigger.Failed, Error: "getMessages names a service (A1-T10): give serviceId"}
	}
	p := s.asyncClient(r.Gateway)
	msgs, x := p.Get(ctx, p.Selection(r.ServiceID, "", "", nil))
	switch {
	case x.Err != nil:
		return trigger.Result{Outcome: trigger.Failed, Error: x.Err.Error()}
	case x.Fault != nil:
		return trigger.Result{Outcome: trigger.Fault, Code: x.Fault.Detail.ErrorCode, Error: x.Fault.Detail.ErrorMessage + ": " + x.Fault.Detail.ErrorData}
	}
	// A6-S1: messages the gateway did not sign, or that were altered after it signed, are not taken.
	var refusal string
	if _, err := s.cfg.Checker.CheckMessage(ctx, x.Response, "the gateway", s.cfg.GatewayBIN); err != nil && !s.Defect("accept-unverified-messages") {
		refusal = "the gateway's signature on the getMessages answer: " + err.Error()
	}
	res := trigger.Result{Outcome: trigger.Received}
	if refusal != "" {
		res.Outcome, res.Error = trigger.Refused, refusal
	}
	for _, m := range msgs {
		info := m.MessageInfo
		t := trigger.Taken{MessageID: info.MessageID, ServiceID: info.ServiceID, Data: m.MessageData.Text(), Accepted: refusal == "", Reason: refusal}
		if info.ServiceID != r.ServiceID {
			t.Accepted, t.Reason = false, "not the service "+r.ServiceID+" that was asked for"
		}
		if !s.Defect("no-acknowledgement") {
			status, resend := envelope.MessageAccepted, envelope.NotResend
			if !t.Accepted {
				status, resend = envelope.MessageNotAccepted, envelope.Resend
			}
			var answer envelope.AsyncSendDeliveryNotificationAnswer
			if nres, ok := s.gatewayAnswer(ctx, p.Notify(ctx, info.MessageID, info.ServiceID, status, resend), &answer); !ok {
				t.Reason += fmt.Sprintf("; sendDeliveryNotification %s: %s", nres.Outcome, nres.Error)
			}
		}
		res.Taken = append(res.Taken, t)
	}
	return res
}
