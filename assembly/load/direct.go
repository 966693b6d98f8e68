package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// Hop is the gateway's side of a synchronous exchange, which a direct load plays itself: it sends
// each request to the owner as the gateway forwards it, measures the owner's processing time from
// sending the request to reading the whole answer (A2-T1) and checks the answer as the gateway does
// (A1-T20, R-59). The simulated gateway signs, verifies and journals every exchange, which bounds
// what it carries on a small machine well below what an owner may have to sustain; a direct load
// takes it off the path, and with it acceptance, which is the gateway's and not judged.
type Hop struct {
	// Owner is the owner system: where requests go (Endpoint), and the system ID and BIN the
	// certificate of its answers must carry.
	Owner System
	// Gateway is the gateway's certificate, issued by the run's NCA, which the owner checks on
	// every request (A6-S1).
	Gateway *pki.Identity
	// Checker judges the owner's certificate against the run's NCA.
	Checker *xsig.Checker
	// SenderID is the initiator the requests name, and ServiceID the service they call.
	SenderID, ServiceID string
}

// DirectTarget sends the requests of h straight to its owner.
func DirectTarget(h Hop) (Target, error) {
	if h.Gateway == nil || h.Checker == nil || h.Owner.Endpoint == "" {
		return Target{}, errors.New("direct load: the owner's endpoint, the gateway's certificate and a checker are needed")
	}
	xsd, err := schema.CompileXSD(shepfixtures.XSD(), "sync-channel.xsd", "data")
	if err != nil {
		return Target{}, fmt.Errorf("synchronous channel schema: %w", err)
	}
	return Target{Channel: "sync", URL: h.Owner.Endpoint, Owner: h.Owner, hop: &hop{Hop: h, xsd: xsd},
		Envelope: freshRequests(h.Gateway, func(v []string) ([]byte, error) {
			// The request as the gateway forwards it (simulators/shep/gateway route): its own
			// sessionId (A1-T19 row 8), no password, which authenticates the initiator to the
			// gateway alone (R-53(2)), signed by the gateway (A6-S1).
			var m envelope.SendMessage
			m.Request.RequestInfo = envelope.SyncMessageInfo{MessageID: v[0], ServiceID: h.ServiceID,
				Sender: envelope.SenderInfo{SenderID: h.SenderID}, SessionID: v[2]}
			if err := m.Request.RequestInfo.MessageDate.UnmarshalText([]byte(v[1])); err != nil {
				return nil, err
			}
			m.Request.RequestData = envelope.StringData("load")
			return envelope.Marshal(m)
		}, messageIDSlot, dateSlot, sessionIDSlot)}, nil
}

// hop is a Hop with the schema the answers are checked against.
type hop struct {
	Hop
	xsd *schema.XSD
}

// maxAnswer bounds an owner's answer as the gateway does (gateway.MaxMessageSize).
const maxAnswer = 10 << 20

// exchange is one request of a direct load as the hop measured and judged it.
type exchange struct {
	sent    bool          // the request went out (it was made and handed to the transport)
	owner   time.Duration // sending the request to reading the whole answer, or to giving up
	fault   string        // the owner's own fault code; for a refused answer the gateway's code, or the signature's problem
	refused string        // why the answer was refused, as the gateway words it; "" when taken
}

// transport is the hop's http.RoundTripper for one run: it measures and checks every exchange,
// off the clock, and keeps the outcome for Run by the attack's sequence number.
type transport struct {
	h     *hop
	limit time.Duration // A2-T1 row 1
	base  http.RoundTripper

	mu   sync.Mutex
	done map[uint64]exchange
}

func newTransport(h *hop, limit time.Duration, conns int) *transport {
	return &transport{h: h, limit: limit, done: map[uint64]exchange{},
		base: &http.Transport{MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute, DisableCompression: true}}
}

