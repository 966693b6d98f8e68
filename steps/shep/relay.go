package shep

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// relay stands on one hop between two parties (an initiator under test and the gateway, the
// gateway and an owner under test): it records every request as it travelled and every answer as
// it came back, and may change the answers on their way (an attacker on the wire) or answer an
// HTTP error itself (a failing network). The sender knows only the relay's URL, so the relay sees
// everything it sends.
type relay struct {
	to     string // the base URL requests go on to; the request's path is kept
	client *http.Client

	mu       sync.Mutex
	alter    *answerAlteration // nil passes answers on unchanged
	failNext int               // an HTTP status to answer the next request with, instead of forwarding it
	calls    []relayCall
}

// relayCall is one request relayed and what came back.
type relayCall struct {
	Request []byte
	Status  int    // the status the sender got
	Gateway []byte // the answer as the receiving party sent it; nil when the relay answered itself
	Passed  []byte // the answer as the sender got it
}

// answerAlteration is what an attacker does to the gateway's answer, and the rule that makes the
// initiator refuse the result.
type answerAlteration struct {
	what  msg.Text // what was done to the answer, for the verdict
	rule  string
	apply func([]byte) ([]byte, error)
}

// newRelay relays to the base URL to, waiting at most timeout for each answer.
func newRelay(to string, timeout time.Duration) *relay {
	return &relay{to: strings.TrimSuffix(to, "/"), client: &http.Client{Timeout: timeout}}
}

func (t *relay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, gateway.MaxMessageSize))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	t.mu.Lock()
	call := relayCall{Request: body}
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
	req, err := http.NewRequestWithContext(r.Context(), r.Method, t.to+r.URL.RequestURI(), bytes.NewReader(body))
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
		http.Error(w, "relay: no answer from "+t.to+": "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	call.Gateway, _ = io.ReadAll(resp.Body)
	call.Status, call.Passed = resp.StatusCode, call.Gateway
	if alter != nil {
		if call.Passed, err = alter.apply(call.Gateway); err != nil {
			call.Status, call.Passed = http.StatusBadGateway, []byte("relay: "+err.Error())
		}
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(call.Status)
	_, _ = w.Write(call.Passed)
}

// set makes the relay alter every answer from now on.
func (t *relay) set(a *answerAlteration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.alter = a
}

// failWith makes the relay answer the next request with an HTTP status, without forwarding it.
func (t *relay) failWith(status int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failNext = status
}

func (t *relay) recorded() []relayCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]relayCall(nil), t.calls...)
}
