package trigger

import (
	"encoding/json"
	"io"
	"net/http"
)

// Handler serves t behind the HTTP trigger contract: it takes a Request as JSON, fires t and
// answers the Result as JSON (an error of the request is a 400 with its text). It is how a system
// in-process, such as a profile's reference client, is offered to the harness as an agency's
// system would be.
func Handler(t Trigger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		var req Request
		if err := json.NewDecoder(io.LimitReader(hr.Body, 256<<20)).Decode(&req); err != nil {
			http.Error(w, "trigger request: "+err.Error(), http.StatusBadRequest)
			return
		}
		res, err := t.Fire(hr.Context(), req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	})
}
