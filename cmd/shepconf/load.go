package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/shepconf/shepconf/assembly/load"
	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
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
	direct := fs.Bool("direct-to-owner", false, "play the gateway's side of each exchange and send straight to the owner, signed with the gateway's certificate from the run's NCA, without the simulated gateway; A2-T1 is judged on times the load measures, R-47 (the gateway's) is not judged")
	cpuProfile := fs.String("cpu-profile", "", "write a CPU profile of the whole load process (generator, gateway, in-process owner) to this file, for go tool pprof")
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
	if *direct && *channel != "sync" {
		fmt.Fprintln(stderr, "shepconf load: --direct-to-owner loads an owner, which the synchronous channel alone reaches: leave out --channel async")
		return exitError
	}
	p := load.Profile{Name: *channel + "-" + *profile, Duration: *duration, Compress: *compress}
	if *direct {
		p.Name = "direct-" + *profile
	}
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

	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "shepconf load: --cpu-profile:", err)
			return exitError
		}
		defer stop()
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
	var target load.Target
	if *direct {
		if opts.ServiceID == "" {
			opts.ServiceID = testbed.ServiceID
		}
		t, closeOwner, err := directTarget(opts, *latency)
		defer closeOwner()
		if err != nil {
			fmt.Fprintln(stderr, "shepconf load:", err)
			return exitError
		}
		target = t
		fmt.Fprintf(stdout, "Owner under load, straight from the load (no gateway on the path): %s, service %s\n", t.Owner.Describe, opts.ServiceID)
	} else {
		bed, err := testbed.Start(opts)
		if err != nil {
			fmt.Fprintln(stderr, "shepconf load:", err)
			return exitError
		}
		defer bed.Close(context.Background())
		if bed.Owner != nil {
			bed.Owner.Handle(bed.ServiceID, owner.Behaviour{Latency: limits.Scaled(*latency)})
		}
		target = bed.SyncTarget()
		if *channel == "async" {
			target = bed.AsyncTarget()
		} else {
			fmt.Fprintf(stdout, "Owner under load: %s, service %s\n", bed.OwnerSystem.Describe, bed.ServiceID)
		}
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

// directTarget is the load of --direct-to-owner: the owner of o (the system under test, else the
// reference owner, started here with the given latency) loaded straight by the load, which plays
// the gateway with a certificate of the run's NCA carrying the gateway's BIN the owner was told
// (A6-S1).
func directTarget(o testbed.Options, latency time.Duration) (load.Target, func(), error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	ca, gatewayBIN := o.Authority, o.GatewayBIN
	if ca == nil { // a demonstration: the run's own NCA
		var err error
		if ca, err = nca.New("shepconf NCA"); err != nil {
			return load.Target{}, closeAll, err
		}
		srv, err := ca.Serve("127.0.0.1:0")
		if err != nil {
			return load.Target{}, closeAll, fmt.Errorf("simulated NCA: %w", err)
		}
		closers = append(closers, func() { _ = srv.Close(context.Background()) })
	}
	if gatewayBIN == "" {
		gatewayBIN = config.DefaultGatewayBIN
	}
	checker := &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()}
	var sys load.System
	if t := o.Owner; t != nil {
		if t.SyncURL == "" {
			return load.Target{}, closeAll, fmt.Errorf("the system under test %s has no synchronous endpoint to load", t.SystemID)
		}
		sys = load.System{ID: t.SystemID, BIN: t.BIN, Endpoint: t.SyncURL, Describe: t.Describe, Demonstration: t.Kind == sut.Reference}
	} else {
		// The reference owner, as the testbed serves it, checking the gateway's signature (A6-S1).
		id, err := ca.Issue(nca.Subject{CommonName: testbed.OwnerID, BIN: sut.DefaultBIN}, o.Key)
		if err != nil {
			return load.Target{}, closeAll, err
		}
		ref := owner.New(testbed.OwnerID)
		ref.Identity, ref.Checker, ref.GatewayID = id, checker, gatewayBIN
		ref.Handle(o.ServiceID, owner.Behaviour{Latency: o.Limits.Scaled(latency)})
		srv, err := server.Start("127.0.0.1:0", ref)
		if err != nil {
			return load.Target{}, closeAll, err
		}
		closers = append(closers, func() { _ = srv.Close(context.Background()) })
		sys = load.System{ID: testbed.OwnerID, BIN: sut.DefaultBIN, Endpoint: srv.URL() + "/sync",
			Describe: msg.F("the harness's reference owner (a demonstration: certifies nothing)"), Demonstration: true}
	}
	gateway, err := ca.Issue(nca.Subject{CommonName: "SHEP gateway", BIN: gatewayBIN}, o.Key)
	if err != nil {
		return load.Target{}, closeAll, err
	}
	t, err := load.DirectTarget(load.Hop{Owner: sys, Gateway: gateway, Checker: checker, SenderID: testbed.InitiatorID, ServiceID: o.ServiceID})
	return t, closeAll, err
}

// startCPUProfile profiles the process until the returned function is called: where a load's CPU
// goes (building and signing requests, the gateway, an in-process owner) says what bounds its rate.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
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
	if r.Direct {
		fmt.Fprintln(w, "direct: the load played the gateway's side and sent straight to the owner; the owner's times are the load's own measures, from sending each request to reading the whole answer")
	}
	m := r.Metrics
	planned := float64(r.Profile.PerHour) * r.Profile.Compress / 3600
	fmt.Fprintf(w, "requests %d, rate %.2f/s, throughput %.2f/s, success %.1f%% (planned: %d at %.2f/s)\n",
		m.Requests, m.Rate, m.Throughput, m.Success*100, r.Profile.Requests(), planned)
	if !r.HeldRate() {
		fmt.Fprintf(w, "the load fell behind its rate: the generator, its workers (at most %d requests in flight) or the system under load bound it; --cpu-profile shows which\n", load.MaxWorkers)
	}
	fmt.Fprintf(w, "latency  min %s  mean %s  p50 %s  p90 %s  p95 %s  p99 %s  max %s\n",
		m.Latencies.Min, m.Latencies.Mean, m.Latencies.P50, m.Latencies.P90, m.Latencies.P95, m.Latencies.P99, m.Latencies.Max)
	for _, v := range r.Verdicts {
		mark := "PASS"
		if !v.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %-12s %s: measured %s (%s)\n", mark, v.Rule, v.Limit, v.Measured, v.Whose)
	}
	for _, n := range r.NotJudged {
		fmt.Fprintf(w, "---- %-12s not judged: %s\n", n.Rule, n.Why)
	}
	fmt.Fprintf(w, "results: %s\n", filepath.Join(out, r.Profile.Name+"-"+load.SummaryFile))
}
