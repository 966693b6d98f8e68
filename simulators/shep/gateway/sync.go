package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/wire"
	"github.com/shepconf/shepconf/internal/xmlguard"
)

// serveSync is the synchronous channel's SendMessage (Appendix 1 section 2.1): check, route, answer.
func (g *Gateway) serveSync(w http.ResponseWriter, r *http.Request) {
	if serveContract(w, r, syncWSDL) {
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "the synchronous channel takes SOAP 1.1 requests by POST (Appendix 1 section 2.1); GET ?wsdl for its service description",
			http.StatusMethodNotAllowed)
		return
	}
	ctx := r.Context()
	x := &exchange{g: g, channel: "sync", sessionID: envelope.NewGUID()}
	in, readErr := wire.ReadBody(w, r, MaxMessageSize)
	body := in.XML
	// the acceptance clock starts when the message is read. The receipt is journalled with the
	// exchange's next record, its acceptance or refusal, in one commit: before any answer leaves.
	x.later(journal.Received, "", "", fmt.Sprintf("%s from %s", in.Describe(), r.RemoteAddr))

	var req envelope.SendMessage
	var to target
	f := soapContentType(r.Header.Get("Content-Type"))
	if f == nil {
		req, to, f = g.admitSync(ctx, x, body, readErr)
	}
	if f != nil {
		_ = x.record(ctx, journal.Rejected, f.code.ID, f.breach.Rule, said(f.breach.Text()))
		writeXML(w, http.StatusInternalServerError, x.faultBytes(*f))
		return
	}
	status, out, outcome := g.route(ctx, x, req, to)
	// The answer leaves only once its outcome is journalled: no exchange is acknowledged unrecorded.
	if outcome.kind != "" {
		if err := x.record(ctx, outcome.kind, outcome.code, outcome.rule, outcome.detail); err != nil {
			writeXML(w, http.StatusInternalServerError, x.faultBytes(journalFailure(err)))
			return
		}
	}
	writeXML(w, status, out)
}

// soapContentType checks the HTTP content type of a SOAP 1.1 request: text/xml (SOAP 1.1 over
// HTTP). A SOAP 1.2 client sends application/soap+xml and is told which version the channel speaks.
func soapContentType(ct string) *failure {
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && mt == "text/xml" {
		return nil
	}
	return &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
		Rule: "A1-T19 row 1", Field: msg.Raw("Content-Type"), Expected: msg.F("SOAP 1.1 over HTTP: Content-Type text/xml"),
		Observed: msg.F("Content-Type %q", ct), Fix: msg.F("send the envelope as text/xml; the channel speaks SOAP 1.1, not SOAP 1.2")}}
}

// target is where an admitted request goes: the owner's endpoint and the owner's system.
type target struct{ endpoint, owner string }

