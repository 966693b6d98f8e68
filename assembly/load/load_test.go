package load_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/racedetect"

	"github.com/shepconf/shepconf/assembly/load"
	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// scale shrinks the limits a hundredfold: 30 s becomes 300 ms, 10 s becomes 100 ms.
const scale = 0.01

func run(t *testing.T, b owner.Behaviour, p load.Profile) load.Result {
	t.Helper()
	return runScaled(t, scale, b, p)
}

func runScaled(t *testing.T, scale float64, b owner.Behaviour, p load.Profile) load.Result {
	t.Helper()
	limits := rule.ScaledLimits(scale)
	bed, err := testbed.Start(testbed.Options{Limits: limits, JournalPath: filepath.Join(t.TempDir(), "journal.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bed.Close(context.Background()) })
	bed.Owner.Handle(testbed.ServiceID, b)
	res, err := load.Run(context.Background(), load.SyncTarget(bed.Initiator, testbed.ServiceID, bed.Journal), p, limits, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Write(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return res
}

// A minute of peak load (33 requests) in a second.
var shortPeak = load.Profile{Name: "peak", PerHour: rule.PeakPerHour, Duration: time.Minute, Compress: 60}

func verdict(r load.Result, ruleID string) load.Verdict {
	for _, v := range r.Verdicts {
		if v.Rule == ruleID {
			return v
		}
	}
	return load.Verdict{}
}

func TestPeakPasses(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("judges timing at 1/100 of the Rules' limits: under -race the detector's slowdown, not the gateway, would miss them")
	}
	r := run(t, owner.Behaviour{}, shortPeak)
	if !r.Passed() || r.Owner.Count != int(r.Metrics.Requests) || r.Metrics.Requests < shortPeak.Requests() {
		t.Fatalf("%+v", r.Verdicts)
	}
}

func TestSlowOwnerFailsTheMean(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("judges timing at 1/100 of the Rules' limits: under -race the detector's slowdown, not the gateway, would miss them")
	}
	// At 1/20 of the Rules' time an 11 s answer takes 550 ms and leaves the gateway 950 ms before the
	// 30 s maximum (1.5 s): room for a shared machine's stalls, which at 1/100 (190 ms) was not enough.
	r := runScaled(t, 0.05, owner.Behaviour{Latency: 550 * time.Millisecond}, shortPeak)
	if v := verdict(r, "A2-T1 row 2"); v.Passed {
		t.Fatalf("a mean of 11 s passed: %+v", v)
	}
	if v := verdict(r, "A2-T1 row 1"); !v.Passed {
		t.Fatalf("11 s answers broke the 30 s maximum: %+v", v)
	}
}

func TestOneLateAnswerFailsTheMaximum(t *testing.T) {
	r := run(t, owner.Behaviour{FirstLatency: 310 * time.Millisecond}, shortPeak) // one 31 s answer
	if v := verdict(r, "A2-T1 row 1"); v.Passed {
		t.Fatalf("a 31 s answer passed the maximum: %+v", v)
	}
	if r.Faults["SCE008"] != 1 {
		t.Fatalf("faults %v, want one SCE008", r.Faults)
	}
}

func TestAsyncPeakPasses(t *testing.T) {
	if racedetect.Enabled {
		t.Skip("judges timing at 1/100 of the Rules' limits: under -race the detector's slowdown, not the gateway, would miss them")
	}
	limits := rule.ScaledLimits(scale)
	bed, err := testbed.Start(testbed.Options{Limits: limits, JournalPath: filepath.Join(t.TempDir(), "journal.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close(context.Background())
	r, err := load.Run(context.Background(), load.AsyncTarget(bed.Participant, testbed.ServiceID, bed.Journal), shortPeak, limits, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed() || r.Acceptance.Count != int(r.Metrics.Requests) || len(r.Verdicts) != 2 {
		t.Fatalf("%+v faults %v", r.Verdicts, r.Faults)
	}
}
