package esia

import (
	"time"

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

// Grant names what a request asked for.
const (
	GrantCode              = "code"               // /aas/oauth2/v2/ac, response_type=code
	GrantAuthorizationCode = "authorization_code" // /aas/oauth2/v3/te
	GrantAPIKey            = "api_key"            // Б.12, /esia-rs/api/public/v1/orgs/ext-app/{key}/tkn
)

// Event is one request ESIA answered, for the harness to judge what the system under test did.
type Event struct {
	Time     time.Time
	Mnemonic string // client_id, or the API key's system; empty when unknown
	Endpoint string // the path pattern served
	Grant    string // GrantCode, GrantAuthorizationCode, GrantAPIKey, or the grant_type sent
	Outcome  Outcome
	Code     string       // the ESIA code of a refusal ("ESIA-007014"), empty otherwise
	Breach   *rule.Breach // the rule the request broke; nil when issued
}

func (e *ESIA) record(ev Event) {
	ev.Time = e.clock.Now()
	e.mu.Lock()
	e.events = append(e.events, ev)
	e.mu.Unlock()
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

// Events returns every request answered so far, oldest first.
func (e *ESIA) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.events...)
}
