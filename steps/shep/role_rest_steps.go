package shep

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// roleRESTWorld is a scenario of the rest-owner and rest-initiator roles: the scenario's gateway and
// reference REST counterparts (restWorld), and the system under test in their place.
type roleRESTWorld struct {
	*restWorld
	since   time.Time        // when the system under test was first made to act
	data    string           // the business data it was given to send
	results []trigger.Result // what it reported, per trigger
	direct  *owner.Exchange  // a request sent straight to the REST owner under test, bypassing the gateway
}

func init() { stepSets = append(stepSets, registerRoleRESTSteps) }

func registerRoleRESTSteps(w *World, sc *godog.ScenarioContext) {
	r := &roleRESTWorld{restWorld: &restWorld{World: w}}
	sc.Step(`^the gateway serves REST services over HTTPS to and from the system under test$`, r.gatewayServes)

	// rest-owner
	sc.Step(`^the system under test serves "([^"]*)" in the REST style over HTTPS$`, r.sutServes)
	sc.Step(`^"([^"]*)" calls the REST owner under test on "([^"]*)" with the data (.+)$`, r.callsData)
	sc.Step(`^"([^"]*)" sends a request to the REST owner under test on "([^"]*)" signed and encrypted for the gateway$`, r.sendsSealed)
	sc.Step(`^a REST request for "([^"]*)" is sent straight to the REST owner under test with no client certificate$`, r.straightWithoutCert)
	sc.Step(`^a REST request for "([^"]*)" is sent straight to the REST owner under test with the client certificate of another organisation$`, r.straightAsAnother)
	sc.Step(`^the journal shows the REST owner under test answered within (\d+) seconds$`, r.ownerAnsweredWithin)
	sc.Step(`^the answer of the REST owner under test reaches the initiator$`, r.ownerAnswerReaches)
	sc.Step(`^the answer of the REST owner under test is valid against the A1-T23 schema$`, r.answerValid)
	sc.Step(`^the journal records the REST exchange with the owner under test as "([^"]*)"$`, r.journalOutcome)
	sc.Step(`^the journal shows the signature of "([^"]*)" in the sealed message to the owner under test checked by (OCSP|CRL)$`, r.journalShowsSealedSigner)
	sc.Step(`^the REST owner under test refuses it without an A1-T23 answer$`, r.sutRefusedDirect)

	// rest-initiator
	sc.Step(`^the owner system "([^"]*)" serves "([^"]*)" to the system under test in the REST style over HTTPS$`, r.ownerServes)
	sc.Step(`^the system under test is registered with the gateway and granted access to "([^"]*)"$`, r.sutGranted)
	sc.Step(`^the REST owner of "([^"]*)" answers with the data "([^"]*)"$`, r.ownerAnswersData)
	sc.Step(`^the REST owner of "([^"]*)" answers without "([^"]*)"$`, r.ownerAnswersWithout)
	sc.Step(`^the REST owner of "([^"]*)" answers after (\d+) seconds$`, r.ownerAnswersAfter)
	sc.Step(`^the system under test is made to call "([^"]*)" in the REST style with the data (.+)$`, r.sutCalls)
	sc.Step(`^the system under test is made to call "([^"]*)" in the REST style twice$`, r.sutCallsTwice)
	sc.Step(`^the gateway accepted the REST request of the system under test over HTTPS, authenticated and valid against A1-T22$`, r.sutRequestAccepted)
	sc.Step(`^the journal records the REST exchange of the system under test as "([^"]*)"$`, r.sutJournalOutcome)
	sc.Step(`^the journal records the REST exchange of the system under test as "([^"]*)" with code "([^"]*)"$`, r.sutJournalOutcomeCode)
	sc.Step(`^the REST owner received the request of the system under test with the business data unaltered and without the password$`, r.ownerGotSUTRequest)
	sc.Step(`^the system under test reports the owner's answer "([^"]*)"$`, r.sutReportsAnswer)
	sc.Step(`^the system under test reports a fault with code "([^"]*)"$`, r.sutReportsFault)
	sc.Step(`^the gateway's journal shows two REST requests of the system under test with different messageIds$`, r.sutFreshMessageIDs)
}

// ---- rest-owner: the system under test serves, a reference initiator calls ----

// sutServes registers the system under test with the gateway as the owner of a REST service, at
// its HTTPS endpoint.
func (r *roleRESTWorld) sutServes(ctx context.Context, serviceID string) error {
	t, err := r.target(ctx)
	if err != nil {
		return err
	}
	if t.RESTURL == "" {
		return msg.Errorf("the system under test has no REST endpoint: give sut.restUrl in the configuration")
	}
	r.registry.AddSystem(gateway.System{ID: t.SystemID, Password: t.Password, Identifier: t.BIN})
	r.registry.AddService(gateway.Service{ID: serviceID, Owner: t.SystemID, Endpoint: t.RESTURL})
	r.exercise(serviceID)
	return nil
}

