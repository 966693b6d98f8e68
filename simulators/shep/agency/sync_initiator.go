package agency

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

func init() {
	addRole("sync-initiator", map[string]string{
		"reuse-message-id":       "every message it sends carries the same messageId (R-61)",
		"accept-unsigned-answer": "it takes the gateway's answer without checking its transport signature (A6-S1, R-59)",
		"resend-after-failure":   "after a fault or an HTTP error it sends the same message, with the same messageId, once more (R-61)",
	}, setupSyncInitiator)
}

// setupSyncInitiator answers the trigger "send on the synchronous channel": build SendMessage
// (A1-T19), sign it with the system's own certificate, post it to the gateway and
// judge what comes back.
func setupSyncInitiator(s *System) error {
	reused := uuid.NewString() // the one messageId of a system broken with reuse-message-id
	s.on(trigger.Sync, trigger.Send, func(ctx context.Context, r trigger.Request) trigger.Result {
		in := &owner.Initiator{SystemID: s.cfg.SystemID, Password: s.cfg.Password, Gateway: r.Gateway,
			HTTP: s.cfg.HTTP, Identity: s.cfg.Identity}
		m := in.Request(r.ServiceID, envelope.StringData(r.Data)) // a fresh messageId, with messageDate
		if s.Defect("reuse-message-id") {
			m.Request.RequestInfo.MessageID = reused
		}
		res := trigger.Result{MessageID: m.Request.RequestInfo.MessageID}
		body, err := envelope.Marshal(m)
		if err == nil {
			body, err = in.Sign(body)
		}
		if err != nil {
			res.Outcome, res.Error = trigger.Failed, "building the request: "+err.Error()
			return res
		}
		// a message is sent once. A fault, a timeout or an HTTP error is reported as it is;
		// sending again is a new message with a new messageId, the caller's decision.
		x := in.Send(ctx, body)
		out := s.judgeSyncAnswer(ctx, x, res)
		if s.Defect("resend-after-failure") && (out.Outcome == trigger.Fault || out.Outcome == trigger.Failed) {
			out = s.judgeSyncAnswer(ctx, in.Send(ctx, body), res)
		}
		return out
	})
	return nil
}

// judgeSyncAnswer turns what the gateway sent back into the trigger's result: the gateway's
// transport signature is checked before the answer is read (A6-S1, R-59), so nothing unsigned,
// altered, wrapped or signed by anyone but the gateway is taken.
func (s *System) judgeSyncAnswer(ctx context.Context, x owner.Exchange, res trigger.Result) trigger.Result {
	switch {
	case x.Err != nil:
		res.Outcome, res.Error = trigger.Failed, "no answer from the gateway: "+x.Err.Error()
		return res
	case x.Status != http.StatusOK && x.Status != http.StatusInternalServerError:
		res.Outcome, res.Error = trigger.Failed, fmt.Sprintf("the gateway answered HTTP %d", x.Status)
		return res
	case x.Status == http.StatusInternalServerError && !isSOAP(x.Response):
		res.Outcome, res.Error = trigger.Failed, fmt.Sprintf("the gateway answered HTTP 500 without a SOAP fault: %.200q", x.Response)
		return res
	}
	if !s.Defect("accept-unsigned-answer") {
		if _, err := s.cfg.Checker.CheckMessage(ctx, x.Response, "the gateway", s.cfg.GatewayBIN); err != nil {
			res.Outcome, res.Error = trigger.Refused, "the gateway's transport signature on the answer: "+err.Error()
			return res
		}
	}
	answer, fault, err := x.Answer()
	switch {
	case err != nil:
		res.Outcome, res.Error = trigger.Refused, "the answer is neither SendMessageResponse nor a fault: "+err.Error()
	case fault != nil:
		res.Outcome, res.Code, res.Error = trigger.Fault, fault.Detail.ErrorCode, fault.Detail.ErrorMessage
	case x.Status != http.StatusOK:
		res.Outcome, res.Error = trigger.Refused, fmt.Sprintf("SendMessageResponse came with HTTP %d (A1-T20)", x.Status)
	default:
		res.Outcome, res.Answer = trigger.Answered, answer.Response.ResponseData.Text()
	}
	return res
}

func isSOAP(b []byte) bool {
	_, err := envelope.Parse(b)
	return err == nil
}
