package api

import (
	"fmt"
	"net/http"
	"runtime/debug"
)

// recovered answers a handler's panic: 500 internal_error with the EPGU-A4 body when nothing was
// answered yet, a note in the exchange's log entry, and the stack in the process log. The panic of
// http.ErrAbortHandler is the handler's way to cut the connection, and is passed on.
func (a *API) recovered(w *statusWriter, r *http.Request, v any) {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	a.logger.Error("epgu api: handler panic", "method", r.Method, "path", truncate(r.URL.Path, logFieldLimit),
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	note := fmt.Sprintf("the simulator failed: handler panic: %v", v)
	if w.status != 0 {
		exchangeOf(r).Note = note + " (after answering " + fmt.Sprint(w.status) + ")"
		return
	}
	fail(w, r, http.StatusInternalServerError, CodeInternalError, defaultMessage(http.StatusInternalServerError)+": "+note, nil)
	exchangeOf(r).Note = note
}
