package api

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// budget counts the bytes all uploads in progress hold at once: the chunks kept for their archive
// and the push bodies being read (Limits.UploadBudget). Its lock is never held while API.mu is
// taken, so it may be given back under API.mu.
type budget struct {
	mu   sync.Mutex
	used int64
}

func (b *budget) take(n, limit int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if limit > 0 && b.used+n > limit {
		return false
	}
	b.used += n
	return true
}

func (b *budget) give(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
}

func (b *budget) held() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// reservation is what a push request will hold of the budget while its body is read: the declared
// body size, at most the file limit (readForm keeps no more of the file part).
func reservation(r *http.Request, fileLimit int64) int64 {
	if r.ContentLength > 0 && r.ContentLength < fileLimit {
		return r.ContentLength
	}
	return fileLimit
}

// reserveUpload takes n bytes of the upload budget, dropping expired uploads first if it must, or
// answers 503 with Retry-After. 503 rather than 429: Appendix 4 ties 429 to the client's own limits
// of Appendix 3, while 503 «Сервис недоступен» is to be retried, which is what a client can do about
// a simulator whose memory for uploads is taken by everyone's uploads (EPGU-A4).
func (a *API) reserveUpload(w http.ResponseWriter, r *http.Request, n int64) bool {
	limit := a.limits.UploadBudget
	if a.uploading.take(n, limit) {
		return true
	}
	retry := a.sweepForBudget()
	if a.uploading.take(n, limit) {
		return true
	}
	w.Header().Set("Retry-After", retryAfter(retry))
	msg := fmt.Sprintf("%s: the uploads in progress hold %d of the simulator's %d-byte upload budget (Limits.UploadBudget) and this push needs %d more; retry after %s, when the oldest upload's chunk window ends",
		defaultMessage(http.StatusServiceUnavailable), a.uploading.held(), limit, n, retryAfter(retry)+" s")
	fail(w, r, http.StatusServiceUnavailable, "", msg, nil)
	return false
}

// sweepForBudget drops the uploads whose window has passed and says when the next one's ends.
func (a *API) sweepForBudget() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	a.sweepUploads(now)
	next := time.Duration(0)
	for _, o := range a.uploads {
		// an upload is dropped once its window has passed, not at its last instant
		if d := o.upload.start.Add(a.limits.ChunkWindow).Sub(now) + time.Nanosecond; next == 0 || d < next {
			next = d
		}
	}
	if next <= 0 {
		next = time.Second
	}
	return next
}
