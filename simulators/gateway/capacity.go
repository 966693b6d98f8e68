package gateway

import (
	"net/http"
	"strconv"
)

// MaxInFlight is the gateway simulator's documented capacity: the exchanges it serves at once. At
// the peak of 2000 requests per hour and the 30 s limit (A2-T1) at most 17 are ever in flight, so
// the margin is wide; beyond it a request is refused at once, and memory stays bounded under a flood.
const MaxInFlight = 256

// RetryAfterSeconds is what a refused request is told to wait.
const RetryAfterSeconds = 1

// limitInFlight refuses requests beyond MaxInFlight with HTTP 503 and Retry-After, without reading
// them: a flood degrades into refusals, never into unbounded growth or a crash.
func limitInFlight(next http.Handler) http.Handler {
	slots := make(chan struct{}, MaxInFlight)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
			http.Error(w, "the gateway is at its capacity of "+strconv.Itoa(MaxInFlight)+
				" exchanges in flight; retry later",
				http.StatusServiceUnavailable)
		}
	})
}
