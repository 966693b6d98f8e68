package sed

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// The values of the notices this system gives (SMDO-ACK).
const (
	deliveredValue  = "Документ доставлен"
	registeredValue = "Документ зарегистрирован"
)

// maxAnswers bounds the answers remembered. One is forgotten once its package is confirmed, so
// only packages left unconfirmed (the no-confirm defect, a failing confirmation) keep theirs.
const maxAnswers = 10_000

// answer is how far the answer to one document got: which notices went out, and the registration
// decided, so that a notice sent again after a failure says what the first attempt said.
type answer struct {
	delivered, registered bool
	decided               bool
	code                  int
	reason                string
}

// acknowledge answers a document asking for acknowledgement (msg_acknow 2) with a delivery notice
// (ack_type 1) then a registration notice (ack_type 2) with the errorcode the system's registration
// gives (SMDO-ACK). Additional materials are not registered on their own, so they are not answered
// (reconstructed). Each notice goes through the sending thread. A notice counts as sent only once
// the router took it, so a package offered again after a failure gets the notices still missing,
// and each notice goes out once; the no-ack defect answers none.
func (c *Client) acknowledge(ctx context.Context, in Incoming) error {
	if in.Notice != nil || in.MsgType != MsgDocument || in.MsgAcknow != AskAcknowledgement || c.has(DefectNoAck) {
		return nil
	}
	a := c.answerTo(in.MsgID)
	if !a.delivered {
		if err := c.sendAck(ctx, in, AckDelivery, AckRegistered, deliveredValue); err != nil {
			return err
		}
		a.delivered = true
	}
	if a.registered {
		return nil
	}
	if !a.decided {
		// Registered once: a registration notice sent again says what the first attempt said.
		a.code, a.reason = c.cfg.Register(in)
		if a.reason == "" && a.code == AckRegistered {
			a.reason = registeredValue
		}
		a.decided = true
	}
	if err := c.sendAck(ctx, in, AckRegistration, a.code, a.reason); err != nil {
		return err
	}
	a.registered = true
	return nil
}

// answerTo is the answer to the document of msgID, new if none was begun.
func (c *Client) answerTo(msgID string) *answer {
	if a := c.acked[msgID]; a != nil {
		return a
	}
	if len(c.acked) >= maxAnswers {
		for k := range c.acked { // any one: a safety net the confirmations keep from being reached
			delete(c.acked, k)
			break
		}
	}
	a := &answer{}
	c.acked[msgID] = a
	return a
}

// answered forgets the answer to msgID once its package is confirmed and will not be offered again.
func (c *Client) answered(msgID string) { delete(c.acked, msgID) }

// sendAck sends one acknowledgement packet: msg_type 0, parentId the package answered,
// acknowledgement.msg_id its msg_id, no attachments.
func (c *Client) sendAck(ctx context.Context, in Incoming, ackType, code int, value string) error {
	msgID := uuid.NewString()
	p := c.newPackage(msgID, []Party{in.Sender})
	p.ParentID = in.PackageID
	env := p.Body.Envelop
	env.Subject = "Уведомление о доставке"
	if ackType == AckRegistration {
		env.Subject = "Уведомление о регистрации"
	}
	env.Header.MsgType = MsgAcknowledgement
	env.Body.Acknowledgement = &acknowledgement{MsgID: in.MsgID, AckType: ackType,
		AckResult: []ackResult{{Value: value, ErrorCode: code}}}
	// No one waits for the receipt of a notice: its record is settled at once, first to go when
	// the outbox is full.
	c.out.settle(c.out.add(msgID, receiversOf(p)))
	if _, err := c.transmit(ctx, p, nil); err != nil {
		return fmt.Errorf("acknowledge (ack_type %d) package %s: %w", ackType, in.PackageID, err)
	}
	return nil
}
