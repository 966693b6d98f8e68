package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/shepconf/shepconf/assembly/load"
	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/shep/owner"
	"github.com/shepconf/shepconf/steps/shep"
)

// runLoad is `shepconf load`: a load profile through the simulated gateway to an owner, the
// agency's system under test when one is given (the same flags as run), else the reference owner.
// The Appendix 2 table 1 verdicts then judge that owner's processing times (A2-T1, A2-T2, R-47).
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("load-profile", "peak", "nominal (360/h), peak (2000/h), stress (raise the rate until a limit breaks) or custom (also accepted as --profile)")
	perHour := fs.Int("rate", 0, "requests per hour, for --load-profile custom")
	duration := fs.Duration("duration", time.Hour, "how long the profile lasts, in Rules time (per step for stress)")
	compress := fs.Float64("compress", 1, "send the same requests N times faster; only 1 certifies")
	scale := fs.Float64("time-scale", 1, "shrink the timing limits and the owner's latency by this factor; only 1 certifies")
	latency := fs.Duration("owner-latency", 0, "the reference owner's processing time per request, in Rules time (not with a system under test)")
	service := fs.String("service", "", "the service the load calls (default: the first service of the system under test in --config, else "+testbed.ServiceID+")")
	cfgPath := fs.String("config", "", "configuration file naming the system under test (see fixtures/shep/shepconf.example.yaml)")
	keyAlg := fs.String("key-algorithm", "", "key of every certificate the load issues (overrides the file's keyAlgorithm): "+pki.KeyAlgorithms)
	var sf sutFlags
	sf.register(fs)
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
			fmt.Fprintln(stderr, "shepconf load: --load-profile custom needs --rate (requests per hour)")
			return exitError
		}
		p.PerHour = *perHour
	default:
		fmt.Fprintf(stderr, "shepconf load: unknown profile %q (nominal, peak, stress, custom)\n", *profile)
		return exitError
	}

	key, err := keyAlgorithm(*keyAlg, *cfgPath)
	var sutCfg sut.Config
	if err == nil {
		sutCfg, err = sutConfig(*cfgPath, sf)
	}
	if err == nil {
		err = checkLoadSUT(sutCfg, *channel, *latency)
	}
	if err != nil {
		fmt.Fprintln(stderr, "shepconf load:", err)
		return exitError
	}

	limits := rule.ScaledLimits(*scale)
	opts := testbed.Options{Limits: limits, JournalPath: filepath.Join(*out, "journal.sqlite"), ServiceID: *service, Key: key}
	if !sutCfg.Demonstration() {
		owners, closeCA, err := startLoadSUT(ctx, sutCfg, *cfgPath, &opts)
		defer closeCA()
		if owners != nil {
			defer closeLoadSUT(owners, *out, stderr)
		}
		if err != nil {
			fmt.Fprintln(stderr, "shepconf load:", err)
			return exitError
		}
	}
	bed, err := testbed.Start(opts)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf load:", err)
		return exitError
	}
	defer bed.Close(context.Background())
	if bed.Owner != nil {
		bed.Owner.Handle(bed.ServiceID, owner.Behaviour{Latency: limits.Scaled(*latency)})
	}
	target := bed.SyncTarget()
	if *channel == "async" {
		target = bed.AsyncTarget()
	} else {
		fmt.Fprintf(stdout, "Owner under load: %s, service %s\n", bed.OwnerSystem.Describe, bed.ServiceID)
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

// checkLoadSUT refuses a load that would not judge the system under test: the asynchronous
// channel's load has no owner on its path, and the owner latency programs the reference owner only.
func checkLoadSUT(c sut.Config, channel string, latency time.Duration) error {
	if c.Demonstration() {
		return nil
	}
	switch {
	case latency != 0:
		return errors.New("--owner-latency programs the reference owner; the system under test answers in its own time")
	case channel != "sync":
		return errors.New("--channel async loads the gateway alone (it answers once it stored the message, no owner is on the path); the system under test is loaded on --channel sync")
	case !c.Plays(sut.SyncOwner):
		return errors.New("the load judges an owner's processing times (A2-T1): certify the system under test as sync-owner (--sut-role sync-owner)")
	}
	return nil
}

// startLoadSUT serves the run's NCA, starts the system under test (a container, or reaches it at
// its URL) and routes the load service to it, with the gateway's certificate carrying the BIN the
// system was told (A6-S1).
func startLoadSUT(ctx context.Context, c sut.Config, cfgPath string, o *testbed.Options) (*sut.Launcher, func(), error) {
	noop := func() {}
	gatewayBIN := config.DefaultGatewayBIN
	if cfgPath != "" {
		file, err := config.Load(cfgPath)
		if err != nil {
			return nil, noop, err
		}
		gatewayBIN = file.GatewayBIN
		if o.ServiceID == "" {
			for _, s := range file.Services {
				if s.Owner == c.SystemID() {
					o.ServiceID = s.ID
					break
				}
			}
		}
	}
	ca, addr, err := c.Authority()
	if err != nil {
		return nil, noop, err
	}
	caSrv, err := ca.Serve(addr)
	if err != nil {
		return nil, noop, fmt.Errorf("simulated NCA: %w", err)
	}
	closeCA := func() { _ = caSrv.Close(context.Background()) }
	owners := sut.NewLauncher(c, ca, gatewayBIN)
	owners.Key = o.Key
	t, err := owners.Target(ctx)
	if err != nil {
		return owners, closeCA, err
	}
	o.Authority, o.GatewayBIN, o.Owner = ca, gatewayBIN, &t
	return owners, closeCA, nil
}

// closeLoadSUT keeps the container's output beside the results and stops the system under test.
func closeLoadSUT(l *sut.Launcher, out string, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if logs := l.Logs(ctx); len(logs) > 0 {
		_ = os.MkdirAll(out, 0o755)
		if err := os.WriteFile(filepath.Join(out, shep.SUTLogFile), logs, 0o644); err != nil {
			fmt.Fprintln(stderr, "shepconf load:", err)
		}
	}
	if err := l.Close(ctx); err != nil {
		fmt.Fprintln(stderr, "shepconf load:", err)
	}
}

func printResult(w io.Writer, r load.Result, out string) {
	fmt.Fprintf(w, "\n%s channel, %s\n", r.Channel, r.Profile)
	if r.Channel == "sync" {
		fmt.Fprintf(w, "owner: %s at %s\n", r.OwnerSystem.ID, r.OwnerSystem.Endpoint)
		if r.OwnerSystem.Demonstration {
			fmt.Fprintln(w, "the owner is the harness's own: this run judges no agency's system")
		}
	}
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
