package shep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/tamper"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// The async-receiver-pull and async-receiver-push roles: what the system under test is given and
// what it does with it.

func (r *roleAsyncWorld) referenceSends(data, serviceID string) error {
	r.data = data
	if err := r.send(r.initiator, r.request(r.initiator, serviceID, data)); err != nil {
		return err
	}
	if r.last.Fault != nil {
		return msg.Errorf("the gateway refused the reference initiator's message: %s", gateway.Explain(r.last.Fault.Detail.ErrorData))
	}
	return nil
}

func (r *roleAsyncWorld) sutTakes(ctx context.Context, serviceID string) error {
	return r.take(ctx, serviceID, r.url)
}

// sutTakesAltered makes the system take its messages through a relay that alters every
// getMessages answer after the gateway signed it: the gateway's signature no longer matches the
// Body (A6-S1).
func (r *roleAsyncWorld) sutTakesAltered(ctx context.Context, serviceID string) error {
	hop := newRelay(r.url, 30*time.Second)
	hop.set(&answerAlteration{what: msg.F("altered after the gateway signed it"), rule: "A6-S1", apply: alterGetMessages})
	proxy, err := server.Start("127.0.0.1:0", hop)
	if err != nil {
		return err
	}
	r.servers = append(r.servers, proxy)
	if err := r.take(ctx, serviceID, proxy.URL()); err != nil {
		return err
	}
	for _, c := range hop.recorded() {
		if !bytes.Equal(c.Gateway, c.Passed) {
			r.altered++
			r.attach("getMessages answer altered after the gateway signed it", "text/xml", c.Passed)
		}
	}
	if r.altered == 0 {
		return msg.Errorf("no getMessages answer with a message passed the altering relay")
	}
	return nil
}

// alterGetMessages changes the business data of a getMessages answer; other answers pass as they are.
func alterGetMessages(doc []byte) ([]byte, error) {
	if m, err := envelope.Parse(doc); err != nil || m.Payload.Tag != "getMessagesResponse" {
		return doc, nil
	}
	changed, err := tamper.Apply(doc, tamper.SetText("response/messages/messageData/data", "<question>altered on the way</question>"))
	if err != nil {
		return doc, nil // no message in the answer: nothing to alter
	}
	return changed, nil
}

func (r *roleAsyncWorld) take(ctx context.Context, serviceID, gatewayURL string) error {
	var err error
	r.result, err = r.fire(ctx, trigger.Request{Action: trigger.Receive, Channel: trigger.Async, Gateway: gatewayURL, ServiceID: serviceID})
	return err
}

// postXML posts a SOAP envelope and returns the HTTP status and the answer.
func postXML(ctx context.Context, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	return resp.StatusCode, out, err
}

// unsignedPush sends the system a sendMessage as the gateway would push it (A1-T13), without the
// gateway's signature.
func (r *roleAsyncWorld) unsignedPush(ctx context.Context) error {
	m := r.request(r.initiator, r.service, "<question>unsigned</question>")
	info := &m.Request.MessageInfo
	info.MessageID, info.CorrelationID, info.SessionID, info.Sender.Password = envelope.NewGUID(), envelope.NewGUID(), envelope.NewGUID(), ""
	body, err := envelope.Marshal(m)
	if err != nil {
		return err
	}
	return r.postToSUT(ctx, "unsigned push", body)
}

// notificationPushed sends the system a status notification (A1-T16) signed with the scenario
// gateway's certificate, as the gateway does.
func (r *roleAsyncWorld) notificationPushed(ctx context.Context) error {
	var n envelope.ChangeMassageStatusNotification
	n.Request.Notification = envelope.ChangeStatusNotification{NotificationID: envelope.NewGUID(), MessageID: envelope.NewGUID(),
		NotificationDate: envelope.Now(), MessageState: envelope.Delivered,
		Status: envelope.MessageStatusInfo{StatusCode: gateway.StatusPushed, StatusMessage: "pushed to the recipient", StatusDate: envelope.Now()}}
	n.Request.RequestDate = envelope.Now()
	n.Request.SessionID = envelope.NewGUID()
	r.directSID = n.Request.SessionID
	body, err := envelope.Marshal(n)
	if err == nil {
		body, err = xsig.Sign(body, r.identities[gatewaySystem])
	}
	if err != nil {
		return err
	}
	return r.postToSUT(ctx, "status notification", body)
}

