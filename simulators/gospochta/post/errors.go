package post

import (
	"fmt"
	"net/http"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// refuse answers a breach with the wire's error body (code, and the breach as the message, so the
// client's log says which field, which rule and how to fix it) and records it in the audit entry.
func refuse(w http.ResponseWriter, req *http.Request, status int, code string, b *rule.Breach) {
	e := callOf(req).entry
	e.Code, e.Rule, e.Breach = code, b.Rule, b
	server.WriteJSON(w, status, wire.Error{Code: code, Message: b.Error()})
}

// codeInternal is the code of the service's own failure (500): not the client's doing, so no rule.
const codeInternal = wire.CodeInternal

// breach is a shorthand for the refusals.
func breach(ruleID, field string, expected, observed, fix msg.Text) *rule.Breach {
	return &rule.Breach{Rule: ruleID, Field: msg.Raw(field), Expected: expected, Observed: observed, Fix: fix}
}

// recovered answers a handler's panic: 500 with the error body when nothing was answered yet, a
// note in the audit entry, and the stack in the process log. http.ErrAbortHandler is passed on.
func (s *Service) recovered(w *server.StatusWriter, req *http.Request, v any) {
	note := server.PanicNote(s.logger, "gospochta post", req, v)
	e := callOf(req).entry
	e.Code, e.Error = codeInternal, note
	if w.Status != 0 {
		e.Error += fmt.Sprintf(" (after answering %d)", w.Status)
		return
	}
	server.WriteJSON(w, http.StatusInternalServerError, wire.Error{Code: codeInternal, Message: note})
}

// quoteOrNone shows a client's value in a breach, cut so a breach stays readable.
func quoteOrNone(v string) msg.Text {
	if v == "" {
		return msg.F("none")
	}
	return msg.Raw(fmt.Sprintf("%q", rule.Cut(v, 200)))
}
