package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/store"
)

// Replay protection (R-61: a message accepted once is not accepted again). Each channel has one key
// per sender and message, claimed under a UNIQUE key in the same transaction that records the
// acceptance, so that of any number of copies sent at once exactly one passes:
//
//   - synchronous and REST channels: channel, senderId and the sender's messageId, in the journal
//     (journal.AcceptOnce), as the ACCEPTED event is written;
//   - asynchronous sendMessage: the sender leaves messageId empty and the gateway assigns it
//     (A1-T13 row 3), so the key is the sender and a SHA-256 digest of what it sent: messageInfo
//     without password and sessionId (serviceId, messageType, correlationId, routeId, messageDate,
//     properties, and the messageId if one was sent anyway) and messageData as written. It is
//     claimed in the message store as the message is stored (store.AcceptOnce). The digest is of
//     the content, not of the transport signature: the same message signed again (a client retrying
//     after a lost answer, whose new signature differs) is the same message; a new message has a
//     messageDate of its own (milliseconds), so identical business data sent twice is two messages;
//   - asynchronous sendDeliveryNotification: the sender and a digest of the notification (messageId,
//     serviceId, notificationDate, receiveStatus, statusDate, resendMessage, error code and
//     message), claimed as the message's state changes (store.UpdateOnce). The dates are part of the
//     key because a recipient may legitimately answer MESSAGE_NOT_ACCTEPTED with RESEND twice for
//     one message; a replayed copy carries the dates of the original.
//
// A replay is refused with SCE022, journaled REJECTED with rule R-61. On the asynchronous channel
// the fault names the messageId the message was accepted under: a client whose answer was lost
// learns it from the retry.

// sendMessageKey is the replay key of an asynchronous sendMessage, from the message as received.
func sendMessageKey(senderID string, m envelope.AsyncSendMessageRequest) store.Key {
	d := newDigest()
	i := m.MessageInfo
	d.add(i.MessageID, i.CorrelationID, i.ServiceID, i.MessageType, i.RouteID, i.Sender.SenderID, date(i.MessageDate))
	for _, p := range i.Properties {
		d.add(p.Key, p.Value)
	}
	d.add(m.MessageData.Raw)
	return store.Key{SenderID: senderID, Kind: "sendMessage", Digest: d.sum()}
}

// notificationKey is the replay key of a delivery notification.
func notificationKey(senderID string, n envelope.DeliveryNotification) store.Key {
	d := newDigest()
	s := n.DeliveryStatus
	d.add(n.MessageID, n.ServiceID, date(n.NotificationDate), s.ReceiveStatus, date(s.StatusDate), s.ResendMessage)
	if s.Error != nil {
		d.add(s.Error.ErrorCode, s.Error.ErrorMessage)
	}
	return store.Key{SenderID: senderID, Kind: "sendDeliveryNotification", Digest: d.sum()}
}

func date(d envelope.DateTime) string {
	if d.IsZero() {
		return ""
	}
	return d.UTC().Format(time.RFC3339Nano)
}

// astana writes a time as the gateway writes every date, in Astana time.
func astana(t time.Time) string {
	b, _ := envelope.DateTime{Time: t}.MarshalText()
	return string(b)
}

// digest hashes a list of fields, each prefixed by its length so that no two lists hash alike.
type digest struct{ h hash.Hash }

func newDigest() digest { return digest{sha256.New()} }

func (d digest) add(fields ...string) {
	for _, f := range fields {
		_ = binary.Write(d.h, binary.BigEndian, uint64(len(f)))
		d.h.Write([]byte(f))
	}
}

func (d digest) sum() string { return "sha256:" + hex.EncodeToString(d.h.Sum(nil)) }

// replayFailure is the refusal of a replay.
func replayFailure(field, senderID string, observed, fix msg.Text) *failure {
	return &failure{code: envelope.SCE022, client: true, breach: &rule.Breach{
		Rule: "R-61", Field: msg.Raw(field), Expected: msg.F("a message not accepted before from %s", senderID),
		Observed: observed, Fix: fix}}
}

// acceptOnce journals the ACCEPTED event of a synchronous or REST exchange, stamped at (now when
// zero), unless the channel already accepted the sender's messageId; field names the
// messageId in the request. The events pending (later) and then are written with it, in one
// transaction. The failure is a replay, or the journal failing; the pending events then stay
// pending, for the refusal's record.
func (x *exchange) acceptOnce(ctx context.Context, field, detail string, at time.Time, then ...journal.Event) *failure {
	accepted := x.event(journal.Accepted, "", "R-47", detail)
	accepted.Time = at
	replay, err := x.g.journal.AcceptOnce(ctx, accepted, slices.Concat(x.pending, then)...)
	if err == nil && replay == nil {
		x.pending = nil
	}
	switch {
	case err != nil:
		x.g.log.Error("journal write failed", "session", x.sessionID, "kind", journal.Accepted, "err", err)
		return ptr(journalFailure(err))
	case replay != nil:
		return replayFailure(field, x.senderID,
			msg.F("messageId %q was already accepted at %s (session %s)", x.messageID, astana(replay.Time), replay.SessionID),
			msg.F("give every message a new identifier; a replayed message is refused"))
	}
	return nil
}

// changeStateOnce is changeState under a replay key: the key is claimed for ref in the
// transaction that changes the message, so a replayed delivery notification changes nothing and
// gets a *store.ReplayError.
func (a *Async) changeStateOnce(ctx context.Context, key store.Key, ref string, message store.Message, c store.Change, attempts int, next time.Time) error {
	var n *store.Notification
	if c.State != message.State {
		if ep := a.pushEndpoint(message.SenderID); ep != "" {
			n = &store.Notification{ID: envelope.NewGUID(), MessageID: message.MessageID, SystemID: message.SenderID, Endpoint: ep,
				State: c.State, StatusCode: c.StatusCode, StatusMsg: c.StatusMessage, StatusDate: c.At}
		}
	}
	if err := a.store.UpdateOnce(ctx, key, ref, message.MessageID, c, attempts, next, n); err != nil {
		return err
	}
	if c.State != message.State {
		a.recordFor(ctx, message, journal.StateChanged, "", "", fmt.Sprintf("%s -> %s: %s %s", message.State, c.State, c.StatusCode, c.StatusMessage))
	}
	return nil
}