// ownerAnsweredWithin judges the owner's processing time the gateway measured (A2-T1 row 1).
func (r *roleRESTWorld) ownerAnsweredWithin(ctx context.Context, seconds int) error {
	want := time.Duration(seconds) * time.Second
	expected := msg.F("the REST owner under test answered within %s", r.suite.Limits.Describe(want))
	x, err := r.journal(ctx)
	if err != nil {
		return r.verify("A2-T1 row 1", expected, msg.Of(err), false)
	}
	ownerFailed := ""
	for _, e := range x.Events {
		if e.Kind == journal.OwnerAnswered && e.Code == envelope.SCE008.ID {
			ownerFailed = e.Detail
		}
	}
	took := x.OwnerTime()
	observed := msg.F("%s (Rules time %s)", took, r.suite.Limits.InRulesTime(took))
	if ownerFailed != "" {
		observed = gateway.Explain(ownerFailed)
	}
	return r.verify("A2-T1 row 1", expected, observed,
		!x.OwnerAnswered.IsZero() && ownerFailed == "" && took < r.suite.Limits.Scaled(want))
}

// ownerAnswerReaches checks that the owner's answer, not a gateway error, came back. When the
// gateway refused the owner's answer, the verdict names the rule the owner broke.
func (r *roleRESTWorld) ownerAnswerReaches() error {
	ruleID := "A1-T23"
	if r.fault != nil && r.fault.Error.Rule != "" {
		ruleID = r.fault.Error.Rule
	}
	return r.verify(ruleID, msg.F("HTTP 200 with the answer of the REST owner under test"), r.observed(), r.answer != nil)
}

func (r *roleRESTWorld) straightWithoutCert(ctx context.Context, serviceID string) error {
	return r.straight(ctx, serviceID, nil)
}

func (r *roleRESTWorld) straightAsAnother(ctx context.Context, serviceID string) error {
	// Presented over TLS only, so of a key type crypto/tls can present (joseKey).
	other, err := r.suite.NCA.Issue(nca.Subject{CommonName: "Another organisation's system", BIN: binOf("ANOTHER_ORG")}, r.joseKey())
	if err != nil {
		return err
	}
	return r.straight(ctx, serviceID, other)
}

