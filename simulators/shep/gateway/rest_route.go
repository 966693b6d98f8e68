package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// routeREST hands an accepted REST request to the owner over HTTPS and returns the owner's answer,
// checked against A1-T23, byte for byte as the owner wrote it (R-2.5: the gateway does not alter
// the business data).
func (g *Gateway) routeREST(ctx context.Context, x *exchange, req envelope.RESTRequest, to target) ([]byte, *failure) {
	// The password authenticates the initiator to the gateway (R-53(2)); the owner does not get it.
	// The field stays, empty, because A1-T22 row 9 requires it.
	req.Request.RequestInfo.Sender.Password = ""
	out, err := json.Marshal(req)
	if err != nil {
		return nil, &failure{code: envelope.SCE909, breach: &rule.Breach{Rule: "A1-T22", Expected: msg.F("a request the gateway can forward"), Observed: msg.Of(err)}}
	}

	// A2-T1 row 1 applies to REST as to SOAP: the owner has at most 30 s, judged on the measured time.
	limit := g.limits.SyncMaxProcessing
	octx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	hreq, err := http.NewRequestWithContext(octx, http.MethodPost, to.endpoint, bytes.NewReader(out))
	if err != nil {
		return nil, &failure{code: envelope.SCE009, breach: &rule.Breach{Rule: "A1-P5", Expected: msg.F("a valid owner endpoint in the registry"), Observed: msg.Of(err)}}
	}
	hreq.Header.Set("Content-Type", "application/json; charset=utf-8")
	hreq.Header.Set("Bip-Session-Id", x.sessionID)
	client := g.rest.OwnerClient
	if client == nil {
		client = g.client
	}

	// The owner's time is measured from this record (A2-T1): without it the owner is not called.
	if err := x.record(ctx, journal.Routed, "", "", to.endpoint); err != nil {
		f := journalFailure(err)
		return nil, &f
	}
	start := time.Now()
	resp, err := client.Do(hreq)
	var body []byte
	status := 0
	if err == nil {
		status = resp.StatusCode
		body, err = io.ReadAll(io.LimitReader(resp.Body, MaxMessageSize))
		resp.Body.Close()
	}
	elapsed := time.Since(start)

	var f *failure
	switch {
	case elapsed >= limit || errors.Is(octx.Err(), context.DeadlineExceeded):
		f = &failure{code: envelope.SCE008, breach: &rule.Breach{
			Rule: "A2-T1 row 1", Expected: msg.F("the owner's answer within %s", g.limits.Describe(rule.SyncMaxProcessing)),
			Observed: g.ownerTooSlow(elapsed, err), Fix: msg.F("the owner must answer a REST request within 30 s, as a synchronous one")}}
	case err != nil:
		f = &failure{code: envelope.SCE009, breach: &rule.Breach{
			Rule: "A1-P5", Expected: msg.F("an HTTPS answer from the owner's endpoint %s", to.endpoint), Observed: msg.Of(err),
			Fix: msg.F("keep the owner's endpoint reachable over HTTPS with an NCA certificate (R-2.7, R-49)")}}
	case status != http.StatusOK:
		f = &failure{code: envelope.SCE009, breach: &rule.Breach{
			Rule: "A1-P5", Expected: msg.F("HTTP 200 with a REST response (A1-T23)"),
			Observed: msg.F("HTTP %d: %s", status, msg.Quoted(fmt.Sprintf("%.200s", body))), Fix: msg.F("answer the REST request with HTTP 200 and the A1-T23 body")}}
	}
	if f != nil {
		_ = x.record(ctx, journal.OwnerAnswered, f.code.ID, f.breach.Rule, said(f.breach.Text()))
		return nil, f
	}
	_ = x.record(ctx, journal.OwnerAnswered, "", "", fmt.Sprintf("HTTP %d after %s", status, elapsed))

	// The owner's answer follows A1-T23.
	if v := g.rest.response.Validate(body); len(v) > 0 {
		b := envelope.Explain(v[0], envelope.RESTResponseMsg)
		b.Observed = msg.F("in the owner's answer, %s", b.Observed)
		return nil, &failure{code: envelope.SCE010, breach: b}
	}
	return body, nil
}