func (r *roleAsyncWorld) postToSUT(ctx context.Context, what string, body []byte) error {
	r.attach(what+" sent to the system under test", "text/xml", body)
	var err error
	r.directCode, r.direct, err = postXML(ctx, r.sut.AsyncURL, body)
	if err != nil {
		return msg.Errorf("the system under test did not answer at %s: %w", r.sut.AsyncURL, err)
	}
	r.attach(fmt.Sprintf("answer of the system under test (HTTP %d)", r.directCode), "text/xml", r.direct)
	return nil
}

// ---- the receiver ----

func (r *roleAsyncWorld) referenceMessage() (envelope.AsyncSendMessageResponse, error) {
	if len(r.sent) == 0 {
		return envelope.AsyncSendMessageResponse{}, msg.Errorf("the reference initiator sent nothing in this scenario")
	}
	return r.sent[0], nil
}

func (r *roleAsyncWorld) pulled(ctx context.Context) error {
	m, err := r.referenceMessage()
	if err != nil {
		return err
	}
	events := r.sessionEvents(ctx, m.SessionID, func(e journal.Event) bool { return e.Kind == journal.Pulled })
	var got []string
	var said []msg.Text
	for _, e := range events {
		if e.Kind == journal.Pulled {
			got = append(got, e.Detail)
			said = append(said, gateway.Explain(e.Detail))
		}
	}
	return r.verify("A1-T10", msg.F("the message %s handed to %s by getMessages", m.MessageID, r.sut.SystemID), msg.F("[%s]", msg.Join(said, " ")),
		len(got) > 0 && strings.Contains(got[0], r.sut.SystemID))
}

// notifications are the delivery notifications the system under test sent on the reference
// initiator's message (A1-T4), as the gateway journalled them.
func (r *roleAsyncWorld) notifications(ctx context.Context, wait bool) ([]string, error) {
	m, err := r.referenceMessage()
	if err != nil {
		return nil, err
	}
	match := func(e journal.Event) bool {
		return e.Kind == journal.Notified && strings.Contains(e.Detail, "from "+r.sut.SystemID)
	}
	var events []journal.Event
	if wait {
		events = r.sessionEvents(ctx, m.SessionID, match)
	} else if events, err = r.suite.Journal.Events(ctx, m.SessionID); err != nil {
		return nil, err
	}
	var got []string
	for _, e := range events {
		if match(e) {
			got = append(got, e.Detail)
		}
	}
	return got, nil
}

func (r *roleAsyncWorld) acknowledged(ctx context.Context) error {
	got, err := r.notifications(ctx, true)
	if err != nil {
		return err
	}
	ok := len(got) > 0 && strings.HasPrefix(got[len(got)-1], envelope.MessageAccepted+"/")
	return r.verify("A1-T4", msg.F("sendDeliveryNotification MESSAGE_ACCEPTED from %s", r.sut.SystemID), deliveryNotifications(got), ok)
}

// notAcknowledged: a message the system refused is not acknowledged as accepted (A6-S1): either
// MESSAGE_NOT_ACCTEPTED or no notification at all.
func (r *roleAsyncWorld) notAcknowledged(ctx context.Context) error {
	got, err := r.notifications(ctx, false)
	if err != nil {
		return err
	}
	accepted := false
	for _, n := range got {
		accepted = accepted || strings.HasPrefix(n, envelope.MessageAccepted+"/")
	}
	return r.verify("A6-S1", msg.F("no MESSAGE_ACCEPTED for a message whose gateway signature fails"), deliveryNotifications(got), !accepted)
}

// deliveryNotifications is what the journal recorded of the delivery notifications, or that there
// was none.
func deliveryNotifications(got []string) msg.Text {
	if len(got) == 0 {
		return msg.F("no sendDeliveryNotification")
	}
	return msg.Raw(strings.Join(got, "; "))
}

func (r *roleAsyncWorld) sutReportsTaken() error {
	m, err := r.referenceMessage()
	if err != nil {
		return err
	}
	var got *trigger.Taken
	for i, t := range r.result.Taken {
		if t.MessageID == m.MessageID {
			got = &r.result.Taken[i]
		}
	}
	observed := msg.F("outcome %s, %d messages taken, not %s", r.result.Outcome, len(r.result.Taken), m.MessageID)
	if got != nil {
		observed = msg.F("accepted %t, data %s %s", got.Accepted, got.Data, got.Reason)
	}
	return r.verify("A1-T11", msg.F("the message %s taken and accepted with the data %s", m.MessageID, r.data), observed,
		got != nil && got.Accepted && canonicalXML(got.Data) == canonicalXML(r.data))
}

