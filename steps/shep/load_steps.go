package shep

import (
	"context"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/assembly/load"
	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// loadWorld is a load scenario: a whole signing simulation driven by vegeta, routed to the owner
// system under test (role sync-owner) or, for the negative cases, to a programmed reference owner.
type loadWorld struct {
	*World
	bed       *testbed.Bed
	behaviour owner.Behaviour
	result    *load.Result
}

func init() { stepSets = append(stepSets, registerLoadSteps) }

func registerLoadSteps(w *World, sc *godog.ScenarioContext) {
	l := &loadWorld{World: w}
	sc.Step(`^the reference owner answers in (\d+) seconds$`, l.ownerAnswersIn)
	sc.Step(`^the reference owner answers one request after (\d+) seconds$`, l.ownerAnswersOnceAfter)
	sc.Step(`^the gateway is loaded at the (nominal|peak) rate for (\d+) minutes?$`, func(ctx context.Context, profile string, minutes int) error {
		return l.loaded(ctx, "sync", profile, minutes, nil)
	})
	sc.Step(`^the asynchronous channel is loaded at the (nominal|peak) rate for (\d+) minutes?$`, func(ctx context.Context, profile string, minutes int) error {
		return l.loaded(ctx, "async", profile, minutes, nil)
	})
	sc.Step(`^the owner system under test is loaded at the (nominal|peak) rate for (\d+) minutes?$`, l.sutLoaded)
	sc.Step(`^every request was routed to the owner system under test$`, l.routedToSUT)
	sc.Step(`^the "([^"]*)" limit holds$`, func(ruleID string) error { return l.limit(ruleID, true) })
	sc.Step(`^the "([^"]*)" limit is broken$`, func(ruleID string) error { return l.limit(ruleID, false) })
	sc.Step(`^every request was answered without error$`, l.noErrors)
}

func (l *loadWorld) ownerAnswersIn(seconds int) {
	l.behaviour.Latency = l.suite.Limits.Scaled(time.Duration(seconds) * time.Second)
}

func (l *loadWorld) ownerAnswersOnceAfter(seconds int) {
	l.behaviour.FirstLatency = l.suite.Limits.Scaled(time.Duration(seconds) * time.Second)
}

// loaded runs the profile compressed to about two seconds of real time: the rate in Rules time is
// the Rules' own, only the wall clock is shortened, and the report says so.
func (l *loadWorld) loaded(ctx context.Context, channel, profile string, minutes int, sutOwner *sut.Target) error {
	p := load.Peak
	if profile == "nominal" {
		p = load.Nominal
	}
	p.Duration = time.Duration(minutes) * time.Minute
	p.Compress = p.Duration.Seconds() / 2
	o := testbed.Options{Limits: l.suite.Limits, Journal: l.suite.Journal, Key: l.suite.Key}
	if sutOwner != nil {
		// The system under test trusts the run's NCA and was told the gateway's BIN (A6-S1).
		o.Authority, o.GatewayBIN, o.Owner = l.suite.NCA, binOf(gatewaySystem), sutOwner
	}
	bed, err := testbed.Start(o)
	if err != nil {
		return err
	}
	l.bed = bed
	l.onClose(bed.Close)
	if bed.Owner != nil {
		bed.Owner.Handle(bed.ServiceID, l.behaviour)
	}
	target := bed.SyncTarget()
	if channel == "async" {
		target = bed.AsyncTarget()
	}
	res, err := load.Run(ctx, target, p, l.suite.Limits, nil)
	if err != nil {
		return err
	}
	l.result = &res
	l.attachJSON("load summary ("+channel+" channel, "+p.String()+")", res)
	l.suite.loadCompression = p.Compress
	l.suite.measurements = append(l.suite.measurements, l.measured(p, res)...)
	return nil
}

// sutLoaded loads the owner system under test through the gateway: the A2-T1 verdicts then judge
// its processing times, measured by the gateway's journal.
func (l *loadWorld) sutLoaded(ctx context.Context, profile string, minutes int) error {
	t, err := l.target(ctx)
	if err != nil {
		return err
	}
	if err := l.loaded(ctx, "sync", profile, minutes, &t); err != nil {
		return err
	}
	l.exercise(l.bed.ServiceID)
	return nil
}

// routedToSUT checks from the journal that the gateway handed every request to the system under
// test: the verdicts judge its times, not a reference owner's.
func (l *loadWorld) routedToSUT(ctx context.Context) error {
	if l.result == nil {
		return msg.Errorf("no load has run")
	}
	t, err := l.target(ctx)
	if err != nil {
		return err
	}
	there, all := l.result.Routed(t.SyncURL)
	return l.verify("A2-T1", msg.F("all %d requests routed to %s at %s", len(l.result.Samples), t.SystemID, t.SyncURL),
		msg.F("%d routed there, %d routed at all (journal); the verdicts judge %s", there, all, l.result.OwnerSystem.ID),
		there == len(l.result.Samples) && there > 0 && l.result.OwnerSystem.ID == t.SystemID)
}

// measured turns a load run into the report's charts: each exchange's owner processing time and
// acceptance time, in Rules time, against the limits of A2-T1 and R-47.
func (l *loadWorld) measured(p load.Profile, res load.Result) []reports.Measurement {
	owner := reports.Measurement{Name: "owner processing time (" + res.OwnerSystem.ID + "), synchronous channel, " + p.String(), Rule: "A2-T1 row 1", Unit: "s", Limit: rule.SyncMaxProcessing.Seconds()}
	accept := reports.Measurement{Name: "acceptance time, " + res.Channel + " channel, " + p.String(), Rule: "R-47", Unit: "s", Limit: rule.Acceptance.Seconds()}
	var start time.Time
	for _, s := range res.Samples {
		if start.IsZero() {
			start = s.Start
		}
		at := time.Duration(float64(s.Start.Sub(start)) * p.Compress) // in Rules time: compression only shortens the schedule
		owner.Samples = append(owner.Samples, reports.Sample{At: at, Value: l.suite.Limits.InRulesTime(s.Owner).Seconds()})
		accept.Samples = append(accept.Samples, reports.Sample{At: at, Value: l.suite.Limits.InRulesTime(s.Acceptance).Seconds()})
	}
	if res.Channel == "async" {
		return []reports.Measurement{accept}
	}
	return []reports.Measurement{owner, accept}
}

func (l *loadWorld) limit(ruleID string, holds bool) error {
	if l.result == nil {
		return msg.Errorf("no load has run")
	}
	for _, v := range l.result.Verdicts {
		if v.Rule == ruleID {
			// The verdict's texts are assembly/load's: parameters here, rendered in the reader's
			// language when they are messages.
			expected := msg.F("%s held", v.Limit)
			if !holds {
				expected = msg.F("%s broken (a negative case: this owner must fail it)", v.Limit)
			}
			return l.verify(ruleID, expected, msg.F("%s, %s", v.Measured, v.Whose), v.Passed == holds)
		}
	}
	return msg.Errorf("no verdict for %s", ruleID)
}

func (l *loadWorld) noErrors() error {
	return l.limit("A2-T2", true)
}
