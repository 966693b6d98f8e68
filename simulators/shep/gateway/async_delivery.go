package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/store"
)

// deliver is the delivery loop: it pushes every due message to its recipient and every queued status
// notification to its sender, retrying failures with a doubling wait. Everything it works from is in
// the store, so a restarted gateway carries on where the last one stopped.
//
// Delivery is exactly once as the recipient sees it, at least once on the wire: a message is
// pushed until the recipient's answer is recorded (DELIVERED), and never after. A gateway killed
// between the recipient's answer and that record pushes the message again after the restart, under
// the same messageId (A1-T13 row 3), which the recipient recognises; marking the message delivered
// before the push would lose it instead when the kill comes first. A pulled message is offered by
// getMessages until its recipient confirms it (O-23), under its messageId likewise. No message is
// accepted twice: a sender's retry of a message already accepted is a replay (R-61, replay.go).
func (a *Async) deliver(ctx context.Context) {
	defer a.done.Done()
	sem := make(chan struct{}, pushWorkers)
	for {
		a.dispatchPushes(ctx, sem)
		a.dispatchNotifications(ctx, sem)
		select {
		case <-ctx.Done():
			// Wait for pushes in flight, so Close returns with nothing running.
			for i := 0; i < pushWorkers; i++ {
				sem <- struct{}{}
			}
			return
		case <-a.wake:
		case <-time.After(a.poll):
		}
	}
}

// claim marks id in flight; false when it already is.
func (a *Async) claim(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inflight[id] {
		return false
	}
	a.inflight[id] = true
	return true
}

func (a *Async) release(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.inflight, id)
}

func (a *Async) inFlight() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.inflight)
}

func (a *Async) dispatchPushes(ctx context.Context, sem chan struct{}) {
	due, err := a.store.DuePush(ctx, time.Now(), pushWorkers+a.inFlight())
	if err != nil {
		a.g.log.Error("read due pushes", "err", err)
		return
	}
	for _, m := range due {
		if !a.claim(m.MessageID) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			a.release(m.MessageID)
			return
		}
		go func(m store.Message) {
			defer func() { <-sem; a.release(m.MessageID); a.nudge() }()
			// The list read above is stale by the time a worker is free: a push of this message may
			// have finished and been recorded meanwhile. It is pushed only if the store still says it
			// is due, and with the attempts the store counts now.
			fresh, due, err := a.store.PushDue(ctx, m.MessageID, time.Now())
			if err != nil {
				a.g.log.Error("read message before push", "message", m.MessageID, "err", err)
			}
			if err != nil || !due {
				return
			}
			a.pushOne(ctx, fresh)
		}(m)
	}
}

func (a *Async) dispatchNotifications(ctx context.Context, sem chan struct{}) {
	due, err := a.store.DueNotifications(ctx, time.Now(), pushWorkers+a.inFlight())
	if err != nil {
		a.g.log.Error("read due notifications", "err", err)
		return
	}
	for _, n := range due {
		if !a.claim(n.ID) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			a.release(n.ID)
			return
		}
		go func(n store.Notification) {
			defer func() { <-sem; a.release(n.ID) }()
			fresh, due, err := a.store.NotificationDue(ctx, n.ID, time.Now()) // as for pushes: the list is stale
			if err != nil {
				a.g.log.Error("read notification before sending", "id", n.ID, "err", err)
			}
			if err != nil || !due {
				return
			}
			a.notifyOne(ctx, fresh)
		}(n)
	}
}

// backoff is the wait after the given number of failed attempts: base, 2 base, 4 base ... up to max.
func (a *Async) backoff(attempts int) time.Duration {
	d := a.retryBase
	for i := 1; i < attempts && d < a.retryMax; i++ {
		d *= 2
	}
	return min(d, a.retryMax)
}

