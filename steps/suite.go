package steps

import (
	"context"
	"crypto"
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
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/runseal"
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
	Output    io.Writer // progress output; os.Stdout when nil
	Features  fs.FS     // the feature files; the embedded suite when nil
	Version   string    // the harness version printed in the report
	// SignatureChecksOff switches gateway signature checks off, only so that a test can prove the
	// negative scenarios fail without them. A conformance run never sets it.
	SignatureChecksOff []xsig.Problem
	// SUT is the system under test and its roles; the zero value is the demonstration with the
	// built-in sample agency system in every role.
	SUT sut.Config
	// OperatorIn is where an operator trigger reads the outcome the operator typed (os.Stdin for
	// the command; nil asks nothing and only counts down).
	OperatorIn io.Reader
	// KeyAlgorithm is the key of every certificate the run issues for its systems: the gateway,
	// the reference systems and the system under test. The zero value is RSA-2048, as the national
	// CA issues; a scenario about one algorithm still chooses its own.
	KeyAlgorithm pki.KeyType
	// HarnessKey seals the run's outputs (internal/runseal) so that the test act can tell them from
	// edited ones. nil is the harness key of runseal.KeyPath (made on first use).
	HarnessKey crypto.Signer
}

// RunInfo is written beside the reports: the test act reads from it whether the run can certify,
// and for what.
type RunInfo struct {
	TimeScale float64 `json:"timeScale"`
	Version   string  `json:"version"`
	Tags      string  `json:"tags"` // the whole tag expression the run selected scenarios with
	// Filtered says the user narrowed the run with --tags: not every scenario of a role ran.
	Filtered bool   `json:"filtered"`
	Verdict  string `json:"verdict"`
	// KeyAlgorithm is the key of the certificates the run issued ("RSA-2048", "ECDSA P-256").
	KeyAlgorithm string `json:"keyAlgorithm"`
	// HarnessKey is the fingerprint of the key that sealed the run's outputs (runseal.File).
	HarnessKey string  `json:"harnessKey"`
	SUT        SUTInfo `json:"sut"`
	// Roles are the roles the run certified, each with its scenarios and their outcome.
	Roles []RoleResult `json:"roles"`
	// Remarks are what the scenarios met that the real gateway tolerates but the Rules do not ask
	// for (xsig.Remark): they leave the verdict as it is.
	Remarks           []reports.ScenarioRemark `json:"remarks,omitempty"`
	Started, Finished time.Time                `json:"-"`
}

// SUTInfo names the system under test of a run.
type SUTInfo struct {
	Kind string `json:"kind"` // reference (a demonstration), url or container
	// Demonstration says the run tested the harness's own sample system: it certifies nothing.
	Demonstration bool   `json:"demonstration"`
	SystemID      string `json:"systemId"`
	BIN           string `json:"bin"`
	URL           string `json:"url,omitempty"`
	Image         string `json:"image,omitempty"`
	Digest        string `json:"digest,omitempty"` // the image's ID as the engine reported it
	Trigger       string `json:"trigger,omitempty"`
	Describe      string `json:"describe"`
}

// RoleResult is what a run proved of one role.
type RoleResult struct {
	Role     string   `json:"role"`
	Passed   int      `json:"passed"`
	Failed   int      `json:"failed"`
	Skipped  int      `json:"skipped"`  // skipped, pending or undefined
	Services []string `json:"services"` // the services the system was exercised on in this role
	// Scenarios are "status: feature / scenario" for every scenario of the role that ran.
	Scenarios []string `json:"scenarios"`
}

// Certified says every scenario of the role that ran passed, and at least one ran.
func (r RoleResult) Certified() bool { return r.Passed > 0 && r.Failed == 0 && r.Skipped == 0 }

// reported is the run's system under test and roles as the report shows them.
func (i RunInfo) reported() (reports.SystemUnderTest, []reports.RoleResult) {
	sys := reports.SystemUnderTest{Demonstration: i.SUT.Demonstration, SystemID: i.SUT.SystemID, BIN: i.SUT.BIN,
		URL: i.SUT.URL, Image: i.SUT.Image, Digest: i.SUT.Digest, Trigger: i.SUT.Trigger}
	var roles []reports.RoleResult
	for _, r := range i.Roles {
		roles = append(roles, reports.RoleResult{Role: r.Role, Passed: r.Passed, Failed: r.Failed, Skipped: r.Skipped,
			Services: r.Services, Scenarios: r.Scenarios})
	}
	return sys, roles
}

