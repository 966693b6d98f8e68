// Package gateway simulates the e-government gateway (ShEP): it serves the channels on the real
// gateway's paths, checks every message (schema, credentials, registry), routes it to the owner,
// enforces the Rules' timing limits and journals every event.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/wire"
)

// MaxMessageSize is the largest message the gateway reads; a larger one is refused with SCE001.
const MaxMessageSize = 10 << 20

// Gateway is the simulated gateway.
type Gateway struct {
	registry *Registry
	journal  *journal.Journal
	limits   rule.Limits
	client   *http.Client
	log      *slog.Logger
	syncXSD  *schema.XSD
	sig      *Signatures // nil: transport signatures off (see WithSignatures)
	async    *Async      // the asynchronous channel, once EnableAsync has opened it
	rest     *REST       // the REST channel, when WithREST opened it
	// credentials is the attempt limiter and the admission counters (guard.go)
	credentials *guard
	// intake holds the in-flight slots and the bodies being read, shared by every Handler (capacity.go)
	intake *admission
}

// Option configures a Gateway.
type Option func(*Gateway)

// WithLimits sets the timing limits in force (default: the Rules' own).
func WithLimits(l rule.Limits) Option { return func(g *Gateway) { g.limits = l } }

// WithHTTPClient sets the client used to reach owners.
func WithHTTPClient(c *http.Client) Option { return func(g *Gateway) { g.client = c } }

// WithLogger sets where the gateway logs (default: nowhere; the journal is the record).
func WithLogger(l *slog.Logger) Option { return func(g *Gateway) { g.log = l } }

// New returns a gateway over a registry and a journal.
func New(reg *Registry, j *journal.Journal, opts ...Option) (*Gateway, error) {
	xsd, err := schema.CompileXSD(shepfixtures.XSD(), "sync-channel.xsd", "data")
	if err != nil {
		return nil, fmt.Errorf("synchronous channel schema: %w", err)
	}
	g := &Gateway{
		registry:    reg,
		journal:     j,
		limits:      rule.RulesLimits(),
		client:      &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}},
		log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		syncXSD:     xsd,
		credentials: newGuard(),
		intake:      &admission{slots: make(chan struct{}, MaxInFlight)},
	}
	for _, o := range opts {
		o(g)
	}
	if g.rest != nil {
		if err := g.rest.check(); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Handler serves the gateway's endpoints on the real gateway's paths.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(envelope.SyncPath, g.serveSync)
	mux.HandleFunc(envelope.SyncPath[:len(envelope.SyncPath)-1], g.serveSync)
	if g.async != nil {
		mux.Handle(envelope.AsyncPath, g.async)
	}
	for _, p := range []string{RESTPath, RESTPath + "/"} { // REST (O-21): /bip-rest, /bip-rest/{serviceid}
		mux.Handle(p, g.restHandler())
	}
	return g.admission().admit(WithClientAddress(mux))
}

// failure is a refusal or a failed hop: the fault code sent back and the rule breach behind it.
type failure struct {
	code   envelope.Code
	breach *rule.Breach
	client bool // the sender's message is at fault (SOAP faultcode Client) rather than the gateway or owner
}

// exchange carries one message through the gateway and journals each step of it.
type exchange struct {
	g         *Gateway
	channel   string
	sessionID string
	messageID string
	senderID  string
	serviceID string
	signature string // evidence of the sender's transport signature check, for the journal
	body      []byte // the request as received (async channel)
	// parsed is the request parsed once, whose tree its transport signature is checked on (async
	// channel; decoding the payload leaves the tree as it is).
	parsed *envelope.Message
	// pending are events stamped when they happened and written with the exchange's next record, in
	// one transaction (see later).
	pending []journal.Event
}

func (x *exchange) event(kind journal.Kind, code, ruleID, detail string) journal.Event {
	return journal.Event{Kind: kind, Channel: x.channel, SessionID: x.sessionID, MessageID: x.messageID,
		SenderID: x.senderID, ServiceID: x.serviceID, Code: code, Rule: ruleID, Detail: detail}
}

// record journals an event now, with the pending ones before it.
func (x *exchange) record(ctx context.Context, kind journal.Kind, code, ruleID, detail string) error {
	events := append(x.pending, x.event(kind, code, ruleID, detail))
	x.pending = nil
	err := x.g.journal.RecordAll(ctx, events...)
	if err != nil {
		x.g.log.Error("journal write failed", "session", x.sessionID, "kind", kind, "err", err)
	}
	return err
}

// later stamps an event now and journals it with the exchange's next record, in the same
// transaction: for an event that nothing waits on before the exchange's outcome is journalled (the
// owner's answer, whose time the event keeps). Its outcome is journalled before any answer leaves,
// so an exchange is never acknowledged with an event missing; a crash in between loses the pending
// event together with an answer that was never sent.
func (x *exchange) later(kind journal.Kind, code, ruleID, detail string) {
	e := x.event(kind, code, ruleID, detail)
	e.Time = time.Now()
	x.pending = append(x.pending, e)
}

// faultBytes renders a failure as the channel's SOAP fault.
func (x *exchange) faultBytes(f failure) []byte {
	explained.remember(f.breach)
	soapCode := "Server"
	if f.client {
		soapCode = "Client"
	}
	out, err := envelope.Marshal(envelope.Fault{
		Code:   soapCode,
		String: fmt.Sprintf("%s %s (%s)", f.code.ID, f.code.Message, f.breach.Rule),
		Detail: envelope.ErrorInfo{
			ErrorCode:    f.code.ID,
			ErrorMessage: f.code.Message,
			ErrorData:    f.breach.Error(),
			ErrorDate:    envelope.Now(),
			SessionID:    x.sessionID,
		},
		DetailElement: envelope.SyncFaultElement,
	})
	if err != nil { // only a bug in the envelope types can get here
		panic(err)
	}
	if signed, err := x.g.sign(out); err == nil {
		out = signed
	}
	return out
}

// readFailure turns a body the gateway could not read (too large, an unknown Content-Encoding or
// charset, a body that does not decode) into an SCE001 refusal naming the header at fault; ruleID is
// the channel's row for the message format (A1-T19 row 1, A1-T1 row 1).
func readFailure(ruleID string, err error) *failure {
	if err == nil {
		return nil
	}
	b := &rule.Breach{Rule: ruleID, Expected: msg.F("a SOAP 1.1 message the gateway can read"), Observed: msg.Of(err), Fix: msg.F("send the message again")}
	var e *wire.Error
	if errors.As(err, &e) {
		b = &rule.Breach{Rule: ruleID, Field: msg.Raw(e.Field), Expected: e.Expected, Observed: e.Observed, Fix: e.Fix}
	}
	return &failure{code: envelope.SCE001, client: true, breach: b}
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
