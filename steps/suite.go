package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/features"
	"github.com/shepconf/shepconf/fixtures"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/sut"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/reports"
)

// Options configure a conformance run.
type Options struct {
	OutDir    string    // reports and the journal go here; earlier outputs in it are replaced
	Tags      string    // godog tag expression, e.g. "@R-6" or "~@slow"; empty runs all but @load
	Full      bool      // with an empty Tags, run the @load scenarios too
	TimeScale float64   // 1 (the default) runs the Rules' limits; only such a run certifies
	OwnerOmit []string  // element paths the reference owner leaves out of its answers (a broken owner)
	LaxOwner  bool      // the reference owner checks no transport signature (a non-conforming owner)
	Output    io.Writer // progress output; os.Stdout when nil
	Features  fs.FS     // the feature files; the embedded suite when nil
	Version   string    // the harness version printed in the report
	// SignatureChecksOff switches gateway signature checks off, only so that a test can prove the
	// negative scenarios fail without them. A conformance run never sets it.
	SignatureChecksOff []xsig.Problem
	// SUT is the owner system under test; the zero value is the built-in reference owner.
	SUT sut.Config
}

// RunInfo is written beside the reports: the test act reads from it whether the run can certify.
type RunInfo struct {
	TimeScale         float64   `json:"timeScale"`
	Version           string    `json:"version"`
	Tags              string    `json:"tags"`
	Verdict           string    `json:"verdict"`
	Started, Finished time.Time `json:"-"`
}

// Result is what a run produced.
type Result struct {
	Summary                          reports.Summary
	Report, Cucumber, JUnit, Journal string // paths of the outputs
}

// QuickRun is the default selection: everything but the load scenarios (make conformance-full
// runs those too).
const QuickRun = "~@load"

// Outputs of a run, inside OutDir.
const (
	ReportFile   = "report.html"
	CucumberFile = "cucumber.json"
	JUnitFile    = "junit.xml"
	JournalFile  = "journal.sqlite"
	RunFile      = "run.json" // RunInfo: what the reports cannot say of the run (its time scale)
)

// Run runs the conformance suite and writes its reports. The error is about the run itself (bad
// options, unwritable folder); scenario failures are in Result.Summary.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.Tags == "" && !o.Full {
		o.Tags = QuickRun
	}
	if o.SUT.Kind() == sut.URL {
		// An owner at a URL runs outside the harness, which cannot stop or pause it.
		if o.Tags != "" {
			o.Tags += " && "
		}
		o.Tags += "~@sut-faults"
	}
	if o.Output == nil {
		o.Output = os.Stdout
	}
	if o.Features == nil {
		o.Features = features.FS
	}
	dir, err := filepath.Abs(o.OutDir)
	if err != nil {
		return Result{}, err
	}
	res := Result{
		Report:   filepath.Join(dir, ReportFile),
		Cucumber: filepath.Join(dir, CucumberFile),
		JUnit:    filepath.Join(dir, JUnitFile),
		Journal:  filepath.Join(dir, JournalFile),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("output folder: %w", err)
	}
	for _, f := range []string{res.Report, res.Cucumber, res.JUnit, res.Journal, res.Journal + "-wal", res.Journal + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("clear earlier output: %w", err)
		}
	}

	j, err := journal.Open(res.Journal)
	if err != nil {
		return res, err
	}
	defer j.Close()
	syncXSD, err := schema.CompileXSD(fixtures.XSD(), "sync-channel.xsd", "data")
	if err != nil {
		return res, err
	}
	if err := o.SUT.Check(); err != nil {
		return res, err
	}
	ca, caAddr, err := o.SUT.Authority()
	if err != nil {
		return res, err
	}
	caServer, err := ca.Serve(caAddr)
	if err != nil {
		return res, fmt.Errorf("simulated NCA: %w", err)
	}
	defer caServer.Close(context.Background())
	owners := sut.NewLauncher(o.SUT, ca, binOf(gatewaySystem))
	defer closeSUT(owners, dir)
	s := &Suite{Limits: rule.ScaledLimits(o.TimeScale), OwnerOmit: o.OwnerOmit, LaxOwner: o.LaxOwner, Journal: j, SyncXSD: syncXSD,
		NCA: ca, SignatureChecksOff: o.SignatureChecksOff, SUT: owners}

	started := time.Now()
	status := godog.TestSuite{
		Name:                "shepconf",
		ScenarioInitializer: s.initScenario,
		Options: &godog.Options{
			Format:         "progress,cucumber:" + res.Cucumber + ",junit:" + res.JUnit,
			Output:         o.Output,
			FS:             o.Features,
			Paths:          []string{"."},
			Tags:           o.Tags,
			Strict:         true,
			NoColors:       true,
			DefaultContext: ctx,
		},
	}.Run()
	if status == 2 {
		return res, fmt.Errorf("the suite could not run (check the tag expression %q)", o.Tags)
	}

	feats, err := reports.ReadCucumber(res.Cucumber)
	if err != nil {
		return res, err
	}
	run := reports.Run{
		Started:   started,
		Finished:  time.Now(),
		TimeScale: o.TimeScale,
		SUT:       o.SUT.Describe(),
		Version:   o.Version,
		Tags:      o.Tags,
		Features:  feats,

		Measurements:    s.measurements,
		LoadCompression: s.loadCompression,
	}
	if len(o.OwnerOmit) > 0 {
		run.SUT += fmt.Sprintf(" (reference owner deliberately broken: omits %v)", o.OwnerOmit)
	}
	res.Summary = run.Summary()
	info, _ := json.MarshalIndent(RunInfo{TimeScale: o.TimeScale, Version: o.Version, Tags: o.Tags, Verdict: res.Summary.Verdict,
		Started: started, Finished: run.Finished}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, RunFile), info, 0o644); err != nil {
		return res, err
	}
	f, err := os.Create(res.Report)
	if err != nil {
		return res, err
	}
	if err := reports.WriteHTML(f, run); err != nil {
		f.Close()
		return res, fmt.Errorf("write report: %w", err)
	}
	return res, f.Close()
}

// stepSets are the step definitions of each area of the suite. A file of steps adds its own in an
// init function; an area keeps its scenario state in its own struct embedding *World.
var stepSets []func(*World, *godog.ScenarioContext)

// initScenario gives each scenario a fresh World: nothing is shared between scenarios but the
// suite's configuration and journal.
func (s *Suite) initScenario(sc *godog.ScenarioContext) {
	w := &World{suite: s}
	for _, register := range stepSets {
		register(w, sc)
	}
	// Hooks return no error of their own: godog would report the step's error a second time.
	sc.StepContext().After(func(ctx context.Context, _ *godog.Step, _ godog.StepResultStatus, _ error) (context.Context, error) {
		return w.flushEvidence(ctx), nil
	})
	sc.After(func(ctx context.Context, _ *godog.Scenario, _ error) (context.Context, error) {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		w.close(cctx)
		return ctx, nil
	})
}
