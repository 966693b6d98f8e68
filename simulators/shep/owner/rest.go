package owner

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/xsig"
)

// RESTOwner is the reference owner serving its services in the REST style (Appendix 1 section 3):
// it takes the A1-T22 request as JSON over HTTPS and answers A1-T23, with the same programmed
// behaviour per service as the SOAP owner (data, latency, HTTP error, malformed answer, hang,
// omitted fields; a programmed SOAP fault becomes HTTP 500, as A1-T23 has no error format).
type RESTOwner struct {
	*Owner
	// Checker, when set, judges the client certificate the gateway presents over mutual TLS: it must
	// be valid and carry GatewayID (the gateway's BIN), or the request is refused with HTTP 403.
	Checker   *xsig.Checker
	GatewayID string

	mu       sync.Mutex
	received []RESTReceived
}

// RESTReceived is one REST request as the owner got it.
type RESTReceived struct {
	At        time.Time
	Body      []byte
	Request   envelope.RESTRequest
	SessionID string // the gateway's Bip-Session-Id header
	Gateway   string // subject of the client certificate the gateway presented, if any
	Err       error
}

// NewREST returns a REST owner system; its behaviour per service is set with Handle.
func NewREST(systemID string, omit ...string) *RESTOwner {
	return &RESTOwner{Owner: New(systemID, omit...)}
}

// Received returns the REST requests received so far.
func (o *RESTOwner) Received() []RESTReceived {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]RESTReceived(nil), o.received...)
}

// ServeHTTP answers a REST request.
func (o *RESTOwner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	rec := RESTReceived{At: time.Now(), Body: body, Err: err, SessionID: r.Header.Get("Bip-Session-Id")}
	if err == nil {
		rec.Err = json.Unmarshal(body, &rec.Request)
	}
	status := http.StatusBadRequest
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		rec.Gateway = r.TLS.PeerCertificates[0].Subject.String()
	}
	if rec.Err == nil && o.Checker != nil {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			rec.Err, status = msg.Errorf("no client certificate: the gateway must present its NCA certificate"), http.StatusForbidden
		} else if _, err := o.Checker.Judge(r.Context(), r.TLS.PeerCertificates[0], "the gateway", o.GatewayID); err != nil {
			rec.Err, status = err, http.StatusForbidden
		}
	}
	o.mu.Lock()
	o.received = append(o.received, rec)
	o.mu.Unlock()
	if rec.Err != nil {
		http.Error(w, "reference owner: "+rec.Err.Error(), status)
		return
	}

	b := o.behaviour(rec.Request.Request.RequestInfo.ServiceID)
	if !b.wait(r.Context()) {
		return
	}
	switch {
	case b.HTTPStatus != 0:
		http.Error(w, "reference owner: programmed HTTP error", b.HTTPStatus)
	case b.Fault != nil:
		http.Error(w, b.Fault.ErrorCode+" "+b.Fault.ErrorMessage, http.StatusInternalServerError)
	case b.Malformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "this answer is not JSON")
	default:
		o.answerREST(w, rec.Request, b)
	}
}

func (o *RESTOwner) answerREST(w http.ResponseWriter, req envelope.RESTRequest, b Behaviour) {
	var resp envelope.RESTResponse
	resp.Response.ResponseInfo = envelope.RESTResponseInfo{MessageID: uuid.NewString(), ResponseDate: envelope.Now().Time, Message: "OK"}
	resp.Response.ResponseData.Data = req.Request.RequestData.Data
	if b.Data != "" {
		resp.Response.ResponseData.Data, _ = json.Marshal(b.Data)
	}
	out, err := json.Marshal(resp)
	for _, path := range append(append([]string(nil), o.omit...), b.Omit...) {
		if err == nil {
			out, err = EditJSON(out, path, nil, true)
		}
	}
	if err != nil {
		http.Error(w, "reference owner: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(out)
}

// EditJSON sets (or, with remove, deletes) the field at a "/"-separated path of a JSON object,
// creating the objects on the way: a programmed defect of a message.
func EditJSON(doc []byte, path string, value any, remove bool) ([]byte, error) {
	var root map[string]any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	keys := strings.Split(strings.Trim(path, "/"), "/")
	m := root
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			if remove {
				return doc, nil
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	last := keys[len(keys)-1]
	if remove {
		delete(m, last) // a field already absent is left out as asked
	} else {
		m[last] = value
	}
	return json.MarshalIndent(root, "", "  ")
}
