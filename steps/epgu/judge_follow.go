package epgu

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

func (w *World) withinRate(perMinute int) error {
	calls := w.calls()
	most, refused := 0, 0
	for i, c := range calls {
		n := 0
		for _, d := range calls[i:] {
			if d.At.Sub(c.At) >= time.Minute {
				break
			}
			n++
		}
		most = max(most, n)
		if c.Status == http.StatusTooManyRequests && !c.Fault {
			refused++
		}
	}
	return w.evidence.Check("EPGU-A3", msg.F("at most %d calls in any minute, none refused with 429", perMinute),
		msg.F("%d calls, at most %d in a minute, %d refused with 429", len(calls), most, refused),
		most <= perMinute && refused == 0)
}

func (w *World) downloadedResult() error {
	var got []string
	for _, r := range w.calls() {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "download") {
			got = append(got, fmt.Sprintf("%s → %d", r.Path, r.Status))
			if r.Status == http.StatusOK {
				return w.evidence.Check("EPGU-4", msg.F("the result file downloaded by the order's link"), msg.Raw(strings.Join(got, ", ")), true)
			}
		}
	}
	return w.evidence.Check("EPGU-4", msg.F("the result file downloaded by the order's link"),
		msg.F("downloads %v%s", got, w.outcome()), false)
}

func (w *World) cancelledWhileAllowed() error {
	var ok, refused int
	for _, r := range w.calls() {
		if strings.HasSuffix(route(r.Path), "/cancel") && !r.Fault {
			switch r.Status {
			case http.StatusOK:
				ok++
			case http.StatusMethodNotAllowed: // cancel_not_allowed: the status did not allow it (EPGU-A4)
				refused++
			}
		}
	}
	return w.evidence.Check("EPGU-2.2", msg.F("one cancel, made while cancelAllowed"),
		msg.F("%d cancels accepted, %d refused%s", ok, refused, w.outcome()), ok == 1 && refused == 0)
}

func (w *World) waitedRetryAfter() error {
	return w.pausedAfterFaults(http.StatusTooManyRequests, 0)
}

func (w *World) pausedAfter(seconds int) error {
	return w.pausedAfterFaults(http.StatusServiceUnavailable, time.Duration(seconds)*time.Second)
}

// pausedAfterFaults checks the call after each injected fault of status came no sooner than the
// fault's Retry-After or least, and that the call was repeated at all.
func (w *World) pausedAfterFaults(status int, least time.Duration) error {
	calls := w.calls()
	var faults, early int
	var seen []msg.Text
	for i, c := range calls {
		if !c.Fault || c.Status != status {
			continue
		}
		faults++
		wait := max(least, w.retryAfter)
		if i+1 >= len(calls) {
			early++
			seen = append(seen, msg.F("no call after it"))
			continue
		}
		gap := calls[i+1].At.Sub(c.At)
		seen = append(seen, msg.F("next call after %s (at least %s)", gap.Round(time.Millisecond), wait))
		if gap < wait-20*time.Millisecond {
			early++
		}
	}
	return w.evidence.Check("EPGU-A4", msg.F("after HTTP %d the call repeated, no sooner than Retry-After or %s", status, least),
		msg.F("%d answers %d: %s%s", faults, status, list(seen), w.outcome()), faults > 0 && early == 0)
}