// pushOne calls the recipient's sendMessage (A1-T13) once and records the outcome. A cancelled
// context (the gateway stopping) records nothing: the message stays on delivery and is pushed again.
func (a *Async) pushOne(ctx context.Context, m store.Message) {
	attempt := m.Attempts + 1
	a.recordFor(ctx, m, journal.PushAttempted, "", "", fmt.Sprintf("attempt %d to %s", attempt, m.Endpoint))
	// A6-S1: the gateway signs what it hands on; the store keeps the message unsigned, so every
	// attempt carries a fresh signature.
	out, err := a.g.sign(m.Envelope)
	var status int
	var body []byte
	var elapsed time.Duration
	if err == nil {
		status, body, elapsed, err = a.post(ctx, m.Endpoint, out)
	}
	if ctx.Err() != nil {
		return
	}
	signature, f := a.checkAnswer(ctx, status, body, err, envelope.AsyncPushAnswerMsg, "sendMessageResponse", m.RecipientID, m.Endpoint)
	now := time.Now()
	if f == nil {
		c := store.Change{At: now, State: store.Delivered, StatusCode: StatusPushed,
			StatusMessage: fmt.Sprintf("pushed to %s, answered after %s", m.RecipientID, elapsed.Round(time.Millisecond)),
			Detail:        fmt.Sprintf("attempt %d", attempt)}
		if err := a.changeState(ctx, m, c, attempt, now); err != nil {
			a.g.log.Error("record delivery", "message", m.MessageID, "err", err)
			return
		}
		a.recordFor(ctx, m, journal.Delivered, "", "A1-T14", c.StatusMessage+signature)
		return
	}
	a.recordFor(ctx, m, journal.DeliveryFailed, f.code.ID, f.breach.Rule, said(msg.F("attempt %d: %s", attempt, f.breach)))
	c := store.Change{At: now, State: store.OnDelivery, StatusCode: StatusAttemptFailed,
		StatusMessage: fmt.Sprintf("push %d to %s failed: %s %s", attempt, m.RecipientID, f.code.ID, f.breach.Observed),
		Detail:        said(f.breach.Text())}
	next := now.Add(a.backoff(attempt))
	if attempt >= a.maxAttempts {
		c.State, c.StatusCode = store.DeliveryStopped, StatusAttemptsSpent
		c.StatusMessage = fmt.Sprintf("delivery to %s stopped after %d failed pushes; last: %s %s", m.RecipientID, attempt, f.code.ID, f.breach.Observed)
	}
	if err := a.changeState(ctx, m, c, attempt, next); err != nil {
		a.g.log.Error("record failed push", "message", m.MessageID, "err", err)
	}
}

// notifyOne sends one changeMassageStatusNotification (A1-T16) to the message's sender.
func (a *Async) notifyOne(ctx context.Context, n store.Notification) {
	message, err := a.store.Get(ctx, n.MessageID)
	if err != nil {
		return
	}
	var req envelope.ChangeMassageStatusNotification
	req.Request.Notification = envelope.ChangeStatusNotification{NotificationID: n.ID, MessageID: n.MessageID,
		NotificationDate: envelope.Now(), MessageState: n.State,
		Status: envelope.MessageStatusInfo{StatusCode: n.StatusCode, StatusMessage: n.StatusMsg, StatusDate: envelope.DateTime{Time: n.StatusDate}}}
	req.Request.RequestDate = envelope.Now()
	req.Request.SessionID = message.SessionID
	out, err := envelope.Marshal(req)
	if err == nil {
		out, err = a.g.sign(out) // the gateway signs everything it sends
	}
	if err != nil {
		return
	}
	status, body, _, err := a.post(ctx, n.Endpoint, out)
	if ctx.Err() != nil {
		return
	}
	attempt := n.Attempts + 1
	signature, f := a.checkAnswer(ctx, status, body, err, envelope.AsyncStatusAnswerMsg, "changeMassageStatusNotificationResponse", n.SystemID, n.Endpoint)
	done := f == nil || attempt >= a.maxAttempts
	if f == nil {
		a.recordFor(ctx, message, journal.StatusSent, "", "A1-T16", fmt.Sprintf("%s (%s) told to %s", n.State, n.StatusCode, n.SystemID)+signature)
	} else {
		a.recordFor(ctx, message, journal.DeliveryFailed, f.code.ID, f.breach.Rule, said(msg.F("status notification %d to %s: %s", attempt, n.SystemID, f.breach)))
	}
	if err := a.store.NotificationAttempted(ctx, n.ID, attempt, done, time.Now().Add(a.backoff(attempt))); err != nil {
		a.g.log.Error("record notification", "id", n.ID, "err", err)
	}
}

