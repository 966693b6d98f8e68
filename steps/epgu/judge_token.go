package epgu

import (
	"fmt"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

func (w *World) tokenIssued() error {
	var issued int
	for _, e := range w.tokenEvents() {
		if e.Outcome == esia.Issued && e.Grant == esia.GrantAPIKey {
			issued++
		}
	}
	return w.evidence.Check("ESIA-B12", msg.F("at least one access token issued for the system's API key"),
		msg.F("%d issued%s", issued, w.outcome()), issued > 0)
}

func (w *World) secretsVerified() error {
	var refused []msg.Text
	events := w.tokenEvents()
	for _, e := range events {
		if e.Outcome == esia.Refused || e.Outcome == esia.NotSupported {
			refused = append(refused, describeEvent(e))
		}
	}
	return w.evidence.Check("ESIA-B12", msg.F("every token request's client_secret a valid detached signature by the registered certificate"),
		msg.F("%d token requests, refused: %s", len(events), list(refused)), len(events) > 0 && len(refused) == 0)
}

func (w *World) callsAuthorised() error {
	calls := w.calls()
	var bad []string
	for _, r := range calls {
		// A 403 is a token without the scope or the APIPGU permission (EPGU-A4).
		if !r.Fault && (r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || r.ClientID != w.suite.opts.SUT.mnemonic()) {
			bad = append(bad, fmt.Sprintf("%s %s → %d", r.Method, r.Path, r.Status))
		}
	}
	return w.evidence.Check("EPGU-1.1", msg.F("every call with a valid Bearer token of the system (scope api-order, APIPGU)"),
		msg.F("%d calls, without a valid token of the system: %v", len(calls), bad), len(calls) > 0 && len(bad) == 0)
}

func (w *World) newTokenAfter401() error {
	calls := w.calls()
	i := faultIndex(calls, http.StatusUnauthorized)
	if i < 0 {
		return w.evidence.Check("EPGU-A4", msg.F("a call answered 401"), msg.F("the system made no call the API answered 401%s", w.outcome()), false)
	}
	if i+1 >= len(calls) {
		return w.evidence.Check("EPGU-A4", msg.F("after 401 a new token from ESIA, then the call repeated"),
			msg.F("no further call after the 401%s", w.outcome()), false)
	}
	refused, next := calls[i], calls[i+1]
	var fresh bool
	for _, e := range w.tokenEvents() {
		if e.Outcome == esia.Issued && e.Time.After(refused.At) && e.Time.Before(next.At) {
			fresh = true
		}
	}
	repeated := next.Method == refused.Method && route(next.Path) == route(refused.Path) && next.Status != http.StatusUnauthorized
	return w.evidence.Check("EPGU-A4", msg.F("after 401 a new token from ESIA, then the same call repeated and served"),
		msg.F("401 on %s %s; next call %s %s → %d, %s later; new token in between: %v", refused.Method, refused.Path,
			next.Method, next.Path, next.Status, next.At.Sub(refused.At).Round(time.Millisecond), fresh), fresh && repeated)
}

// describeEvent says what ESIA answered a token request.
func describeEvent(e esia.Event) msg.Text {
	d := msg.F("%s %s (%s): %s %s", e.Time.Format("15:04:05.000"), e.Endpoint, e.Grant, e.Outcome.Text(), e.Code)
	if e.Breach != nil {
		return msg.F("%s — %s", d, e.Breach)
	}
	return d
}