// Result is what a run produced.
type Result struct {
	Summary                          reports.Summary
	Info                             RunInfo
	Report, Cucumber, JUnit, Journal string // paths of the outputs
	Seal                             string // path of the seal over run.json and the reports
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
	filtered := o.Tags != ""
	// The quick run leaves out the load scenarios for the demonstration only: an agency system's
	// sync-owner role is certified with its limits under load too (A2-T1), which take seconds.
	if o.Tags == "" && !o.Full && o.SUT.Demonstration() {
		o.Tags = QuickRun
	}
	o.Tags = selectScenarios(o.Tags, o.SUT)
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
		Seal:     filepath.Join(dir, runseal.File),
	}
	harnessKey, err := sealingKey(o.HarnessKey)
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("output folder: %w", err)
	}
	// The seal goes first: a run that stops half way leaves no seal over half its outputs.
	for _, f := range []string{res.Seal, res.Report, res.Cucumber, res.JUnit, res.Journal, res.Journal + "-wal", res.Journal + "-shm"} {
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
	owners.OperatorOut, owners.OperatorIn, owners.Key = o.Output, o.OperatorIn, o.KeyAlgorithm
	defer closeSUT(owners, dir)
	s := &Suite{Limits: rule.ScaledLimits(o.TimeScale), OwnerOmit: o.OwnerOmit, Journal: j, SyncXSD: syncXSD,
		NCA: ca, Key: o.KeyAlgorithm, SignatureChecksOff: o.SignatureChecksOff, SUT: owners, exercised: map[sut.Role][]string{}}

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

		KeyAlgorithm:    o.KeyAlgorithm.String(),
		Measurements:    s.measurements,
		LoadCompression: s.loadCompression,
	}
	if len(o.OwnerOmit) > 0 {
		run.SUT += fmt.Sprintf(" (reference owner deliberately broken: omits %v)", o.OwnerOmit)
	}
	res.Summary = run.Summary()
	res.Info = RunInfo{TimeScale: o.TimeScale, Version: o.Version, Tags: o.Tags, Filtered: filtered, Verdict: res.Summary.Verdict,
		KeyAlgorithm: o.KeyAlgorithm.String(), HarnessKey: runseal.Fingerprint(harnessKey.Public()), SUT: s.sutInfo(),
		Roles: s.roleResults(feats), Remarks: reports.Remarks(feats), Started: started, Finished: run.Finished}
	run.System, run.Roles = res.Info.reported()
	info, _ := json.MarshalIndent(res.Info, "", "  ")
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
	if err := f.Close(); err != nil {
		return res, err
	}
	// A4-F: the act is drawn from run.json and the cucumber JSON; the seal lets it refuse them
	// edited (a shrunk time scale turned into 1, a failed scenario into a passed one).
	_, err = runseal.Seal(dir, harnessKey, RunFile, CucumberFile, JUnitFile, ReportFile)
	return res, err
}

// sealingKey is the key given, or the harness key at its default place, made on first use.
func sealingKey(key crypto.Signer) (crypto.Signer, error) {
	if key != nil {
		return key, nil
	}
	path, err := runseal.KeyPath("")
	if err != nil {
		return nil, err
	}
	return runseal.LoadOrCreate(path)
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

// selectScenarios narrows the tag expression to what the system under test can be certified by:
// for an agency's system, only the scenarios of its roles (the rest test the harness's own
// reference systems and certify nothing of it); the fault scenarios only for a container, which
// the harness can stop and pause. A demonstration runs everything.
func selectScenarios(tags string, c sut.Config) string {
	and := func(expr string) {
		if tags != "" {
			tags += " && "
		}
		tags += expr
	}
	if !c.Demonstration() {
		and(sut.TagExpression(c.Certified()))
	}
	if c.Kind() != sut.Container {
		// Only a container can be stopped and paused; the in-process sample cannot be frozen.
		and("~@sut-faults")
	}
	return tags
}

// sutInfo names the system under test as the run met it.
func (s *Suite) sutInfo() SUTInfo {
	c := s.SUT.Config()
	info := SUTInfo{Kind: c.Kind(), Demonstration: c.Demonstration(), SystemID: c.SystemID(), BIN: c.BIN, URL: c.URL,
		Image: c.Image, Describe: c.Describe()}
	if t, ok := s.SUT.Started(); ok {
		info.BIN, info.Digest, info.Trigger = t.BIN, t.Digest, t.TriggerDescribe
	}
	return info
}

// roleResults counts, per certified role, the scenarios tagged with it and how they ended.
func (s *Suite) roleResults(feats []reports.Feature) []RoleResult {
	var out []RoleResult
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.SUT.Config().Certified() {
		rr := RoleResult{Role: string(r), Services: s.exercised[r]}
		for _, f := range feats {
			for _, sc := range f.Scenarios {
				if !hasTag(f.Tags, r.Tag()) && !hasTag(sc.Tags, r.Tag()) {
					continue
				}
				st := sc.Status()
				switch st {
				case "passed":
					rr.Passed++
				case "failed":
					rr.Failed++
				default:
					rr.Skipped++
				}
				rr.Scenarios = append(rr.Scenarios, st+": "+f.Name+" / "+sc.Name)
			}
		}
		out = append(out, rr)
	}
	return out
}

func hasTag(tags []reports.Tag, name string) bool {
	for _, t := range tags {
		if t.Name == name {
			return true
		}
	}
	return false
}
