package load

import (
	"fmt"
	"io"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// progress draws a one-line bar on long runs: requests sent, errors, current p99, time left.
type progress struct {
	w      io.Writer
	total  uint64
	start  time.Time
	wall   time.Duration
	last   time.Time
	sent   uint64
	errors uint64
}

func newProgress(w io.Writer, p Profile) *progress {
	if w == nil {
		w = io.Discard
	}
	fmt.Fprintf(w, "load %s\n", p)
	return &progress{w: w, total: p.Requests(), start: time.Now(), wall: p.Wall()}
}

func (b *progress) add(r *vegeta.Result, m vegeta.Metrics) {
	b.sent++
	if r.Error != "" || r.Code != 200 {
		b.errors++
	}
	if time.Since(b.last) < time.Second && b.sent < b.total {
		return
	}
	b.last = time.Now()
	m.Close() // a copy: computes the percentiles so far
	left := b.wall - time.Since(b.start)
	if left < 0 {
		left = 0
	}
	const width = 30
	done := width
	if b.total > 0 && b.sent < b.total {
		done = int(b.sent * width / b.total)
	}
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d sent, %d errors, p99 %s, %s left   ",
		strings.Repeat("#", done), strings.Repeat(".", width-done), b.sent, b.total, b.errors,
		m.Latencies.P99.Round(time.Millisecond), left.Round(time.Second))
}

func (b *progress) done() { fmt.Fprintln(b.w) }
