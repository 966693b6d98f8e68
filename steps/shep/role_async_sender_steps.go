package shep

import (
	"context"
	"fmt"
	"strings"

	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/trigger"
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
	ruleID, observed := "A1-T1", "no sendMessage of the system under test reached the gateway"
	for _, e := range events {
		switch {
		case e.Kind == journal.Accepted && e.MessageID != "":
			r.messageID, r.session = e.MessageID, e.SessionID
		case e.Kind == journal.Rejected:
			ruleID, observed = e.Rule, fmt.Sprintf("refused with %s: %s", e.Code, e.Detail)
		}
	}
	if r.messageID != "" {
		ruleID, observed = "A1-T1", "accepted as "+r.messageID+" in session "+r.session
	}
	return r.verify(ruleID, "a sendMessage of "+r.sut.SystemID+" accepted by the gateway: valid against the schema (A1-T1), with its password (R-53) and its own transport signature (R-59)",
		observed, r.messageID != "")
}

func (r *roleAsyncWorld) ownerReceivedSUTMessage() error {
	got := r.ownerReceives(func(m owner.AsyncReceived) bool { return m.Message.MessageInfo.MessageID == r.messageID && m.Answered })
	observed := "nothing pushed to the owner"
	if got.Body != nil {
		observed = fmt.Sprintf("from %s: %s", got.Message.MessageInfo.Sender.SenderID, businessData(got.Message.MessageData))
	}
	return r.verify("R-2.5", "the message of "+r.sut.SystemID+" with the data "+r.data, observed,
		got.Body != nil && got.Message.MessageInfo.Sender.SenderID == r.sut.SystemID && businessData(got.Message.MessageData) == canonicalXML(r.data))
}

// sutLearnedMessageID: the exchange is confirmed by the sender receiving the messageId.
func (r *roleAsyncWorld) sutLearnedMessageID() error {
	return r.verify("R-22", "outcome accepted with the gateway's messageId "+r.messageID,
		fmt.Sprintf("outcome %s, messageId %q %s", r.result.Outcome, r.result.MessageID, r.result.Error),
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
	observed := fmt.Sprintf("%d getMessageStatus calls answered", len(answered))
	if len(answered) > 0 {
		observed += ", the last: " + answered[len(answered)-1]
	}
	return r.verify("A1-T7", "getMessageStatus on "+r.messageID+" from "+r.sut.SystemID+", signed and answered", observed, len(answered) > 0)
}

// notificationAnswered judges the system's answer to the gateway's status notification as the
// gateway did: a valid changeMassageStatusNotificationResponse (A1-T17) under the system's own
// signature, or a failed notification with the rule it broke.
func (r *roleAsyncWorld) notificationAnswered(ctx context.Context, state string) error {
	events := r.sessionEvents(ctx, r.session, func(e journal.Event) bool {
		return e.Kind == journal.StatusSent && strings.HasPrefix(e.Detail, state+" ")
	})
	ruleID, observed := "A1-T16", "no status notification "+state+" answered"
	ok := false
	for _, e := range events {
		switch {
		case e.Kind == journal.StatusSent && strings.HasPrefix(e.Detail, state+" "):
			ruleID, observed, ok = "A1-T17", e.Detail, true
		case !ok && e.Kind == journal.DeliveryFailed && strings.Contains(e.Detail, "status notification"):
			ruleID, observed = e.Rule, fmt.Sprintf("%s: %s", e.Code, e.Detail)
		}
	}
	return r.verify(ruleID, "changeMassageStatusNotification "+state+" answered by "+r.sut.SystemID+" with a valid response (A1-T17) under its own signature (R-59)", observed, ok)
}

func (r *roleAsyncWorld) sutReportsState(ctx context.Context, state string) error {
	msg, err := r.async.Store().Get(ctx, r.messageID)
	if err != nil {
		return err
	}
	ruleID := "A1-T8"
	if r.follow == trigger.FollowNotification {
		ruleID = "A1-T16"
	}
	return r.verify(ruleID, fmt.Sprintf("the state %s, as the gateway has it (%s)", state, msg.State),
		fmt.Sprintf("reported %q %s", r.result.State, r.result.Error), msg.State == state && r.result.State == state)
}
