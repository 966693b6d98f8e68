// Package owner holds the reference owner and initiator systems: the default system under test and
// the harness's own peers. The owner serves the synchronous channel's SendMessage with behaviour
// programmed per service (answer data, latency, fault, malformed answer, HTTP error, hang); the
// initiator builds and sends requests through the gateway.
package owner

import (
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/tamper"
	"github.com/shepconf/shepconf/internal/xsig"
)

// Behaviour is how the owner answers one service. The zero value answers at once with a success
// status, echoing the request's business data.
type Behaviour struct {
	Data         string              // business data of the answer, as text; empty echoes the request's
	Latency      time.Duration       // real time to wait before answering
	FirstLatency time.Duration       // when set, the first request waits this long instead of Latency
	Fault        *envelope.ErrorInfo // answer this SOAP fault instead
	HTTPStatus   int                 // answer this HTTP status with a plain-text body instead
	Malformed    bool                // answer bytes that are not XML
	Hang         bool                // never answer; hold the request until the caller gives up
	Omit         []string            // element paths left out of the answer: a programmed defect
}

// Received is one request as the owner got it.
type Received struct {
	At        time.Time
	Body      []byte
	Request   envelope.SendMessage
	Signature xsig.Report // the check of the gateway's transport signature, when the owner checks it
	Err       error       // when the owner could not read the request or its signature failed
}

// Owner is the reference owner system.
type Owner struct {
	SystemID string
	// Identity signs every answer and fault; nil answers unsigned (a non-conforming owner).
	Identity *pki.Identity
	// Checker, when set, verifies the gateway's transport signature on every request and refuses a
	// request that fails it; GatewayID is the BIN the gateway's certificate must carry (A6-S1).
	Checker   *xsig.Checker
	GatewayID string

	mu         sync.Mutex
	behaviours map[string]Behaviour
	served     map[string]int // requests received per service
	omit       []string
	received   []Received
}

// New returns an owner system; it answers every service with the default behaviour until told
// otherwise. Paths in omit are left out of every answer: a deliberately broken owner, to prove that
// the suite notices (e.g. "response/responseInfo/responseDate").
func New(systemID string, omit ...string) *Owner {
	return &Owner{SystemID: systemID, behaviours: map[string]Behaviour{}, served: map[string]int{}, omit: omit}
}

// Handle sets the behaviour for one service.
func (o *Owner) Handle(serviceID string, b Behaviour) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.behaviours[serviceID] = b
}

// Received returns the requests received so far.
func (o *Owner) Received() []Received {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Received(nil), o.received...)
}

// behaviour is how to answer this request of serviceID.
func (o *Owner) behaviour(serviceID string) Behaviour {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.behaviours[serviceID]
	o.served[serviceID]++
	if b.FirstLatency > 0 && o.served[serviceID] == 1 {
		b.Latency = b.FirstLatency
	}
	return b
}

// ServeHTTP answers the synchronous channel's SendMessage.
func (o *Owner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	rec := Received{At: time.Now(), Body: body, Err: err}
	var m *envelope.Message
	if err == nil {
		m, rec.Err = decodeRequest(body, &rec.Request)
	}
	if rec.Err == nil && o.Checker != nil {
		rec.Signature, rec.Err = o.Checker.CheckDocument(r.Context(), m.Doc, "the gateway", o.GatewayID)
	}
	o.mu.Lock()
	o.received = append(o.received, rec)
	o.mu.Unlock()
	if rec.Err != nil {
		o.fault(w, envelope.ErrorInfo{ErrorCode: "OWNER-BAD-REQUEST", ErrorMessage: rec.Err.Error()})
		return
	}

	info := rec.Request.Request.RequestInfo
	b := o.behaviour(info.ServiceID)
	if !b.wait(r.Context()) {
		return
	}
	switch {
	case b.HTTPStatus != 0:
		http.Error(w, "reference owner: programmed HTTP error", b.HTTPStatus)
	case b.Malformed:
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = io.WriteString(w, "this answer is not XML")
	case b.Fault != nil:
		o.fault(w, *b.Fault)
	default:
		o.answer(w, rec.Request, b)
	}
}

func (o *Owner) answer(w http.ResponseWriter, req envelope.SendMessage, b Behaviour) {
	data := req.Request.RequestData
	if b.Data != "" {
		data = envelope.StringData(b.Data)
	}
	resp := envelope.SendMessageResponse{}
	resp.Response.ResponseInfo = envelope.SyncMessageInfoResponse{
		MessageID:     uuid.NewString(),
		CorrelationID: req.Request.RequestInfo.CorrelationID,
		ResponseDate:  envelope.Now(),
		Status:        envelope.StatusInfo{Code: "Success", Message: "OK"},
	}
	resp.Response.ResponseData = data
	out, err := envelope.Marshal(resp)
	if omit := append(append([]string(nil), o.omit...), b.Omit...); err == nil && len(omit) > 0 {
		ops := make([]tamper.Op, len(omit))
		for i, path := range omit {
			ops[i] = tamper.Remove(path)
		}
		out, err = tamper.Apply(out, ops...)
	}
	if err != nil {
		o.fault(w, envelope.ErrorInfo{ErrorCode: "OWNER-INTERNAL", ErrorMessage: err.Error()})
		return
	}
	o.write(w, http.StatusOK, out)
}

// write signs an answer with the owner's certificate and sends it.
func (o *Owner) write(w http.ResponseWriter, status int, out []byte) {
	if o.Identity != nil {
		signed, err := xsig.Sign(out, o.Identity)
		if err != nil {
			http.Error(w, "reference owner: cannot sign: "+err.Error(), http.StatusInternalServerError)
			return
		}
		out = signed
	}
	writeXML(w, status, out)
}

func (o *Owner) fault(w http.ResponseWriter, e envelope.ErrorInfo) {
	if e.ErrorDate.IsZero() {
		e.ErrorDate = envelope.Now()
	}
	out, err := envelope.Marshal(envelope.Fault{
		Code: "Server", String: e.ErrorMessage, Detail: e, DetailElement: envelope.SyncFaultElement,
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	o.write(w, http.StatusInternalServerError, out)
}

// decodeRequest parses a request once: the tree, for its signature check, and what it decodes to.
func decodeRequest(body []byte, into *envelope.SendMessage) (*envelope.Message, error) {
	m, err := envelope.Parse(body)
	if err != nil {
		return nil, err
	}
	if m.Name() != (envelope.SendMessage{}).Element() {
		return nil, msg.Errorf("expected SendMessage, got %s", m.Payload.Tag)
	}
	return m, m.Decode(into)
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
