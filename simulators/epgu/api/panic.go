package api

import (
	"fmt"
	"net/http"

	"github.com/shepconf/shepconf/internal/server"
)

// recovered answers a handler's panic: 500 internal_error with the EPGU-A4 body when nothing was
// answered yet, a note in the exchange's log entry, and the stack in the process log. The panic of
// http.ErrAbortHandler is the handler's way to cut the connection, and is passed on.
func (a *API) recovered(w *server.StatusWriter, r *http.Request, v any) {
	note := server.PanicNote(a.logger, "epgu api", r, v)
	if w.Status != 0 {
		exchangeOf(r).Note = note + " (after answering " + fmt.Sprint(w.Status) + ")"
		return
	}
	fail(w, r, http.StatusInternalServerError, CodeInternalError, defaultMessage(http.StatusInternalServerError)+": "+note, nil)
	exchangeOf(r).Note = note
}
