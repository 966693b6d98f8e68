package shep

import (
	"context"
	"strings"

	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// The async-sender role: what the system under test sends and how it follows the delivery.

func (r *roleAsyncWorld) sutSends(ctx context.Context, data, serviceID, follow string) error {
	r.data, r.follow = data, follow
	var err error
	r.result, err = r.fire(ctx, trigger.Request{Action: trigger.Send, Channel: trigger.Async, Gateway: r.url,
		ServiceID: serviceID, Data: data, Follow: follow})
	return err
}

// sutMessageAccepted finds in the journal the sendMessage of the system under test that the
// gateway accepted: it passed the schema (A1-T1), the sender's password (R-53(2)) and its
// transport signature before acceptance.
func (r *roleAsyncWorld) sutMessageAccepted(ctx context.Context) error {
	events, err := r.sutEvents(ctx)
	if err != nil {
		return err
	}
	r.attachJSON("journal of the exchanges of the system under test", events)
	ruleID, observed := "A1-T1", msg.F("no sendMessage of the system under test reached the gateway")
	for _, e := range events {
		switch {
		case e.Kind == journal.Accepted && e.MessageID != "":
			r.messageID, r.session = e.MessageID, e.SessionID
		case e.Kind == journal.Rejected:
			ruleID, observed = e.Rule, msg.F("refused with %s: %s", e.Code, gateway.Explain(e.Detail))
		}
	}
	if r.messageID != "" {
		ruleID, observed = "A1-T1", msg.F("accepted as %s in session %s", r.messageID, r.session)
	}
	return r.verify(ruleID, msg.F("a sendMessage of %s accepted by the gateway: valid against the schema (A1-T1), with its password (R-53) and its own transport signature (R-59)", r.sut.SystemID),
		observed, r.messageID != "")
}

func (r *roleAsyncWorld) ownerReceivedSUTMessage() error {
	got := r.ownerReceives(func(m owner.AsyncReceived) bool { return m.Message.MessageInfo.MessageID == r.messageID && m.Answered })
	observed := msg.F("nothing pushed to the owner")
	if got.Body != nil {
		observed = msg.F("from %s: %s", got.Message.MessageInfo.Sender.SenderID, businessData(got.Message.MessageData))
	}
	return r.verify("R-2.5", msg.F("the message of %s with the data %s", r.sut.SystemID, r.data), observed,
		got.Body != nil && got.Message.MessageInfo.Sender.SenderID == r.sut.SystemID && businessData(got.Message.MessageData) == canonicalXML(r.data))
}

// sutLearnedMessageID: the exchange is confirmed by the sender receiving the messageId.
func (r *roleAsyncWorld) sutLearnedMessageID() error {
	return r.verify("R-22", msg.F("outcome %s with the gateway's messageId %s", trigger.Accepted, r.messageID),
		msg.F("outcome %s, messageId %q %s", r.result.Outcome, r.result.MessageID, r.result.Error),
		r.result.Outcome == trigger.Accepted && r.result.MessageID == r.messageID)
}

// sutAskedStatus finds the getMessageStatus calls of the system under test on its message in the
// gateway's journal (A1-T7): each is a session of its own, answered with the state.
func (r *roleAsyncWorld) sutAskedStatus(ctx context.Context) error {
	events, err := r.sutEvents(ctx)
	if err != nil {
		return err
	}
	var answered []string
	for _, e := range events {
		if e.Kind == journal.Answered && e.MessageID == r.messageID && strings.HasPrefix(e.Detail, "state ") {
			answered = append(answered, e.Detail)
		}
	}
	observed := msg.F("%d getMessageStatus calls answered", len(answered))
	if len(answered) > 0 {
		observed = msg.F("%d getMessageStatus calls answered, the last: %s", len(answered), gateway.Explain(answered[len(answered)-1]))
	}
	return r.verify("A1-T7", msg.F("getMessageStatus on %s from %s, signed and answered", r.messageID, r.sut.SystemID), observed, len(answered) > 0)
}

// notificationAnswered judges the system's answer to the gateway's status notification as the
// gateway did: a valid changeMassageStatusNotificationResponse (A1-T17) under the system's own
// signature, or a failed notification with the rule it broke.
func (r *roleAsyncWorld) notificationAnswered(ctx context.Context, state string) error {
	events := r.sessionEvents(ctx, r.session, func(e journal.Event) bool {
		return e.Kind == journal.StatusSent && strings.HasPrefix(e.Detail, state+" ")
	})
	ruleID, observed := "A1-T16", msg.F("no status notification %s answered", state)
	ok := false
	for _, e := range events {
		switch {
		case e.Kind == journal.StatusSent && strings.HasPrefix(e.Detail, state+" "):
			ruleID, observed, ok = "A1-T17", gateway.Explain(e.Detail), true
		case !ok && e.Kind == journal.DeliveryFailed && strings.Contains(e.Detail, "status notification"):
			ruleID, observed = e.Rule, msg.F("%s: %s", e.Code, gateway.Explain(e.Detail))
		}
	}
	return r.verify(ruleID, msg.F("changeMassageStatusNotification %s answered by %s with a valid response (A1-T17) under its own signature (R-59)", state, r.sut.SystemID), observed, ok)
}

func (r *roleAsyncWorld) sutReportsState(ctx context.Context, state string) error {
	stored, err := r.async.Store().Get(ctx, r.messageID)
	if err != nil {
		return err
	}
	ruleID := "A1-T8"
	if r.follow == trigger.FollowNotification {
		ruleID = "A1-T16"
	}
	return r.verify(ruleID, msg.F("the state %s, as the gateway has it (%s)", state, stored.State),
		msg.F("reported %q %s", r.result.State, r.result.Error), stored.State == state && r.result.State == state)
}
