package sed

import (
	"context"
	"fmt"
)

// maxPending bounds the packages a Send took while waiting and no ReceiveOnce has returned yet.
const maxPending = 10_000

// await takes notices from the incoming list, a pass every PollInterval, until the package's
// receipt (SMDO-RECEIPT) and, when asked for, every receiver's registration notice (SMDO-ACK) are
// in, or the router refused the package after accepting it (SMDO-NOTICE). The passes take every
// package listed, not only the notices, so that nothing listed is left unconfirmed; the next
// ReceiveOnce returns them.
func (c *Client) await(ctx context.Context, rec *record, s Sent, askAck bool) (Sent, error) {
	for {
		if done, err := c.judge(rec, &s, askAck); done {
			return s, err
		}
		taken, listErr, err := c.pass(ctx)
		c.stash(taken, err)
		if listErr != nil {
			what := "delivery receipt"
			if s.Receipt != nil {
				what = "registration notice"
			}
			return s, fmt.Errorf("send %s: waiting for the %s: %w", s.PackageID, what, listErr)
		}
	}
}

// judge reads the notices taken for rec into s and says whether the wait is over.
func (c *Client) judge(rec *record, s *Sent, askAck bool) (bool, error) {
	s.Notices = c.out.notices(rec)
	var refusal *Notice
	regs := map[string]*Notice{}
	for i := range s.Notices {
		n := &s.Notices[i]
		switch {
		case n.From == routerID && n.Refusal:
			if refusal == nil {
				refusal = n
			}
		case n.From == routerID:
			if s.Receipt == nil {
				s.Receipt = n
			}
		case n.AckType == AckRegistration:
			if regs[n.From] == nil {
				regs[n.From] = n
			}
		}
	}
	ignore := c.has(DefectIgnoreRefusal)
	if refusal != nil {
		if ignore {
			return true, nil // the defect takes the refusal for a success
		}
		return true, &RefusedError{Stage: StageRoute, PackageID: s.PackageID, Message: refusal.Value}
	}
	if s.Receipt == nil {
		return false, nil
	}
	if !askAck {
		return true, nil
	}
	for _, id := range rec.receivers {
		n := regs[id]
		if n == nil {
			return false, nil
		}
		if s.Registration == nil || (s.Registration.ErrorCode == AckRegistered && n.ErrorCode != AckRegistered) {
			s.Registration = n
		}
	}
	if s.Registration.ErrorCode != AckRegistered && !ignore {
		n := *s.Registration
		return true, &RegistrationRefusedError{PackageID: s.PackageID, ErrorCode: n.ErrorCode, Reason: n.Value, Notice: n}
	}
	return true, nil
}

// stash keeps what a Send's pass took for the next ReceiveOnce.
func (c *Client) stash(taken []Incoming, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = append(c.pending, taken...)
	if n := len(c.pending) - maxPending; n > 0 {
		c.pending = c.pending[n:]
	}
	if err != nil {
		c.pendingErr = append(c.pendingErr, err)
		if n := len(c.pendingErr) - maxPending; n > 0 {
			c.pendingErr = c.pendingErr[n:]
		}
	}
}
