package api

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault answers the next Times requests matching Method (empty: any) and PathPrefix with Status and
// the EPGU-A4 body of that status (Code overrides its code), instead of serving them: for scenarios
// that watch how the client reacts to 429, 500, 502–504 and the like.
type Fault struct {
	Method     string
	PathPrefix string
	Status     int
	Times      int           // 0 counts as 1
	RetryAfter time.Duration // sent as a Retry-After header when set
	Code       string
}

type faults struct {
	mu      sync.Mutex
	pending []Fault
}

// Inject queues a fault; faults are matched in the order they were injected.
func (a *API) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	a.faults.mu.Lock()
	defer a.faults.mu.Unlock()
	a.faults.pending = append(a.faults.pending, f)
}

// take consumes one answer of the first fault matching the request.
func (fs *faults) take(r *http.Request) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i := range fs.pending {
		f := &fs.pending[i]
		if (f.Method == "" || strings.EqualFold(f.Method, r.Method)) && strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			got := *f
			if f.Times--; f.Times <= 0 {
				fs.pending = append(fs.pending[:i], fs.pending[i+1:]...)
			}
			return got, true
		}
	}
	return Fault{}, false
}

func (f Fault) serve(w http.ResponseWriter, r *http.Request) {
	if rec := exchangeOf(r); rec != nil {
		rec.Fault = true
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", retryAfter(f.RetryAfter))
	}
	code := f.Code
	if code == "" {
		code = defaultCode(f.Status)
	}
	fail(w, r, f.Status, code, defaultMessage(f.Status)+" (injected fault)", nil)
}

// retryAfter renders a delay as whole seconds, rounded up and at least 1.
func retryAfter(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}
