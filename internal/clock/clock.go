package clock

import (
	"context"
	"sync"
	"time"
)

// Clock is the time the procedures run on. The harness runs them on a Virtual clock, so a procedure
// of several months runs in a fraction of a second; a deployment could run them on Real.
type Clock interface {
	Now() time.Time
	// Advance moves time forward by d: at once on a virtual clock, by waiting on the real one.
	Advance(d time.Duration)
}

// Virtual is a clock that moves only when told. It is safe for concurrent use.
type Virtual struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtual returns a virtual clock showing start.
func NewVirtual(start time.Time) *Virtual { return &Virtual{now: start} }

// Now returns the clock's time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// Advance moves the clock forward; a negative d is ignored, because time does not run back.
func (v *Virtual) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.now = v.now.Add(d)
}

// AdvanceTo moves the clock to t when t is later than now.
func (v *Virtual) AdvanceTo(t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.After(v.now) {
		v.now = t
	}
}

// Real is the wall clock.
type Real struct{}

// Now returns the wall-clock time.
func (Real) Now() time.Time { return time.Now() }

// Advance waits for d.
func (Real) Advance(d time.Duration) { time.Sleep(d) }

// Sleeper waits d on c, or until ctx ends: on the wall clock for Real, by moving a virtual clock
// otherwise, so that a client driven by a virtual clock in a test does not wait at all.
func Sleeper(c Clock) func(ctx context.Context, d time.Duration) error {
	if _, real := c.(Real); real {
		return func(ctx context.Context, d time.Duration) error {
			if d <= 0 {
				return ctx.Err()
			}
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.Advance(d)
		return nil
	}
}