// admitSync checks a request before routing (A6-S1 step 1).
//
// The checks run cheapest first, so that a sender who is not authenticated costs the gateway as
// little as possible (R-53(2)):
//  1. size: at most MaxMessageSize, bounded while reading (wire.ReadBody);
//  2. the streaming pre-scan (xmlguard): attributes, names, depth, text, node counts bounded and
//     DTDs refused, in one linear pass, before any parser sees the document;
//  3. the sender's senderId and password, read by a streaming read that stops after the sender
//     (envelope.ReadCredentials), with no tree built;
//  4. the credentials: one answer for an unknown system and a wrong password, failures limited per
//     system and per address (checkCredentials);
//  5. the schema (libxml2), then one parse into the request (envelope.Parse);
//  6. the transport signature, verified once for both the peer check and the sender's (xsig.Verify);
//  7. replay, the service in the registry, the sender's access.
//
// The password is checked before the signature. A signature check parses the whole message into a
// tree and may ask the NCA's OCSP responder: done before authentication it would hand that cost,
// up to MaxMessageSize per request, to anyone; the password costs a map lookup and a comparison.
// Only a request without a password, which a peer gateway relays on its signature alone (A6-S1),
// reaches the signature without one, and only when peers are registered.
func (g *Gateway) admitSync(ctx context.Context, x *exchange, body []byte, readErr error) (envelope.SendMessage, target, *failure) {
	var req envelope.SendMessage
	var to target
	// A1-T19 row 1: the envelope is read as sent (size, Content-Encoding, charset).
	if f := readFailure("A1-T19 row 1", readErr); f != nil {
		return req, to, f
	}
	// A1-T19 row 1: a document within the parser limits, checked before any parser runs.
	if err := xmlguard.Scan(body); err != nil {
		return req, to, g.scanFailure("A1-T19 row 1", err)
	}
	// R-53(2): the login and password, before the message is validated or parsed. A request that
	// carries none is left to the schema (A1-T19 rows 9-11 say what is missing).
	const senderField = "request/requestInfo/sender"
	client := clientAddress(ctx)
	early := envelope.ReadCredentials(body)
	authenticated := false
	var sys System
	if early.Found && early.SenderID != "" {
		x.senderID = early.SenderID
		switch {
		case early.Password != "":
			var f *failure
			if sys, f = g.checkCredentials(ctx, x, claim{early.SenderID, early.Password, senderField, client}); f != nil {
				return req, to, f
			}
			authenticated = true
		case !g.registry.hasPeers() || g.sig == nil:
			// Without a password only a peer gateway's signature admits a message (A6-S1).
			return req, to, syncNoPassword()
		}
	}

	// R-5, A1-T19: the message follows the format of Appendix 1.
	g.validating()
	if v := g.syncXSD.Validate(body); len(v) > 0 {
		return req, to, &failure{code: envelope.SCE001, client: true, breach: envelope.Explain(v[0], envelope.SyncRequestMsg)}
	}
	m, err := envelope.Parse(body)
	if err == nil && m.Name() != (envelope.SendMessage{}).Element() {
		err = msg.Errorf("the Body holds %s", m.Payload.Tag)
	}
	// every message is signed; its signature is verified once, here, on the tree
	// the request is then decoded from (decoding changes the tree), and serves both the peer check
	// and the sender's.
	var signature verified
	if err == nil && g.sig != nil {
		signature = g.verifyOnce(m, m.Text("request/requestInfo/sender/senderId"))
	}
	if err == nil {
		err = m.Decode(&req)
	}
	if err != nil {
		return req, to, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T19 row 1", Expected: envelope.SyncRequestMsg.Desc, Observed: msg.Of(err),
			Fix: msg.F("send SendMessage on the synchronous channel")}}
	}
	info := req.Request.RequestInfo
	x.messageID, x.senderID, x.serviceID = info.MessageID, info.Sender.SenderID, info.ServiceID
	// R-53(2): the sender is authorised by the login and password issued by the operator; a peer
	// gateway relaying a message, by its transport signature (A6-S1). The decoded credentials are
	// checked again when they are not those the streaming read authenticated.
	if authenticated && (info.Sender.SenderID != early.SenderID || info.Sender.Password != early.Password) {
		authenticated = false
	}
	switch peer, relayed := g.signerIsPeer(signature); {
	case authenticated:
	case info.Sender.Password != "":
		var f *failure
		if sys, f = g.checkCredentials(ctx, x, claim{info.Sender.SenderID, info.Sender.Password, senderField, client}); f != nil {
			return req, to, f
		}
	case relayed:
		sys = peer
	default:
		return req, to, syncNoPassword()
	}

	// the signature belongs to the registered sender and its certificate is
	// valid (R-58 2). A messageDate far from the gateway's clock is remarked (A1-T19 row 6).
	if g.sig != nil {
		evidence, f := g.judgeSigned(ctx, signature, info.Sender.SenderID, sys.Identifier, msg.Text{},
			messageDateRemark(info.MessageDate.Time, time.Now(), "A1-T19 row 6")...)
		x.signature = evidence
		if f != nil {
			return req, to, f
		}
	}

	// a message accepted once is not accepted again; a replay is refused, even when its
	// signature is valid. This read refuses a replay early; for copies that arrive together the
	// ACCEPTED record decides (acceptOnce in serveSync).
	if seen, err := g.journal.Accepted(ctx, x.channel, info.Sender.SenderID, info.MessageID); err != nil {
		f := journalFailure(err)
		return req, to, &f
	} else if seen {
		return req, to, replayFailure("request/requestInfo/messageId", info.Sender.SenderID,
			msg.F("messageId %q was already accepted", info.MessageID), msg.F("give every message a new identifier; a replayed message is refused"))
	}

	// only services in the registry are integrated.
	svc, published := g.registry.Service(info.ServiceID)
	if !published {
		return req, to, &failure{code: envelope.SCE004, client: true, breach: &rule.Breach{
			Rule: "R-6", Field: msg.Raw("request/requestInfo/serviceId"),
			Expected: msg.F("a service in the service registry"), Observed: msg.F("serviceId %q is not in the registry", info.ServiceID),
			Fix: msg.F("call a published service (publication follows clauses 10-31)")}}
	}
	to = target{endpoint: svc.Endpoint, owner: svc.Owner}
	if info.RouteID != "" {
		var ok bool
		if to.endpoint, ok = svc.Routes[info.RouteID]; !ok {
			return req, to, &failure{code: envelope.SCE004, client: true, breach: &rule.Breach{
				Rule: "A1-T19 row 7", Field: msg.Raw("request/requestInfo/routeId"),
				Expected: msg.F("a route of the service in the registry"), Observed: msg.F("routeId %q is not a route of %s", info.RouteID, svc.ID),
				Fix: msg.F("omit routeId or use one from the registry")}}
		}
	}
	// calls from systems not granted the service are refused (access ).
	if !svc.Granted[sys.ID] {
		return req, to, &failure{code: envelope.SCE003, client: true, breach: &rule.Breach{
			Rule: "R-61", Field: msg.Raw("request/requestInfo/serviceId"),
			Expected: msg.F("a sender granted access to %s", svc.ID), Observed: msg.F("%s has no access to %s", sys.ID, svc.ID),
			Fix: msg.F("apply for connection to the service (clauses 32-45)")}}
	}
	return req, to, nil
}

