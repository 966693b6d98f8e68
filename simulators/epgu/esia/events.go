package esia

import (
	"fmt"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// Outcome is how ESIA answered a request.
type Outcome string

const (
	Issued       Outcome = "issued"        // a token (te, ext-app) or a code (ac) was issued
	Refused      Outcome = "refused"       // refused with an ESIA code: the system broke a rule
	Denied       Outcome = "denied"        // the simulated user refused consent (ESIA-007004): no fault of the system
	NotSupported Outcome = "not supported" // the simulator cannot judge the request (a GOST signature)
)

// Text is the outcome in the reader's language.
func (o Outcome) Text() msg.Text {
	switch o {
	case Issued:
		return msg.F("issued")
	case Refused:
		return msg.F("refused")
	case Denied:
		return msg.F("denied")
	case NotSupported:
		return msg.F("not supported")
	}
	return msg.Raw(string(o))
}

// Grant names what a request asked for.
const (
	GrantCode              = "code"               // /aas/oauth2/v2/ac, response_type=code
	GrantAuthorizationCode = "authorization_code" // /aas/oauth2/v3/te
	GrantAPIKey            = "api_key"            // Б.12, /esia-rs/api/public/v1/orgs/ext-app/{key}/tkn
	// GrantJWTBearer is /aas/oauth2/v3/te for a JWT assertion signed with the system's key
	// (RFC 7523 §2.1), RuleJWT.
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// GrantRefreshToken is /aas/oauth2/v3/te renewing a token of GrantJWTBearer (RFC 6749 §6), RuleJWT.
	GrantRefreshToken = "refresh_token"
)

// Event is one request ESIA answered, for the harness to judge what the system under test did.
type Event struct {
	Time     time.Time
	Mnemonic string // client_id, or the API key's system; empty when unknown
	Endpoint string // the path pattern served
	Grant    string // GrantCode, GrantAuthorizationCode, GrantAPIKey, GrantJWTBearer, GrantRefreshToken, or the grant_type sent
	Outcome  Outcome
	Code     string       // the ESIA code of a refusal ("ESIA-007014"), empty otherwise
	Breach   *rule.Breach // the rule the request broke; nil when issued
}

// DefaultEventLimit is how many events ESIA keeps (WithEventLimit): the newest, so that requests
// anyone can send (a junk API key needs no credentials) cannot grow its memory without end.
const DefaultEventLimit = 10_000

// maxEventField bounds each text an event keeps: the values a client sent (an API key, a
// client_id, a grant_type) are quoted in it and may be as long as a URL or a form allows.
const maxEventField = 2 << 10

// WithEventLimit keeps the newest n events (DefaultEventLimit); older ones are dropped and counted
// (EventsDropped).
func WithEventLimit(n int) Option { return func(e *ESIA) { e.eventLimit = n } }

// eventLog is a ring of the newest events.
type eventLog struct {
	ring    []Event
	next    int // where the next event goes once the ring is full
	dropped int
}

func (l *eventLog) add(ev Event, limit int) {
	if len(l.ring) < limit {
		l.ring = append(l.ring, ev)
		return
	}
	l.ring[l.next] = ev
	l.next = (l.next + 1) % limit
	l.dropped++
}

// all returns the events oldest first.
func (l *eventLog) all() []Event {
	out := make([]Event, 0, len(l.ring))
	out = append(out, l.ring[l.next:]...)
	return append(out, l.ring[:l.next]...)
}

func (e *ESIA) record(ev Event) {
	ev.Time = e.clock.Now()
	ev.Mnemonic, ev.Endpoint, ev.Grant, ev.Code = clip(ev.Mnemonic), clip(ev.Endpoint), clip(ev.Grant), clip(ev.Code)
	if ev.Breach != nil {
		b := *ev.Breach
		b.Rule, b.Field = clip(b.Rule), clipText(b.Field)
		b.Expected, b.Observed, b.Note, b.Fix = clipText(b.Expected), clipText(b.Observed), clipText(b.Note), clipText(b.Fix)
		ev.Breach = &b
	}
	e.mu.Lock()
	e.events.add(ev, e.eventLimit)
	e.mu.Unlock()
}

// clip cuts s to maxEventField bytes of valid UTF-8, saying how much was cut.
func clip(s string) string {
	if len(s) <= maxEventField {
		return s
	}
	mark := fmt.Sprintf("… (%d bytes cut)", len(s))
	keep := strings.ToValidUTF8(s[:maxEventField-len(mark)], "")
	return keep + fmt.Sprintf("… (%d bytes cut)", len(s)-len(keep))
}

// clipText is t with each value it quotes clipped: its own words are the harness's, of bounded length.
func clipText(t msg.Text) msg.Text {
	return t.Cut(maxEventField, func(s string, _ int) string { return clip(s) })
}

// recordRefusal records r against the request.
func (e *ESIA) recordRefusal(mnemonic, endpoint, grant string, r *refusal) {
	ev := Event{Mnemonic: mnemonic, Endpoint: endpoint, Grant: grant, Outcome: Refused, Code: r.code.ID, Breach: r.breach}
	switch {
	case r.notSupported:
		ev.Outcome, ev.Code = NotSupported, ""
	case r.code == ESIA007004:
		ev.Outcome = Denied
	}
	e.record(ev)
}

// Events returns the requests answered so far, oldest first: all of them, or the newest
// WithEventLimit when more were answered.
func (e *ESIA) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.events.all()
}

// EventsDropped is how many of the oldest events were dropped to keep within WithEventLimit.
func (e *ESIA) EventsDropped() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.events.dropped
}
