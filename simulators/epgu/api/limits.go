package api

import (
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// Limits are the figures the API enforces. SpecLimits gives the specification's; the harness may
// scale them (fewer requests per minute, a shorter chunk window, smaller chunks) so its own tests
// cross them quickly. A zero count means no limit.
type Limits struct {
	// EPGU-A3: HTTP requests per system (token client_id), over all services and users.
	RequestsPerMinute int
	RequestsPerHour   int
	RequestsPerDay    int
	// EPGU-A3: orders of one service for one user in OrdersWindow; beyond it the order's
	// processing ends LIMITATION_EXCEPTION (EPGU-A1).
	OrdersPerUser int
	OrdersWindow  time.Duration
	// EPGU-2.1.3: every non-last chunk MinChunkBytes..MaxChunkBytes, the last at most MaxChunkBytes,
	// all chunks within ChunkWindow of the first.
	MinChunkBytes int64
	MaxChunkBytes int64
	ChunkWindow   time.Duration
	// EPGU-2.1.4: the archive of a single push is at most MaxPushBytes.
	MaxPushBytes int64
	// MaxArchiveBytes is the simulator's own cap on an archive assembled from chunks (the spec sets
	// none); it bounds the memory one upload holds.
	MaxArchiveBytes int64
	// UploadBudget is the simulator's own cap on the bytes all uploads in progress hold at once:
	// chunks kept for their archive and push bodies being read. Beyond it a push is answered 503
	// with Retry-After. Keep it at least MaxChunkBytes and MaxPushBytes. Zero: no cap.
	UploadBudget int64
	// MaxOrders is the simulator's own cap on the orders it keeps; beyond it the oldest final
	// orders are dropped first, then the oldest. Zero: no cap.
	MaxOrders int
}

// SpecLimits are the limits as the specification states them.
func SpecLimits() Limits {
	return Limits{
		RequestsPerMinute: 2000,   // EPGU-A3
		RequestsPerHour:   120000, // EPGU-A3
		RequestsPerDay:    2880000,
		OrdersPerUser:     20, // EPGU-A3: "за 10 минут 20"
		OrdersWindow:      10 * time.Minute,
		MinChunkBytes:     5000000,  // EPGU-2.1.3
		MaxChunkBytes:     50000000, // EPGU-2.1.3
		ChunkWindow:       5 * time.Minute,
		MaxPushBytes:      50000000, // EPGU-2.1.4
		MaxArchiveBytes:   250000000,
		UploadBudget:      1 << 30,
		MaxOrders:         100000,
	}
}

// window counts requests in a fixed window opened by the first request it counts.
type window struct {
	start time.Time
	n     int
}

// meter is one system's request counts (EPGU-A3).
type meter struct {
	minute, hour, day window
}

type rateLimiter struct {
	mu     sync.Mutex
	meters map[string]*meter
}

// admit counts a request of a system, or says which limit it would cross and when to retry.
func (l *rateLimiter) admit(system string, now time.Time, lim Limits) (retry time.Duration, crossed msg.Text) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.meters == nil {
		l.meters = map[string]*meter{}
	}
	m := l.meters[system]
	if m == nil {
		m = &meter{}
		l.meters[system] = m
	}
	checks := []struct {
		w     *window
		span  time.Duration
		limit int
		name  func(int) msg.Text
	}{
		{&m.minute, time.Minute, lim.RequestsPerMinute, perMinute},
		{&m.hour, time.Hour, lim.RequestsPerHour, perHour},
		{&m.day, 24 * time.Hour, lim.RequestsPerDay, perDay},
	}
	for _, c := range checks {
		if c.w.start.IsZero() || !now.Before(c.w.start.Add(c.span)) {
			c.w.start, c.w.n = now, 0
		}
	}
	for _, c := range checks {
		if c.limit > 0 && c.w.n >= c.limit {
			return c.w.start.Add(c.span).Sub(now), c.name(c.limit)
		}
	}
	for _, c := range checks {
		c.w.n++
	}
	return 0, msg.Text{}
}

// The limits as Appendix 3 words them, which the English texts quote as they are.
func perMinute(n int) msg.Text { return msg.F("%d запросов в минуту", n) }
func perHour(n int) msg.Text   { return msg.F("%d запросов в час", n) }
func perDay(n int) msg.Text    { return msg.F("%d запросов в день", n) }
