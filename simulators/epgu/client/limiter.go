package client

import (
	"context"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
)

// limiter keeps the client under the request limits of Appendix 3 (EPGU-A3) over every sliding
// minute and hour: the strictest reading, so a server counting by calendar minute or by sliding
// window never sees more than the limit.
type limiter struct {
	clock clock.Clock
	sleep func(context.Context, time.Duration) error

	mu      sync.Mutex
	windows []*window
}

// window is the send times of the last span, oldest first.
type window struct {
	span  time.Duration
	limit int
	sent  []time.Time
}

func newLimiter(c clock.Clock, sleep func(context.Context, time.Duration) error, l Limits) *limiter {
	return &limiter{clock: c, sleep: sleep, windows: []*window{
		{span: time.Minute, limit: l.PerMinute},
		{span: time.Hour, limit: l.PerHour},
	}}
}

// wait returns when one more request keeps every window within its limit, and counts it.
func (l *limiter) wait(ctx context.Context) error {
	for {
		d := l.take()
		if d == 0 {
			return nil
		}
		if err := l.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// take counts a request sent now and returns 0, or returns how long to wait before trying again.
func (l *limiter) take() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	var wait time.Duration
	for _, w := range l.windows {
		cut := 0
		for cut < len(w.sent) && !w.sent[cut].After(now.Add(-w.span)) {
			cut++
		}
		w.sent = w.sent[cut:]
		if len(w.sent) >= w.limit {
			// The oldest request leaves the window just after it is span old.
			if d := w.sent[len(w.sent)-w.limit].Add(w.span).Sub(now) + time.Millisecond; d > wait {
				wait = d
			}
		}
	}
	if wait > 0 {
		return wait
	}
	for _, w := range l.windows {
		w.sent = append(w.sent, now)
	}
	return 0
}