// straight posts an A1-T22 request, as the gateway forwards it, to the REST owner under test
// without the gateway: over HTTPS, presenting cert (or none) instead of the gateway's certificate.
func (r *roleRESTWorld) straight(ctx context.Context, serviceID string, cert *pki.Identity) error {
	svc, ok := r.registry.Service(serviceID)
	if !ok {
		return msg.Errorf("service %s is not in the registry", serviceID)
	}
	in := &owner.RESTInitiator{SystemID: "INITIATOR_SYS"}
	body, _ := json.Marshal(in.Request(serviceID, json.RawMessage(defaultData)))
	r.attach("REST request sent straight to the owner under test", "application/json", body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, svc.Endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	client := r.tlsClient(cert)
	client.Timeout = r.suite.Limits.Scaled(rule.SyncMaxProcessing)
	x := &owner.Exchange{Request: body}
	resp, err := client.Do(req)
	if err == nil {
		x.Status = resp.StatusCode
		x.Response, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
	x.Err = err
	r.direct = x
	if err == nil {
		r.attach(fmt.Sprintf("answer of the owner under test, HTTP %d", x.Status), "text/plain", x.Response)
	}
	return nil
}

// sutRefusedDirect: the owner serves only the gateway (R-2.7: HTTPS security measures and user
// authentication; the gateway is known by its NCA certificate). A closed connection or an HTTP
// error is a refusal; an A1-T23 answer is not.
func (r *roleRESTWorld) sutRefusedDirect() error {
	x := r.direct
	if x == nil {
		return msg.Errorf("no request was sent straight to the owner under test")
	}
	observed := msg.F("HTTP %d: %s", x.Status, quotedBody(x.Response, 300))
	answered := false
	if x.Err != nil {
		observed = msg.F("the connection was refused: %s", msg.Of(x.Err))
	} else {
		answered = x.Status == http.StatusOK || len(r.response.Validate(x.Response)) == 0
	}
	return r.verify("R-2.7", msg.F("a refusal (HTTP error or TLS refusal) of a REST call that does not come from the gateway"), observed, !answered)
}

// ---- rest-initiator: the system under test calls, a reference owner answers ----

// sutGranted registers the system under test with the gateway, with the password it was given, and
// grants it access to serviceID.
func (r *roleRESTWorld) sutGranted(ctx context.Context, serviceID string) error {
	t, err := r.target(ctx)
	if err != nil {
		return err
	}
	r.registry.AddSystem(gateway.System{ID: t.SystemID, Password: t.Password, Identifier: t.BIN})
	return r.granted(t.SystemID, serviceID)
}

func (r *roleRESTWorld) ownerAnswersData(serviceID, data string) {
	r.owner.Handle(serviceID, owner.Behaviour{Data: data})
}

// fireREST makes the system under test call serviceID through the scenario's gateway over HTTPS.
func (r *roleRESTWorld) fireREST(ctx context.Context, serviceID, data string) error {
	if r.since.IsZero() {
		r.since = time.Now()
	}
	r.data = data
	r.exercise(serviceID)
	res, err := r.fire(ctx, trigger.Request{Action: trigger.Send, Channel: trigger.REST, Gateway: r.httpsURL,
		ServiceID: serviceID, Data: data})
	if err != nil {
		return err
	}
	r.results = append(r.results, res)
	return nil
}

func (r *roleRESTWorld) sutCalls(ctx context.Context, serviceID, data string) error {
	return r.fireREST(ctx, serviceID, data)
}

func (r *roleRESTWorld) sutCallsTwice(ctx context.Context, serviceID string) error {
	if err := r.fireREST(ctx, serviceID, defaultData); err != nil {
		return err
	}
	return r.fireREST(ctx, serviceID, defaultData)
}

// sutExchanges are the REST exchanges the system under test started at the scenario's gateway, as
// the journal records them.
func (r *roleRESTWorld) sutExchanges(ctx context.Context) ([]journal.Exchange, error) {
	t, err := r.target(ctx)
	if err != nil {
		return nil, err
	}
	sessions, err := r.suite.Journal.SessionsOf(ctx, "rest", t.SystemID, r.since)
	if err != nil {
		return nil, err
	}
	var out []journal.Exchange
	for _, s := range sessions {
		x, err := r.suite.Journal.Exchange(ctx, s)
		if err != nil {
			return nil, err
		}
		r.attachJSON("journal "+s, x.Events)
		out = append(out, x)
	}
	return out, nil
}

// sutExchange is the last REST exchange of the system under test, or a failed verdict naming ruleID.
func (r *roleRESTWorld) sutExchange(ctx context.Context, ruleID string, expected msg.Text) (journal.Exchange, error) {
	xs, err := r.sutExchanges(ctx)
	switch {
	case err != nil:
		return journal.Exchange{}, r.verify(ruleID, expected, msg.Of(err), false)
	case len(xs) == 0:
		return journal.Exchange{}, r.verify(ruleID, expected, msg.F("the gateway's journal holds no REST request of the system under test"), false)
	}
	return xs[len(xs)-1], nil
}

// rejectionRule is the clause a refusal of the gateway breaks, by its code: no HTTPS,
// authentication (R-53(2)), format (A1-T22); otherwise the rule the gateway named.
func rejectionRule(x journal.Exchange) string {
	switch x.Code {
	case envelope.SCE031.ID:
		return "R-2.7"
	case envelope.SCE002.ID:
		return "R-53"
	case envelope.SCE001.ID:
		return "A1-T22"
	}
	return x.Rule
}

// sutRequestAccepted judges what travelled from the gateway's journal: the request came over TLS
// and the gateway accepted it, which it does only for an authenticated sender (R-53(2))
// and a body valid against A1-T22.
func (r *roleRESTWorld) sutRequestAccepted(ctx context.Context) error {
	expected := msg.F("a REST request of the system under test over HTTPS, authenticated and valid against A1-T22, accepted by the gateway")
	x, err := r.sutExchange(ctx, "R-53", expected)
	if err != nil {
		return err
	}
	transport := ""
	for _, e := range x.Events {
		if e.Kind == journal.Received {
			transport = e.Detail
		}
	}
	if err := r.verify("R-2.7", msg.F("the request received over TLS"), gateway.Explain(transport), strings.Contains(transport, " over TLS")); err != nil {
		return err
	}
	if x.Accepted.IsZero() {
		observed := []msg.Text{msg.F("%s %s (%s)", x.Outcome, x.Code, x.Rule)}
		for _, e := range x.Events {
			if e.Kind == journal.Rejected {
				observed = append(observed, gateway.Explain(e.Detail))
			}
		}
		return r.verify(rejectionRule(x), expected, msg.Join(observed, ": "), false) // the journal's own words
	}
	return r.verify("R-53", expected, msg.F("accepted"), true)
}

func (r *roleRESTWorld) sutJournalOutcome(ctx context.Context, kind string) error {
	expected := msg.F("the REST exchange of the system under test journaled %s", kind)
	x, err := r.sutExchange(ctx, "R-53", expected)
	if err != nil {
		return err
	}
	ruleID := "R-53"
	if string(x.Outcome) != kind && x.Outcome == journal.Rejected {
		ruleID = rejectionRule(x)
	}
	return r.verify(ruleID, expected, msg.Raw(fmt.Sprintf("%s %s %s", x.Outcome, x.Code, x.Rule)), string(x.Outcome) == kind)
}

func (r *roleRESTWorld) sutJournalOutcomeCode(ctx context.Context, kind, code string) error {
	expected := msg.F("the REST exchange of the system under test journaled %s with code %s", kind, code)
	x, err := r.sutExchange(ctx, "R-53", expected)
	if err != nil {
		return err
	}
	ruleID := "R-53"
	if x.Outcome == journal.Rejected {
		ruleID = rejectionRule(x)
	}
	return r.verify(ruleID, expected, msg.Raw(fmt.Sprintf("%s %s %s", x.Outcome, x.Code, x.Rule)), string(x.Outcome) == kind && x.Code == code)
}

// ownerGotSUTRequest compares what the reference owner received, in the journaled session, with
// the data the harness gave the system to send (A1-T22 rows 10-11, R-2.5).
func (r *roleRESTWorld) ownerGotSUTRequest(ctx context.Context) error {
	x, err := r.sutExchange(ctx, "A1-T22", msg.F("the request of the system under test routed to the owner"))
	if err != nil {
		return err
	}
	var got *owner.RESTReceived
	for _, rec := range r.owner.Received() {
		if rec.SessionID == x.SessionID {
			got = &rec
		}
	}
	if got == nil {
		return r.verify("A1-T22", msg.F("the owner received the request of session %s", x.SessionID), msg.F("the owner received nothing of it"), false)
	}
	r.attach("request as the owner received it", "application/json", got.Body)
	if err := r.verify("A1-T22", msg.F("the business data as the system was given it: %s", r.data),
		msg.F("the owner received %s", string(got.Request.Request.RequestData.Data)), jsonEqual(json.RawMessage(r.data), got.Request.Request.RequestData.Data)); err != nil {
		return err
	}
	pw := got.Request.Request.RequestInfo.Sender.Password
	return r.verify("R-53", msg.F("no password forwarded to the owner"), msg.F("password %q", pw), pw == "")
}

// lastResult is what the system under test reported the last time it was made to act, and its
// error: the system's own words, or that it was not made to act at all.
func (r *roleRESTWorld) lastResult() (trigger.Result, msg.Text) {
	if len(r.results) == 0 {
		return trigger.Result{Outcome: trigger.Unknown}, msg.F("the system under test was not made to act")
	}
	res := r.results[len(r.results)-1]
	return res, quoted(res.Error)
}

// sutReportsAnswer: the system took the owner's answer, whose data the harness programmed.
func (r *roleRESTWorld) sutReportsAnswer(data string) error {
	res, resErr := r.lastResult()
	want, _ := json.Marshal(data)
	return r.verify("A1-T23", msg.F("outcome %s with the owner's data %s", trigger.Answered, want),
		msg.F("outcome %s with %.300s %s", res.Outcome, res.Answer, resErr),
		res.Outcome == trigger.Answered && jsonEqual(want, json.RawMessage(res.Answer)))
}

// sutReportsFault: a gateway error is no A1-T23 answer; the system reports it as a fault with its code.
func (r *roleRESTWorld) sutReportsFault(code string) error {
	res, resErr := r.lastResult()
	return r.verify("A1-T23", msg.F("outcome %s with code %s, not an answer", trigger.Fault, code),
		msg.F("outcome %s code %q %.300s%.300s", res.Outcome, res.Code, res.Answer, resErr),
		res.Outcome == trigger.Fault && res.Code == code)
}

// sutFreshMessageIDs judges the messageIds from the journal, not from what the system reported.
func (r *roleRESTWorld) sutFreshMessageIDs(ctx context.Context) error {
	expected := msg.F("two REST requests of the system under test, each with its own messageId")
	xs, err := r.sutExchanges(ctx)
	if err != nil {
		return r.verify("R-61", expected, msg.Of(err), false)
	}
	var ids []string
	for _, x := range xs {
		for _, e := range x.Events {
			if e.MessageID != "" {
				ids = append(ids, e.MessageID)
				break
			}
		}
	}
	return r.verify("R-61", expected, msg.F("messageIds %q", ids), len(ids) == 2 && ids[0] != ids[1])
}