// pushAnswered judges the system's answer to the gateway's push as the gateway did (A1-T14, R-59).
func (r *roleAsyncWorld) pushAnswered(ctx context.Context) error {
	m, err := r.referenceMessage()
	if err != nil {
		return err
	}
	events := r.sessionEvents(ctx, m.SessionID, func(e journal.Event) bool { return e.Kind == journal.Delivered })
	ruleID, observed, ok := "A1-T14", msg.F("no push answered"), false
	for _, e := range events {
		switch {
		case e.Kind == journal.Delivered:
			ruleID, observed, ok = "A1-T14", gateway.Explain(e.Detail), true
		case !ok && e.Kind == journal.DeliveryFailed:
			ruleID, observed = e.Rule, msg.F("%s: %s", e.Code, gateway.Explain(e.Detail))
		}
	}
	return r.verify(ruleID, msg.F("the push of %s answered by %s with a valid sendMessageResponse (A1-T14) under its own signature (R-59)", m.MessageID, r.sut.SystemID), observed, ok)
}

func (r *roleAsyncWorld) messageState(ctx context.Context, not, state string) error {
	m, err := r.referenceMessage()
	if err != nil {
		return err
	}
	stored, err := r.async.Store().Get(ctx, m.MessageID)
	if err != nil {
		return err
	}
	h, _ := r.async.Store().History(ctx, m.MessageID)
	r.attachJSON("status history of "+m.MessageID, h)
	observed := msg.F("%s: %q", stored.State, stored.StatusMessage)
	if not != "" {
		return r.verify("A6-S1", msg.F("any state but %s", state), observed, stored.State != state)
	}
	return r.verify("A1-T8", msg.F("the state %s", state), observed, stored.State == state)
}

// pushRefused: a push the gateway did not sign is refused with a fault (A6-S1, A1-T15).
func (r *roleAsyncWorld) pushRefused() error {
	var observed msg.Text
	isFault := false
	if m, err := envelope.Parse(r.direct); err == nil {
		if isFault = m.IsFault(); isFault {
			observed = msg.F("HTTP %d, SOAP fault", r.directCode)
		} else {
			observed = msg.F("HTTP %d, %s: the unsigned push was taken", r.directCode, m.Name().Local)
		}
	} else {
		observed = msg.F("HTTP %d, not SOAP: %s", r.directCode, msg.Of(err))
	}
	return r.verify("A6-S1", msg.F("a SOAP fault (HTTP 500): a push the gateway did not sign is not taken"), observed,
		isFault && r.directCode == http.StatusInternalServerError)
}

// notificationAnsweredDirect checks the system's answer to a status notification: HTTP 200, valid
// (A1-T17), signed with its own certificate and carrying the notification's sessionId.
func (r *roleAsyncWorld) notificationAnsweredDirect(ctx context.Context) error {
	if err := r.verify("A1-T17", msg.Raw("HTTP 200"), msg.Raw(fmt.Sprintf("HTTP %d", r.directCode)), r.directCode == http.StatusOK); err != nil {
		return err
	}
	if err := r.schemaCheck("A1-T17", msg.Raw("changeMassageStatusNotificationResponse"), r.direct); err != nil {
		return err
	}
	report, err := r.suite.checker().CheckMessage(ctx, r.direct, r.sut.SystemID, r.sut.BIN)
	r.attachJSON("check of the signature of the system under test", report)
	observed := msg.F("signed by BIN %s", r.sut.BIN)
	if err != nil {
		observed = msg.Of(err)
	}
	if err := r.verify("R-59", msg.F("the answer under the transport signature of %s (BIN %s)", r.sut.SystemID, r.sut.BIN), observed, err == nil); err != nil {
		return err
	}
	m, err := envelope.Parse(r.direct)
	if err != nil {
		return err
	}
	var answer envelope.ChangeMassageStatusNotificationAnswer
	if err := m.Decode(&answer); err != nil {
		return r.verify("A1-T17", msg.Raw("changeMassageStatusNotificationResponse"), msg.Of(err), false)
	}
	return r.verify("A1-T17 row 3", msg.Raw("sessionId "+r.directSID), msg.Raw(answer.Response.SessionID), answer.Response.SessionID == r.directSID)
}