// seqHeader is the header in which vegeta numbers each request of an attack; the hop strips it and
// its attack header, which the gateway does not send.
const seqHeader = "X-Vegeta-Seq"

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	seq, seqErr := strconv.ParseUint(req.Header.Get(seqHeader), 10, 64)
	out := req.Clone(req.Context())
	out.Header.Del(seqHeader)
	out.Header.Del("X-Vegeta-Attack")
	// A2-T1 row 1: the owner has at most the limit; the gateway stops waiting then.
	ctx, cancel := context.WithTimeout(req.Context(), t.limit)
	defer cancel()

	start := time.Now()
	resp, err := t.base.RoundTrip(out.WithContext(ctx))
	var body []byte
	status := 0
	if err == nil {
		status = resp.StatusCode
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		resp.Body.Close()
	}
	x := exchange{sent: true, owner: time.Since(start)}
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)

	x.fault, x.refused = t.h.check(req.Context(), x.owner >= t.limit || timedOut, err, status, body, t.limit)
	if seqErr == nil {
		t.mu.Lock()
		t.done[seq] = x
		t.mu.Unlock()
	}
	if resp == nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// take returns the exchange numbered seq, once.
func (t *transport) take(seq uint64) (exchange, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	x, ok := t.done[seq]
	delete(t.done, seq)
	return x, ok
}

// check judges the owner's answer in the order the gateway does (simulators/shep/gateway route):
// in time (A2-T1 row 1), an HTTP answer (A1-P4), valid against the schema (A1-T20, A1-T21), signed
// by the owner, a SendMessageResponse with HTTP 200 or the owner's fault. It
// returns the fault the exchange ends with (the owner's own, or the gateway's code for a refused
// answer) and, for a refused answer, why.
func (h *hop) check(ctx context.Context, late bool, err error, status int, body []byte, limit time.Duration) (fault, refused string) {
	switch {
	case late:
		return envelope.SCE008.ID, fmt.Sprintf("A2-T1 row 1: no answer within %s", limit)
	case err != nil:
		return envelope.SCE009.ID, fmt.Sprintf("A1-P4: no HTTP answer from the owner's endpoint %s: %v", h.Owner.Endpoint, err)
	case status != http.StatusOK && status != http.StatusInternalServerError:
		return envelope.SCE009.ID, fmt.Sprintf("A1-P4: HTTP %d instead of 200 with SendMessageResponse or 500 with a SOAP fault: %.200q", status, body)
	}
	if v := h.xsd.Validate(body); len(v) > 0 {
		return envelope.SCE010.ID, "in the owner's answer: " + envelope.Explain(v[0], envelope.SyncResponseMsg).Error()
	}
	m, err := envelope.Parse(body)
	if err != nil {
		return envelope.SCE010.ID, "A1-T20 row 1: " + err.Error()
	}
	// the answer carries the owner's transport signature, verified on the tree just parsed.
	signed, err := xsig.VerifyDocument(m.Doc)
	if err == nil {
		_, err = h.Checker.Judge(ctx, signed.Certificate, h.Owner.ID, h.Owner.BIN)
	}
	if err != nil {
		return gateway.SignatureFault(xsig.ProblemOf(err)).ID, "in the owner's answer: " + err.Error()
	}
	switch {
	case m.IsFault():
		f, err := m.Fault()
		if err != nil {
			return envelope.SCE010.ID, "A1-T21: a fault without ErrorInfo: " + err.Error()
		}
		return f.Detail.ErrorCode, "" // the owner's own fault, which the gateway forwards (A1-T21)
	case m.Name() != (envelope.SendMessageResponse{}).Element():
		return envelope.SCE010.ID, "A1-T20 row 1: the Body holds " + m.Payload.Tag
	case status != http.StatusOK:
		return envelope.SCE010.ID, fmt.Sprintf("A1-T20 row 1: SendMessageResponse came with HTTP %d", status)
	}
	return "", ""
}

// measured puts what the hop measured into vegeta's result: the owner's time as the request's
// latency (what the gateway would have waited), a refused answer as its error. An answer taken is
// not kept, so that a long run at a high rate holds its measures, not every answer.
func (t *transport) measured(r *vegeta.Result, x exchange) {
	if !x.sent {
		return
	}
	r.Latency = x.owner
	switch {
	case x.refused != "" && r.Error == "":
		r.Error = "the owner's answer refused: " + x.refused
	case x.refused == "" && x.fault == "" && r.Error == "":
		r.Body = nil
	}
}
