package steps

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/tamper"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/gateway"
	"github.com/shepconf/shepconf/simulators/nca"
)

// wireTap stands between an initiator under test and the scenario's gateway: it records every
// request as it travelled and every answer as the gateway sent it, and may change the answers on
// their way back (an attacker on the wire) or answer an HTTP error itself (a failing network). The
// initiator knows only the tap's URL, so the tap sees everything it sends.
type wireTap struct {
	gateway string // the gateway's base URL
	client  *http.Client

	mu       sync.Mutex
	alter    *answerAlteration // nil passes answers on unchanged
	failNext int               // an HTTP status to answer the next request with, instead of forwarding it
	calls    []tapCall
}

// tapCall is one request the initiator sent and what came back.
type tapCall struct {
	Request []byte
	Status  int    // the status the initiator got
	Gateway []byte // the answer as the gateway sent it; nil when the tap answered itself
	Passed  []byte // the answer as the initiator got it
}

// answerAlteration is what an attacker does to the gateway's answer, and the rule that makes the
// initiator refuse the result.
type answerAlteration struct {
	what  string
	rule  string
	apply func([]byte) ([]byte, error)
}

func newWireTap(gatewayURL string, timeout time.Duration) *wireTap {
	return &wireTap{gateway: strings.TrimSuffix(gatewayURL, "/"), client: &http.Client{Timeout: timeout}}
}

func (t *wireTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, gateway.MaxMessageSize))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	t.mu.Lock()
	call := tapCall{Request: body}
	status, alter := t.failNext, t.alter
	t.failNext = 0
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.calls = append(t.calls, call)
		t.mu.Unlock()
	}()

	if status != 0 {
		call.Status, call.Passed = status, []byte(http.StatusText(status))
		http.Error(w, http.StatusText(status), status)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, t.gateway+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for _, h := range []string{"Content-Type", "SOAPAction"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := t.client.Do(req)
	if err != nil {
		call.Status = http.StatusBadGateway
		http.Error(w, "wire tap: the gateway did not answer: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	call.Gateway, _ = io.ReadAll(resp.Body)
	call.Status, call.Passed = resp.StatusCode, call.Gateway
	if alter != nil {
		if call.Passed, err = alter.apply(call.Gateway); err != nil {
			call.Status, call.Passed = http.StatusBadGateway, []byte("wire tap: "+err.Error())
		}
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(call.Status)
	_, _ = w.Write(call.Passed)
}

// set makes the tap alter every answer from now on.
func (t *wireTap) set(a *answerAlteration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.alter = a
}

// failWith makes the tap answer the next request with an HTTP status, without forwarding it.
func (t *wireTap) failWith(status int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failNext = status
}

func (t *wireTap) recorded() []tapCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]tapCall(nil), t.calls...)
}

// ---- what an attacker on the wire does to the gateway's answer ----

// unsignedAnswer takes the gateway's transport signature off: R-59 has every message signed.
var unsignedAnswer = &answerAlteration{what: "the gateway's signature taken off", rule: "R-59", apply: unsignEnvelope}

// alteredAnswer changes the business data after the gateway signed it: the integrity check of
// R-53(1) fails.
var alteredAnswer = &answerAlteration{what: "altered after the gateway signed it", rule: "R-53",
	apply: func(doc []byte) ([]byte, error) {
		return tamper.Apply(doc, tamper.SetText("response/responseData/data", "altered in transit"))
	}}

// wrappedAnswer is the signature wrapping attack on the answer: the signed Body moves into the
// header, a forged Body with another Id takes its place; the signature still verifies over the
// moved copy, so only a verifier that checks what was signed is the Body refuses it.
var wrappedAnswer = &answerAlteration{what: "wrapped around a forged body", rule: "R-58", apply: wrapAnswer}

// answerSignedBy replaces the gateway's signature with the valid signature of another system:
// the signer is not the gateway (A6-S1, R-54).
func answerSignedBy(systemID string, id *nca.Identity) *answerAlteration {
	return &answerAlteration{what: "signed by " + systemID + " instead of the gateway", rule: "R-54",
		apply: func(doc []byte) ([]byte, error) {
			doc, err := unsignEnvelope(doc)
			if err != nil {
				return nil, err
			}
			return xsig.Sign(doc, id)
		}}
}

// unsignEnvelope removes the wsse:Security header block.
func unsignEnvelope(doc []byte) ([]byte, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("unsign: %w", err)
	}
	header := d.FindElement("/Envelope/Header")
	if header == nil {
		return doc, nil
	}
	for _, sec := range header.SelectElements("Security") {
		header.RemoveChild(sec)
	}
	return d.WriteToBytes()
}

func wrapAnswer(doc []byte) ([]byte, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("wrap: %w", err)
	}
	env := d.Root()
	header, body := env.SelectElement("Header"), env.SelectElement("Body")
	if header == nil || body == nil {
		return nil, fmt.Errorf("wrap: the answer has no SOAP Header and Body")
	}
	wrapper := header.CreateElement("x:Wrapper")
	wrapper.CreateAttr("xmlns:x", "urn:attacker")
	wrapper.AddChild(body.Copy())
	for i, a := range body.Attr {
		if a.Key == "Id" {
			body.Attr[i].Value = "forged-" + a.Value
		}
	}
	out, err := d.WriteToBytes()
	if err != nil {
		return nil, err
	}
	// Only the Body in place is forged; the signed copy in the header stays as the gateway wrote it.
	return tamper.Apply(out, tamper.SetText("response/responseData/data", "forged data"))
}

// sessionOfAnswer is the gateway's session named in its answer or fault (A1-T20 row 6, A1-T21 row 6).
func sessionOfAnswer(answer []byte) string {
	m, err := envelope.Parse(answer)
	if err != nil {
		return ""
	}
	if m.IsFault() {
		f, _ := m.Fault()
		return f.Detail.SessionID
	}
	var r envelope.SendMessageResponse
	_ = m.Decode(&r)
	return r.Response.ResponseInfo.SessionID
}
