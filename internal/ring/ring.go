// Package ring keeps the newest entries of a log within a bound: the simulators' logs of what they
// received, which a long-running serve must not let grow without end.
package ring

import "sync"

// Log holds the newest Cap entries (all of them when Cap is 0 or less); safe for concurrent use.
// Adding to a full log overwrites the oldest entry in place rather than moving every entry.
type Log[T any] struct {
	Cap     int
	mu      sync.Mutex
	entries []T
	next    int // where the next entry goes once the ring is full
}

// Add appends v, dropping the oldest entry when the log is full.
func (l *Log[T]) Add(v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Cap <= 0 || len(l.entries) < l.Cap {
		l.entries = append(l.entries, v)
		return
	}
	l.entries[l.next] = v
	l.next = (l.next + 1) % len(l.entries)
}

// All is the log oldest first, each entry passed through clone (nil: as it is), so that a caller
// cannot change what the log holds through an entry's pointers or slices.
func (l *Log[T]) All(clone func(T) T) []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]T, 0, len(l.entries))
	out = append(out, l.entries[l.next:]...)
	out = append(out, l.entries[:l.next]...)
	if clone != nil {
		for i := range out {
			out[i] = clone(out[i])
		}
	}
	return out
}
