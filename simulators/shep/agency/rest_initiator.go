package agency

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

func init() {
	addRole("rest-initiator", map[string]string{
		"rest-no-auth":           "it calls REST services without its password, in the body or by HTTP Basic (R-53(2), A1-T22 row 9)",
		"rest-error-as-answer":   "it reports the gateway's REST error as the owner's answer (A1-T23)",
		"rest-reused-message-id": "it sends every REST request with the messageId of its first (R-61)",
	}, setupRESTInitiator)
}

// restInitiator calls REST services through the gateway over HTTPS (A1-T22) and checks the answer
// (A1-T23).
type restInitiator struct {
	sys      *System
	http     *http.Client
	response *schema.JSON

	mu    sync.Mutex
	first string // the first messageId sent, which the rest-reused-message-id defect sends again
}

func setupRESTInitiator(s *System) error {
	response, err := schema.CompileJSON(shepfixtures.REST(), "response.schema.json")
	if err != nil {
		return fmt.Errorf("A1-T23 schema: %w", err)
	}
	// the gateway serves REST over HTTPS with a certificate from the NCA, whose roots the
	// system trusts; it presents its own NCA certificate for mutual TLS, which the gateway checks
	// against its registration.
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: s.clientCertificates()}
	if s.cfg.Checker != nil {
		tc.RootCAs = s.cfg.Checker.Roots
	}
	i := &restInitiator{sys: s, response: response,
		http: &http.Client{Timeout: s.cfg.HTTP.Timeout, Transport: &http.Transport{TLSClientConfig: tc}}}
	s.on(trigger.REST, trigger.Send, i.send)
	return nil
}

// send builds the A1-T22 request with a fresh messageId, calls the gateway and reports what came
// back: answered (a valid A1-T23 answer), fault (the gateway's REST error), refused (an answer that
// is not A1-T23) or failed (no answer).
func (i *restInitiator) send(ctx context.Context, r trigger.Request) trigger.Result {
	in := &owner.RESTInitiator{SystemID: i.sys.cfg.SystemID, Password: i.sys.cfg.Password, Gateway: r.Gateway, HTTP: i.http}
	var data json.RawMessage
	if r.Data != "" {
		if !json.Valid([]byte(r.Data)) {
			return trigger.Result{Outcome: trigger.Failed, Error: "the data to send is not JSON: " + r.Data}
		}
		data = json.RawMessage(r.Data)
	}
	req := in.Request(r.ServiceID, data)
	if i.sys.Defect("rest-reused-message-id") {
		i.mu.Lock()
		if i.first == "" {
			i.first = req.Request.RequestInfo.MessageID
		}
		req.Request.RequestInfo.MessageID = i.first
		i.mu.Unlock()
	}
	if i.sys.Defect("rest-no-auth") {
		req.Request.RequestInfo.Sender.Password = ""
	}
	body, err := json.Marshal(req)
	if err != nil {
		return trigger.Result{Outcome: trigger.Failed, Error: err.Error()}
	}
	x := in.Send(ctx, r.Gateway, "application/json", body)
	res := trigger.Result{MessageID: req.Request.RequestInfo.MessageID}
	if x.Err != nil {
		res.Outcome, res.Error = trigger.Failed, x.Err.Error()
		return res
	}
	if i.sys.Defect("rest-error-as-answer") {
		res.Outcome, res.Answer = trigger.Answered, string(x.Response)
		return res
	}
	if x.Status != http.StatusOK {
		// The gateway's refusals carry the fields of ErrorInfo under "error" (fixtures/README.md).
		var f struct {
			Error struct{ ErrorCode, ErrorMessage, ErrorData string } `json:"error"`
		}
		if json.Unmarshal(x.Response, &f) == nil && f.Error.ErrorCode != "" {
			res.Outcome, res.Code, res.Error = trigger.Fault, f.Error.ErrorCode, f.Error.ErrorData
			return res
		}
		res.Outcome, res.Error = trigger.Failed, fmt.Sprintf("HTTP %d: %.300s", x.Status, x.Response)
		return res
	}
	// A1-T23: only an answer in the REST format of Appendix 1 is taken.
	if v := i.response.Validate(x.Response); len(v) > 0 {
		res.Outcome, res.Error = trigger.Refused, envelope.Explain(v[0], envelope.RESTResponseMsg).Error()
		return res
	}
	var a envelope.RESTResponse
	if err := json.Unmarshal(x.Response, &a); err != nil {
		res.Outcome, res.Error = trigger.Refused, err.Error()
		return res
	}
	res.Outcome, res.Answer = trigger.Answered, string(a.Response.ResponseData.Data)
	return res
}
