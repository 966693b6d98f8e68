package gospochta

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shepconf/shepconf/assembly/gospochta"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/trigger"
)

// loadRun is what the load scenario sent and what came of each send.
type loadRun struct {
	planned, attempts, failed int
	failures                  []msg.Text // the first ones, for the report
	started                   time.Time
	took                      time.Duration
}

// maxFailuresKept bounds the failures the report lists.
const maxFailuresKept = 20

func (l *loadRun) record(outcome string, err error, detail string) {
	l.attempts++
	if err == nil && outcome == trigger.Accepted {
		return
	}
	l.failed++
	if len(l.failures) < maxFailuresKept {
		why := msg.Raw(detail)
		if err != nil {
			why = msg.Of(err)
		}
		l.failures = append(l.failures, msg.F("outcome %q: %s", outcome, why))
	}
}

// sendMany makes the system send n messages at perSecond (GP-W-DELIVERY, GP-W-FAILRATE): with
// vegeta against its HTTP trigger, as the ShEP limits are measured, or, for a command or an
// operator, fired one by one at the same pace.
func (w *World) sendMany(ctx context.Context, n, perSecond int) error {
	if n <= 0 || perSecond <= 0 {
		return msg.Errorf("the load needs a positive count and rate")
	}
	reqs := make([]trigger.Request, n)
	for i := range reqs {
		r := gospochta.Recipients[i%len(gospochta.Recipients)]
		reqs[i] = w.sendRequest(kindOf(i), r.ID, i+1)
	}
	w.load = &loadRun{planned: n, started: time.Now()}
	w.evidence.AttachJSON("load plan.json", map[string]any{"messages": n, "perSecond": perSecond, "target": w.loadTarget()})
	var err error
	if w.suite.loadURL != "" {
		err = w.attack(ctx, reqs, perSecond)
	} else {
		err = w.fireAtPace(ctx, reqs, perSecond)
	}
	w.load.took = time.Since(w.load.started)
	w.evidence.AttachJSON("load result.json", map[string]any{"attempts": w.load.attempts, "failed": w.load.failed,
		"failures": w.load.failures, "took": w.load.took.String(), "accepted by Gospochta": len(w.contour.Post.Messages())})
	return err
}

func (w *World) loadTarget() string {
	if w.suite.loadURL != "" {
		return "vegeta: POST " + w.suite.loadURL
	}
	return w.suite.trigger.Describe() + ", fired at the load's pace"
}

func kindOf(i int) string {
	kinds := []string{"court-notice", "bankruptcy-notice", "order"}
	return kinds[i%len(kinds)]
}

// attack POSTs the trigger requests to the system's trigger URL with vegeta at the rate.
func (w *World) attack(ctx context.Context, reqs []trigger.Request, perSecond int) error {
	bodies := make([][]byte, len(reqs))
	for i, r := range reqs {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		bodies[i] = b
	}
	var mu sync.Mutex
	next := 0
	targeter := func(t *vegeta.Target) error {
		mu.Lock()
		defer mu.Unlock()
		if next == len(bodies) {
			return vegeta.ErrNoTargets
		}
		*t = vegeta.Target{Method: http.MethodPost, URL: w.suite.loadURL, Body: bodies[next],
			Header: http.Header{"Content-Type": {"application/json"}}}
		next++
		return nil
	}
	timeout := w.suite.timing.Confirm + time.Minute
	attacker := vegeta.NewAttacker(vegeta.Timeout(timeout), vegeta.KeepAlive(true), vegeta.MaxBody(1<<20))
	duration := time.Duration(len(reqs)) * time.Second / time.Duration(perSecond)
	results := attacker.Attack(targeter, vegeta.Rate{Freq: perSecond, Per: time.Second}, duration+time.Second, "gospochta-send")
	done := ctx.Done()
	for {
		select {
		case <-done:
			attacker.Stop() // vegeta then closes results
			done = nil
		case r, ok := <-results:
			if !ok {
				return ctx.Err()
			}
			if r.Error == vegeta.ErrNoTargets.Error() {
				continue // the attack asked for one more request than there are sends
			}
			var res trigger.Result
			if r.Code != http.StatusOK {
				w.load.record("", fmt.Errorf("HTTP %d %s", r.Code, r.Error), "")
				continue
			}
			err := json.Unmarshal(r.Body, &res)
			w.load.record(res.Outcome, err, res.Error)
		}
	}
}

// fireAtPace fires the trigger requests at the rate, each in its own goroutine.
func (w *World) fireAtPace(ctx context.Context, reqs []trigger.Request, perSecond int) error {
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, r := range reqs {
		select {
		case <-tick.C:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			timeout, _ := time.ParseDuration(r.Timeout)
			fctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
			defer cancel()
			res, err := w.suite.trigger.Fire(fctx, r)
			mu.Lock()
			w.load.record(res.Outcome, err, res.Error)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return nil
}

// failRatio: GP-W-FAILRATE, at most 0.1 % of the sends failed, by the system's own account and by
// what Gospochta accepted.
func (w *World) failRatio() error {
	l := w.load
	if l == nil {
		return msg.Errorf("the scenario ran no load")
	}
	accepted := len(w.contour.Post.Messages())
	refused := refusals(w.inbound())
	failed := max(l.failed, l.attempts-accepted)
	ratio := 0.0
	if l.attempts > 0 {
		ratio = float64(failed) / float64(l.attempts)
	}
	// 0.1 % of fewer than a thousand sends is less than one: such a run proves no failure at all.
	expected := msg.F("at most 0.1 %% of the %d sends failed: at most %d of them", l.planned, l.planned/1000)
	return w.evidence.Check("GP-W-FAILRATE", expected,
		msg.F("%d sends in %s, %d reported failed, %d accepted by Gospochta: %.2f %% failed; failures: %s; Gospochta refused: %s",
			l.attempts, l.took.Round(time.Millisecond), l.failed, accepted, 100*ratio, list(l.failures), list(refused)),
		l.attempts == l.planned && ratio <= 0.001)
}