func (a *Async) post(ctx context.Context, endpoint string, body []byte) (int, []byte, time.Duration, error) {
	pctx, cancel := context.WithTimeout(ctx, a.pushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	start := time.Now()
	resp, err := a.g.client.Do(req)
	if err != nil {
		return 0, nil, time.Since(start), err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, MaxMessageSize))
	return resp.StatusCode, out, time.Since(start), err
}

// checkAnswer judges a participant's answer to a push: the expected element with HTTP 200, valid
// against the channel schema and, with signatures on, signed by the participant (systemID) with its
// registered certificate. A fault (A1-T15, A1-T18), a bad signature or anything else is
// a failed attempt. signature is the evidence of the answer's signature, for the journal.
func (a *Async) checkAnswer(ctx context.Context, status int, body []byte, err error, kind envelope.MessageKind, element, systemID, endpoint string) (string, *failure) {
	if err != nil {
		return "", &failure{code: envelope.SCE009, breach: &rule.Breach{Rule: "A1-P4", Expected: msg.F("an HTTP answer from the participant's endpoint %s", endpoint),
			Observed: msg.Of(err), Fix: msg.F("keep the participant's endpoint reachable (R-49)")}}
	}
	if v := a.xsd.Validate(body); len(v) > 0 {
		if status != http.StatusOK && status != http.StatusInternalServerError {
			return "", &failure{code: envelope.SCE009, breach: &rule.Breach{Rule: "A1-P4", Expected: msg.F("HTTP 200 with %s, or HTTP 500 with a SOAP fault", element),
				Observed: msg.F("HTTP %d: %s", status, msg.Quoted(fmt.Sprintf("%.200s", body)))}}
		}
		b := envelope.ExplainAsync(v[0], kind)
		b.Observed = msg.F("in the participant's answer, %s", b.Observed)
		return "", &failure{code: envelope.SCE010, breach: b}
	}
	m, err := envelope.Parse(body)
	if err != nil {
		return "", &failure{code: envelope.SCE010, breach: &rule.Breach{Rule: kind.Table + " row 1", Expected: kind.Desc, Observed: msg.Of(err)}}
	}
	// the participant signs its answer, faults included, with its own registered certificate,
	// checked on the tree the answer is read from.
	var signature string
	if a.g.sig != nil {
		sys, _ := a.g.registry.System(systemID)
		evidence, f := a.g.judgeSigned(ctx, a.g.verifyOnce(m, systemID), systemID, sys.Identifier, msg.F("in the participant's answer"))
		if f != nil {
			f.client = false
			return "", f
		}
		signature = "; transport signature " + evidence
	}
	if m.IsFault() {
		fault, _ := m.Fault()
		faultTable := "A1-T15"
		if kind.Table == "A1-T17" {
			faultTable = "A1-T18"
		}
		return "", &failure{code: envelope.Code{ID: fault.Detail.ErrorCode, Message: fault.Detail.ErrorMessage}, breach: &rule.Breach{
			Rule: faultTable, Expected: msg.Raw(element), Observed: msg.F("the participant's fault %s: %s", fault.Detail.ErrorCode, fault.Detail.ErrorMessage)}}
	}
	if m.Payload.Tag != element || status != http.StatusOK {
		return "", &failure{code: envelope.SCE010, breach: &rule.Breach{Rule: kind.Table + " row 1", Expected: msg.F("HTTP 200 with %s", element),
			Observed: msg.F("HTTP %d with %s", status, m.Payload.Tag)}}
	}
	return signature, nil
}

// AcceptanceBreach judges a message's acceptance time as the journal measured it: nil when it
// was accepted within the limit in force, a breach with the measured time otherwise.
func AcceptanceBreach(x journal.Exchange, l rule.Limits) *rule.Breach {
	expected := msg.F("acceptance within %s", l.Describe(rule.Acceptance))
	switch {
	case x.Received.IsZero():
		return &rule.Breach{Rule: "R-47", Expected: expected, Observed: msg.F("no receipt in the journal for session %s", x.SessionID)}
	case x.Accepted.IsZero():
		return &rule.Breach{Rule: "R-47", Expected: expected, Observed: msg.F("the message was never accepted (session %s)", x.SessionID)}
	case x.AcceptanceTime() > l.Acceptance:
		return &rule.Breach{Rule: "R-47", Expected: expected,
			Observed: msg.F("accepted %s after receipt (session %s)", x.AcceptanceTime().Round(time.Millisecond), x.SessionID)}
	}
	return nil
}
