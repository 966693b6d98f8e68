package geps

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// refuse answers a breach with the API's error body {"code","message"} and records it in the
// call's log entry: the message is the breach itself, so the client's log says which field, which
// rule and how to fix it.
func refuse(w http.ResponseWriter, r *http.Request, status int, code string, b *rule.Breach) {
	rec := recordOf(r)
	rec.Code, rec.Breach = code, b
	server.WriteJSON(w, status, wire.Error{Code: code, Message: b.Error()})
}

// breach is a shorthand for the refusals.
func breach(ruleID, field string, expected, observed, fix msg.Text) *rule.Breach {
	return &rule.Breach{Rule: ruleID, Field: msg.Raw(field), Expected: expected, Observed: observed, Fix: fix}
}

// quoted is a value the client sent, quoted and clipped.
func quoted(v string) msg.Text { return msg.Raw(strconv.Quote(clip(v))) }

// recovered answers a handler's panic: 500 with the error body when nothing was answered yet, a
// note in the call's log entry, and the stack in the process log. The panic of
// http.ErrAbortHandler is the handler's way to cut the connection, and is passed on.
func (s *Service) recovered(w *server.StatusWriter, r *http.Request, v any) {
	note := server.PanicNote(s.logger, "gospochta geps", r, v)
	rec := recordOf(r)
	if w.Status != 0 {
		rec.Note = note + fmt.Sprintf(" (after answering %d)", w.Status)
		return
	}
	rec.Note = note
	server.WriteJSON(w, http.StatusInternalServerError, wire.Error{Code: wire.CodeInternal, Message: note})
}
