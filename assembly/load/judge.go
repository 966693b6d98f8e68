package load

import (
	"context"
	"fmt"
	"time"

	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// judge reads each exchange from the journal and decides the verdicts.
func (r *Result) judge(ctx context.Context, j *journal.Journal, limits rule.Limits) error {
	var owners, gateways, acceptances []time.Duration
	errors := 0
	for _, v := range r.raw {
		s := Sample{Seq: v.Seq, Start: v.Timestamp, Latency: v.Latency, Status: v.Code, Error: v.Error}
		if m := faultRE.FindSubmatch(v.Body); m != nil {
			s.Fault = string(m[1])
			r.Faults[s.Fault]++
		}
		if m := sessionRE.FindSubmatch(v.Body); m != nil {
			x, err := j.Exchange(ctx, string(m[1]))
			if err != nil {
				return fmt.Errorf("journal of request %d: %w", v.Seq, err)
			}
			s.Owner, s.Gateway, s.Acceptance = x.OwnerTime(), x.GatewayTime(), x.AcceptanceTime()
			for _, e := range x.Events {
				if e.Kind == journal.Routed {
					s.RoutedTo = e.Detail
				}
			}
			if !x.SentToOwner.IsZero() && r.Channel == "sync" {
				owners = append(owners, s.Owner)
				gateways = append(gateways, s.Gateway)
			}
			if !x.Accepted.IsZero() {
				acceptances = append(acceptances, s.Acceptance)
			}
		}
		if !s.OK() {
			errors++
		}
		if r.Channel == "async" {
			s.Owner, s.Gateway = 0, 0 // no owner on the path: the gateway answers once it stored the message
		}
		r.Samples = append(r.Samples, s)
	}
	r.Owner, r.Gateway, r.Acceptance = statsOf(owners), statsOf(gateways), statsOf(acceptances)
	r.Verdicts = r.verdicts(limits, errors)
	return nil
}

// judgeDirect decides the verdicts of a direct load from the owner's times the load measured
// itself, from sending each request to reading the whole answer.
func (r *Result) judgeDirect(limits rule.Limits) error {
	var owners []time.Duration
	errors := 0
	for i, v := range r.raw {
		x := r.exchanges[i]
		s := Sample{Seq: v.Seq, Start: v.Timestamp, Latency: v.Latency, Status: v.Code, Error: v.Error, Fault: x.fault}
		if x.fault != "" {
			r.Faults[x.fault]++
		}
		if x.sent {
			s.Owner, s.RoutedTo = x.owner, r.OwnerSystem.Endpoint
			owners = append(owners, x.owner)
		}
		if !s.OK() {
			errors++
		}
		r.Samples = append(r.Samples, s)
	}
	r.Owner = statsOf(owners)
	r.NotJudged = []NotJudged{{Rule: "R-47", Why: msg.F("acceptance is the gateway's, and a direct load has no gateway on its path")}}
	r.Verdicts = r.verdicts(limits, errors)
	return nil
}

// verdicts judges the times in r and the errors counted against the limits of Appendix 2 table 1.
func (r *Result) verdicts(limits rule.Limits, errors int) []Verdict {
	acceptance := Verdict{Rule: "R-47", Limit: msg.F("every message accepted within %s", limits.Describe(rule.Acceptance)),
		Measured: msg.F("%d accepted, slowest %s", r.Acceptance.Count, r.inRules(limits, r.Acceptance.Max)), Whose: msg.F("the gateway's"),
		Passed: r.Acceptance.Count == len(r.raw) && r.Acceptance.Max <= limits.Acceptance}
	// A2-T2 holds at the profile's rate only (HeldRate).
	planned, held := r.Profile.Requests(), r.HeldRate()
	failed := msg.F("%d of %d requests failed %v", errors, len(r.raw), r.Faults)
	if !held {
		failed = msg.F("%d of %d requests failed %v; the load fell behind its rate: %d of %d planned were sent", errors, len(r.raw), r.Faults, len(r.raw), planned)
	}
	noErrors := Verdict{Rule: "A2-T2", Limit: msg.F("no errors at %d requests/hour", r.Profile.PerHour),
		Measured: failed, Whose: msg.F("the exchange's"), Passed: errors == 0 && len(r.raw) > 0 && held}
	if r.Channel == "async" { // A2-T1 is the synchronous channel's: only acceptance and errors apply
		return []Verdict{acceptance, noErrors}
	}
	maxWhose := msg.F("the owner's (gateway's own share: max %s)", r.inRules(limits, r.Gateway.Max))
	meanWhose := msg.F("the owner's (gateway's own share: mean %s)", r.inRules(limits, r.Gateway.Mean))
	if r.Direct {
		maxWhose = msg.F("the owner's, measured by the load from sending the request to reading the whole answer (no gateway on the path)")
		meanWhose = maxWhose
	}
	processing := []Verdict{
		{Rule: "A2-T1 row 1", Limit: msg.F("maximum processing time %s", limits.Describe(rule.SyncMaxProcessing)),
			Measured: r.inRules(limits, r.Owner.Max), Whose: maxWhose,
			Passed: r.Owner.Count > 0 && r.Owner.Max <= limits.SyncMaxProcessing},
		{Rule: "A2-T1 row 2", Limit: msg.F("mean processing time %s", limits.Describe(rule.SyncMeanProcessing)),
			Measured: r.inRules(limits, r.Owner.Mean), Whose: meanWhose,
			Passed: r.Owner.Count > 0 && r.Owner.Mean <= limits.SyncMeanProcessing},
	}
	if r.Direct { // R-47 is the gateway's (NotJudged)
		return append(processing, noErrors)
	}
	return append(processing, acceptance, noErrors)
}

// HeldRate says whether the load sent the requests its profile planned: one that fell behind (its
// workers all held by a slow system, or its machine saturated) sent fewer, and proves nothing at
// the profile's rate. Up to 5% short, or a handful on a short run, is a pacer that started late on
// a busy machine.
func (r Result) HeldRate() bool {
	planned := r.Profile.Requests()
	return r.Metrics.Requests+max(planned/20, 6) >= planned
}

// inRules states a measured duration in Rules time.
func (r *Result) inRules(limits rule.Limits, d time.Duration) msg.Text {
	if limits.Scale == 1 {
		return msg.Raw(d.Round(time.Millisecond).String())
	}
	return msg.F("%s (measured %s at time scale %g)", limits.InRulesTime(d).Round(time.Millisecond), d.Round(time.Microsecond), limits.Scale)
}

// Routed counts, from the journal, the requests the gateway routed to the owner at endpoint and
// those it routed anywhere: every exchange of a load on an owner must have reached that owner.
func (r Result) Routed(endpoint string) (there, all int) {
	for _, s := range r.Samples {
		if s.RoutedTo != "" {
			all++
			if s.RoutedTo == endpoint {
				there++
			}
		}
	}
	return there, all
}
