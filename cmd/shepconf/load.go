package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/shepconf/shepconf/internal/load"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/testbed"
	"github.com/shepconf/shepconf/simulators/owner"
)

// runLoad is `shepconf load`: a load profile through the simulated gateway to the reference owner.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "peak", "nominal (360/h), peak (2000/h), stress (raise the rate until a limit breaks) or custom")
	perHour := fs.Int("rate", 0, "requests per hour, for --profile custom")
	duration := fs.Duration("duration", time.Hour, "how long the profile lasts, in Rules time (per step for stress)")
	compress := fs.Float64("compress", 1, "send the same requests N times faster; only 1 certifies")
	scale := fs.Float64("time-scale", 1, "shrink the timing limits and the owner's latency by this factor; only 1 certifies")
	latency := fs.Duration("owner-latency", 0, "the reference owner's processing time per request, in Rules time")
	out := fs.String("out", "out/load", "folder for vegeta's results and the JSON summary")
	channel := fs.String("channel", "sync", "sync (SendMessage, A2-T1 and R-47) or async (sendMessage, R-47)")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *compress <= 0 || *scale <= 0 || *scale > 1 || *duration <= 0 {
		fmt.Fprintln(stderr, "shepconf load: --compress and --duration must be positive, --time-scale in (0, 1]")
		return exitError
	}
	if *channel != "sync" && *channel != "async" {
		fmt.Fprintf(stderr, "shepconf load: unknown channel %q (sync, async)\n", *channel)
		return exitError
	}
	p := load.Profile{Name: *channel + "-" + *profile, Duration: *duration, Compress: *compress}
	switch *profile { // Appendix 2 table 2
	case "nominal":
		p.PerHour = rule.NominalPerHour
	case "peak", "stress":
		p.PerHour = rule.PeakPerHour
	case "custom":
		if *perHour <= 0 {
			fmt.Fprintln(stderr, "shepconf load: --profile custom needs --rate (requests per hour)")
			return exitError
		}
		p.PerHour = *perHour
	default:
		fmt.Fprintf(stderr, "shepconf load: unknown profile %q (nominal, peak, stress, custom)\n", *profile)
		return exitError
	}

	limits := rule.ScaledLimits(*scale)
	bed, err := testbed.Start(testbed.Options{Limits: limits, JournalPath: filepath.Join(*out, "journal.sqlite")})
	if err != nil {
		fmt.Fprintln(stderr, "shepconf load:", err)
		return exitError
	}
	defer bed.Close(context.Background())
	bed.Owner.Handle(testbed.ServiceID, owner.Behaviour{Latency: limits.Scaled(*latency)})
	target := load.SyncTarget(bed.Initiator, testbed.ServiceID, bed.Journal)
	if *channel == "async" {
		target = load.AsyncTarget(bed.Participant, testbed.ServiceID, bed.Journal)
	}

	if *profile == "stress" {
		return stress(ctx, target, p, limits, *out, stdout, stderr)
	}
	res, err := load.Run(ctx, target, p, limits, stderr)
	if err == nil {
		err = res.Write(*out)
	}
	if err != nil {
		fmt.Fprintln(stderr, "shepconf load:", err)
		return exitError
	}
	printResult(stdout, res, *out)
	if !res.Passed() {
		return exitFailed
	}
	return exitConformant
}

// stress doubles the rate step by step until a limit breaks, and reports the highest rate that held.
func stress(ctx context.Context, t load.Target, p load.Profile, limits rule.Limits, out string, stdout, stderr io.Writer) int {
	held := 0
	for step := 1; step <= 12 && ctx.Err() == nil; step++ {
		p.Name = fmt.Sprintf("%s-stress-%d", t.Channel, step)
		res, err := load.Run(ctx, t, p, limits, stderr)
		if err == nil {
			err = res.Write(out)
		}
		if err != nil {
			fmt.Fprintln(stderr, "shepconf load:", err)
			return exitError
		}
		printResult(stdout, res, out)
		if !res.Passed() {
			break
		}
		held = p.PerHour
		p.PerHour *= 2
	}
	fmt.Fprintf(stdout, "\nHighest rate that held every limit: %d requests/hour (compression %gx)\n", held, p.Compress)
	if held < rule.PeakPerHour {
		return exitFailed
	}
	return exitConformant
}

func printResult(w io.Writer, r load.Result, out string) {
	fmt.Fprintf(w, "\n%s channel, %s\n", r.Channel, r.Profile)
	if r.Profile.Compress != 1 || r.TimeScale != 1 {
		fmt.Fprintf(w, "compression %gx, time scale %g: this run does not certify\n", r.Profile.Compress, r.TimeScale)
	}
	m := r.Metrics
	fmt.Fprintf(w, "requests %d, rate %.2f/s, throughput %.2f/s, success %.1f%%\n", m.Requests, m.Rate, m.Throughput, m.Success*100)
	fmt.Fprintf(w, "latency  min %s  mean %s  p50 %s  p90 %s  p95 %s  p99 %s  max %s\n",
		m.Latencies.Min, m.Latencies.Mean, m.Latencies.P50, m.Latencies.P90, m.Latencies.P95, m.Latencies.P99, m.Latencies.Max)
	for _, v := range r.Verdicts {
		mark := "PASS"
		if !v.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %-12s %s: measured %s (%s)\n", mark, v.Rule, v.Limit, v.Measured, v.Whose)
	}
	fmt.Fprintf(w, "results: %s\n", filepath.Join(out, r.Profile.Name+"-"+load.SummaryFile))
}
