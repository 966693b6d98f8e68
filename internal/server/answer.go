package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/shepconf/shepconf/internal/rule"
)

// WriteJSON answers v as JSON without HTML escaping, so Cyrillic and "<" read as sent, as the
// published samples of the simulated APIs do.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// PanicNote takes a simulator handler's panic v: http.ErrAbortHandler, a handler's way to cut the
// connection, is passed on; any other panic is logged with its stack under name and becomes the
// note for the call's log entry, which the caller answers with a 500 when it had answered nothing.
func PanicNote(log *slog.Logger, name string, req *http.Request, v any) string {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	log.Error(name+": handler panic", "method", req.Method, "path", rule.Cut(req.URL.Path, 2<<10),
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	return fmt.Sprintf("the simulator failed: handler panic: %v", v)
}