// outcome is what the journal records once the exchange is over.
type outcome struct {
	kind               journal.Kind
	code, rule, detail string
}

// route hands an accepted request to the owner and turns whatever comes back, or does not, into
// the answer for the initiator.
func (g *Gateway) route(ctx context.Context, x *exchange, req envelope.SendMessage, to target) (int, []byte, outcome) {
	accepted := time.Now() // every check passed
	endpoint := to.endpoint
	req.Request.RequestInfo.SessionID = x.sessionID // A1-T19 row 8: set by the gateway
	// The password authenticates the initiator to the gateway (R-53(2)); the owner does not get it.
	req.Request.RequestInfo.Sender.Password = ""
	out, err := envelope.Marshal(req)
	if err == nil {
		out, err = g.sign(out) // A6-S1: the gateway re-signs what it hands on
	}
	if err != nil {
		return g.failed(x, failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T19", Expected: msg.F("a request the gateway can forward"), Observed: msg.Of(err)}})
	}

	// A2-T1 row 1: the owner has at most 30 s. The limit is enforced on the measured time, so a
	// late answer is late even when it arrives just before the timer fires.
	limit := g.limits.SyncMaxProcessing
	octx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	hreq, err := http.NewRequestWithContext(octx, http.MethodPost, endpoint, bytes.NewReader(out))
	if err != nil {
		return g.failed(x, failure{code: envelope.SCE009, breach: &rule.Breach{Rule: "A1-P4", Expected: msg.F("a valid owner endpoint in the registry"), Observed: msg.Of(err)}})
	}
	hreq.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hreq.Header.Set("SOAPAction", `""`)

	// the ACCEPTED record is the replay check too, in one transaction, so that of copies
	// of one message sent at once exactly one is accepted and routed. It is stamped when the checks
	// passed and written, with the receipt and the hand-over to the owner, once the request to the
	// owner is ready. The owner's time is measured from the hand-over (A2-T1): without the record
	// the owner is not called.
	if f := x.acceptOnce(ctx, "request/requestInfo/messageId", said(msg.F("checks passed, routing to %s%s", to.endpoint, x.signatureNote())),
		accepted, x.event(journal.Routed, "", "", endpoint)); f != nil {
		if f.code == envelope.SCE022 {
			return http.StatusInternalServerError, x.faultBytes(*f), outcome{journal.Rejected, f.code.ID, f.breach.Rule, said(f.breach.Text())}
		}
		return http.StatusInternalServerError, x.faultBytes(*f), outcome{} // the journal failed: nothing more is written
	}
	start := time.Now()
	resp, err := g.client.Do(hreq)
	var body []byte
	status := 0
	if err == nil {
		status = resp.StatusCode
		body, err = io.ReadAll(io.LimitReader(resp.Body, MaxMessageSize))
		resp.Body.Close()
	}
	elapsed := time.Since(start)

	switch {
	case elapsed >= limit || errors.Is(octx.Err(), context.DeadlineExceeded):
		return g.ownerFailed(x, failure{code: envelope.SCE008, breach: &rule.Breach{
			Rule: "A2-T1 row 1", Expected: msg.F("the owner's answer within %s", g.limits.Describe(rule.SyncMaxProcessing)),
			Observed: g.ownerTooSlow(elapsed, err), Fix: msg.F("the owner must process a synchronous request within 30 s; longer work belongs on the asynchronous channel")}})
	case err != nil:
		return g.ownerFailed(x, failure{code: envelope.SCE009, breach: &rule.Breach{
			Rule: "A1-P4", Expected: msg.F("an HTTP answer from the owner's endpoint %s", endpoint), Observed: msg.Of(err),
			Fix: msg.F("keep the owner's endpoint reachable (R-49)")}})
	case status != http.StatusOK && status != http.StatusInternalServerError:
		return g.ownerFailed(x, failure{code: envelope.SCE009, breach: &rule.Breach{
			Rule: "A1-P4", Expected: msg.F("HTTP 200 with SendMessageResponse, or HTTP 500 with a SOAP fault"),
			Observed: msg.F("HTTP %d: %s", status, msg.Quoted(fmt.Sprintf("%.200s", body))), Fix: msg.F("answer SendMessage with a SOAP envelope")}})
	}
	x.later(journal.OwnerAnswered, "", "", fmt.Sprintf("HTTP %d after %s", status, elapsed))

	// The owner's answer follows Appendix 1 too (A1-T20, A1-T21).
	if v := g.syncXSD.Validate(body); len(v) > 0 {
		b := envelope.Explain(v[0], envelope.SyncResponseMsg)
		b.Observed = msg.F("in the owner's answer, %s", b.Observed)
		return g.failed(x, failure{code: envelope.SCE010, breach: b})
	}
	m, err := envelope.Parse(body)
	if err != nil {
		return g.failed(x, failure{code: envelope.SCE010, breach: &rule.Breach{Rule: "A1-T20 row 1", Expected: envelope.SyncResponseMsg.Desc, Observed: msg.Of(err)}})
	}
	// the owner signs its answer too, with its own registered certificate, checked on the
	// tree the answer is then decoded from. Its evidence ends the exchange's last journal entry, so
	// that remarks on the owner's signature are reported.
	var answerSignature string
	if g.sig != nil {
		owner, _ := g.registry.System(to.owner)
		evidence, f := g.judgeSigned(ctx, g.verifyOnce(m, to.owner), to.owner, owner.Identifier, msg.F("in the owner's answer"))
		if f != nil {
			f.client = false
			return g.failed(x, *f)
		}
		answerSignature = "; transport signature " + evidence
	}
	if m.IsFault() {
		f, err := m.Fault()
		if err != nil {
			return g.failed(x, failure{code: envelope.SCE010, breach: &rule.Breach{Rule: "A1-T21", Expected: msg.F("a fault carrying ErrorInfo"), Observed: msg.Of(err)}})
		}
		// A1-T21: the owner's fault reaches the initiator as the owner wrote it, in the gateway's session.
		f.Detail.SessionID = x.sessionID
		f.DetailElement = envelope.SyncFaultElement
		out, err := envelope.Marshal(f)
		if err == nil {
			out, err = g.sign(out)
		}
		if err != nil {
			return g.failed(x, failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T21", Expected: msg.F("a fault the gateway can forward"), Observed: msg.Of(err)}})
		}
		return http.StatusInternalServerError, out, outcome{journal.Faulted, f.Detail.ErrorCode, "A1-T21", "owner's fault: " + f.Detail.ErrorMessage + answerSignature}
	}
	var answer envelope.SendMessageResponse
	if m.Name() != (envelope.SendMessageResponse{}).Element() {
		err = msg.Errorf("the Body holds %s", m.Payload.Tag)
	} else if status != http.StatusOK {
		err = msg.Errorf("SendMessageResponse came with HTTP %d", status)
	} else {
		err = m.Decode(&answer)
	}
	if err != nil {
		return g.failed(x, failure{code: envelope.SCE010, breach: &rule.Breach{Rule: "A1-T20 row 1", Expected: msg.F("HTTP 200 with SendMessageResponse"), Observed: msg.Of(err)}})
	}
	answer.Response.ResponseInfo.SessionID = x.sessionID // A1-T20 row 6: set by the gateway
	out, err = envelope.Marshal(answer)
	if err == nil {
		out, err = g.sign(out)
	}
	if err != nil {
		return g.failed(x, failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T20", Expected: msg.F("an answer the gateway can forward"), Observed: msg.Of(err)}})
	}
	// the synchronous exchange is confirmed by the response reaching the initiator.
	return http.StatusOK, out, outcome{kind: journal.Answered, detail: "owner's answer sent to the initiator" + answerSignature}
}

// signatureNote is the sender's signature check for the journal's ACCEPTED entry.
func (x *exchange) signatureNote() msg.Text {
	if x.signature == "" {
		return msg.Text{}
	}
	return msg.F("; transport signature %s", x.signature)
}

// ownerFailed journals the owner's failure on the hop itself, with the exchange's outcome, then fails
// the exchange.
func (g *Gateway) ownerFailed(x *exchange, f failure) (int, []byte, outcome) {
	x.later(journal.OwnerAnswered, f.code.ID, f.breach.Rule, said(f.breach.Text()))
	return g.failed(x, f)
}

func (g *Gateway) failed(x *exchange, f failure) (int, []byte, outcome) {
	return http.StatusInternalServerError, x.faultBytes(f), outcome{journal.Faulted, f.code.ID, f.breach.Rule, said(f.breach.Text())}
}

// inRulesTime states a measured duration in Rules time, with the real measurement when scaled.
func (g *Gateway) inRulesTime(d time.Duration) msg.Text {
	if g.limits.Scale == 1 {
		return msg.Raw(d.Round(time.Millisecond).String())
	}
	return msg.F("%s (measured %s at time scale %g)",
		g.limits.InRulesTime(d).Round(10*time.Millisecond), d.Round(time.Millisecond), g.limits.Scale)
}

// ownerTooSlow is what the owner's answer (or its absence) took, beyond the limit of A2-T1 row 1.
func (g *Gateway) ownerTooSlow(elapsed time.Duration, err error) msg.Text {
	if err != nil {
		return msg.F("no answer after %s", g.inRulesTime(elapsed))
	}
	return msg.F("the owner answered after %s", g.inRulesTime(elapsed))
}

func journalFailure(err error) failure {
	return failure{code: envelope.SCE909, breach: &rule.Breach{
		Rule: "R-53", Expected: msg.F("every event logged in the gateway's journal (R-53(3))"), Observed: msg.Of(err),
		Fix: msg.F("retry later; the gateway cannot accept a message it cannot journal")}}
}

// syncNoPassword refuses a synchronous request without a password (A1-T19 row 11): the answer
// depends on the request alone.
func syncNoPassword() *failure {
	return noPassword("A1-T19 row 11", "request/requestInfo/sender/password", msg.F("password (xsd:string, required on the synchronous channel)"))
}
