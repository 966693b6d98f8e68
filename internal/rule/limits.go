package rule

import (
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// The Rules' timing and load figures. Verdicts compare measurements with these, never flags.
const (
	// the gateway accepts a message within one minute of receiving it, on both channels.
	Acceptance = time.Minute
	// A2-T1 row 1: a synchronous request is processed in at most 30 seconds.
	SyncMaxProcessing = 30 * time.Second
	// A2-T1 row 2: a synchronous request is processed in 10 seconds on average.
	SyncMeanProcessing = 10 * time.Second
	// A2-T1 row 3 and A2-T2 row 2: peak load, requests per hour.
	PeakPerHour = 2000
	// A2-T1 row 4 and A2-T2 row 3: nominal load, requests per hour.
	NominalPerHour = 360
)

// Limits are the timing limits in force for a run. A certification run uses the Rules' values
// (Scale 1). The harness's own tests may shrink every limit and every scripted delay by the same
// factor, so a 31 s owner becomes 310 ms against a 300 ms limit: the limit is still really crossed.
type Limits struct {
	Scale              float64
	Acceptance         time.Duration
	SyncMaxProcessing  time.Duration
	SyncMeanProcessing time.Duration
}

// RulesLimits are the limits as the Rules state them.
func RulesLimits() Limits { return ScaledLimits(1) }

// ScaledLimits shrinks (scale < 1) every limit of the Rules by scale.
func ScaledLimits(scale float64) Limits {
	if scale <= 0 {
		scale = 1
	}
	l := Limits{Scale: scale}
	l.Acceptance = l.Scaled(Acceptance)
	l.SyncMaxProcessing = l.Scaled(SyncMaxProcessing)
	l.SyncMeanProcessing = l.Scaled(SyncMeanProcessing)
	return l
}

// Scaled converts a duration stated in Rules time (a limit, a scripted delay) to real time.
func (l Limits) Scaled(d time.Duration) time.Duration {
	if l.Scale == 0 || l.Scale == 1 {
		return d
	}
	return time.Duration(float64(d) * l.Scale)
}

// InRulesTime converts a measured real duration back to Rules time, for reports.
func (l Limits) InRulesTime(d time.Duration) time.Duration {
	if l.Scale == 0 || l.Scale == 1 {
		return d
	}
	return time.Duration(float64(d) / l.Scale)
}

// Describe states a limit with the scale in force, e.g. "30s" or "30s (time scale 0.01: 300ms)".
func (l Limits) Describe(rules time.Duration) msg.Text {
	if l.Scale == 0 || l.Scale == 1 {
		return msg.Raw(rules.String())
	}
	return msg.F("%s (time scale %g: %s)", rules, l.Scale, l.Scaled(rules))
}
