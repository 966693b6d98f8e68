package router

import (
	"fmt"
	"net/http"

	"github.com/shepconf/shepconf/internal/server"
)

// recovered answers a handler's panic: 500 with the error body when nothing was answered yet, a
// note in the call's log entry, and the stack in the process log. The panic of
// http.ErrAbortHandler is the handler's way to cut the connection, and is passed on.
func (r *Router) recovered(w *server.StatusWriter, req *http.Request, v any) {
	note := server.PanicNote(r.logger, "smdo router", req, v)
	rec := recordOf(req)
	if w.Status != 0 {
		rec.Error = note + fmt.Sprintf(" (after answering %d)", w.Status)
		return
	}
	rec.Error = note
	server.WriteJSON(w, http.StatusInternalServerError, errorBody{Status: http.StatusInternalServerError,
		Error: http.StatusText(http.StatusInternalServerError), Message: note})
}
