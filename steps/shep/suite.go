package shep

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/features"
	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
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

// QuickRun is the default selection: everything but the load scenarios (make conformance-full
// runs those too).
const QuickRun = "~@load"

// Run runs the conformance suite and writes its reports. The error is about the run itself (bad
// options, unwritable folder); scenario failures are in Result.Summary.
func Run(ctx context.Context, o Options) (steps.Result, error) {
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
		o.Features = features.Shep
	}
	out, harnessKey, err := steps.Begin(o.OutDir, o.HarnessKey)
	if err != nil {
		return steps.Result{}, err
	}
	res := out.Result()

	j, err := journal.Open(res.Journal)
	if err != nil {
		return res, err
	}
	defer j.Close()
	syncXSD, err := schema.CompileXSD(shepfixtures.XSD(), "sync-channel.xsd", "data")
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
	defer closeSUT(owners, out.Dir)
	s := &Suite{Limits: rule.ScaledLimits(o.TimeScale), OwnerOmit: o.OwnerOmit, Journal: j, SyncXSD: syncXSD,
		NCA: ca, Key: o.KeyAlgorithm, SignatureChecksOff: o.SignatureChecksOff, SUT: owners, exercised: map[sut.Role][]string{}}

	started := time.Now()
	feats, err := steps.Execute(ctx, steps.Suite{Name: "shepconf", Features: o.Features, Tags: o.Tags, Output: o.Output,
		InitScenario: s.initScenario}, out)
	if err != nil {
		return res, err
	}
	catalogue, err := Catalogue()
	if err != nil {
		return res, err
	}
	texts, err := steps.SuiteTexts(o.Features)
	if err != nil {
		return res, err
	}
	run := reports.Run{
		Texts:     texts,
		Catalogue: catalogue,
		Started:   started,
		Finished:  time.Now(),
		TimeScale: o.TimeScale,
		SUT:       described(o.SUT),
		Version:   o.Version,
		Tags:      o.Tags,
		Features:  feats,

		KeyAlgorithm:    o.KeyAlgorithm.String(),
		Measurements:    s.measurements,
		LoadCompression: s.loadCompression,
	}
	if len(o.OwnerOmit) > 0 {
		run.SUT = msg.F("%s (reference owner deliberately broken: omits %v)", run.SUT, o.OwnerOmit)
	}
	res.Summary = run.Summary()
	res.Info = steps.RunInfo{Profile: steps.ProfileShep, TimeScale: o.TimeScale, Version: o.Version, Tags: o.Tags, Filtered: filtered, Verdict: res.Summary.Verdict,
		KeyAlgorithm: o.KeyAlgorithm.String(), HarnessKey: runseal.Fingerprint(harnessKey.Public()), SUT: s.sutInfo(),
		Roles: s.roleResults(feats), Remarks: reports.Remarks(feats), Started: started, Finished: run.Finished}
	run.System, run.Roles = res.Info.Reported()
	return res, steps.Publish(out, run, res.Info, harnessKey)
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
	steps.Hook(sc, &w.evidence, w.close)
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
func (s *Suite) sutInfo() steps.SUTInfo {
	c := s.SUT.Config()
	info := steps.SUTInfo{Kind: c.Kind(), Demonstration: c.Demonstration(), SystemID: c.SystemID(), BIN: c.BIN, URL: c.URL,
		Image: c.Image, Describe: described(c)}
	if t, ok := s.SUT.Started(); ok {
		info.BIN, info.Digest, info.Trigger = t.BIN, t.Digest, t.TriggerDescribe
	}
	return info
}

// described is the system under test in a sentence, as assembly/sut states it; a parameter, so that
// it reads in the report's language once sut gives it as a message.
func described(c sut.Config) msg.Text { return msg.F("%s", c.Describe()) }

// roleResults counts, per certified role, the scenarios tagged with it and how they ended.
func (s *Suite) roleResults(feats []reports.Feature) []steps.RoleResult {
	var out []steps.RoleResult
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.SUT.Config().Certified() {
		rr := steps.CountRole(feats, string(r), r.Tag())
		rr.Services = s.exercised[r]
		out = append(out, rr)
	}
	return out
}

// Catalogue is the ShEP profile's clause catalogue (fixtures/shep/traceability.csv), which the
// report's traceability matrix lists.
func Catalogue() ([]reports.Requirement, error) {
	return reports.ParseCatalogue(shepfixtures.Traceability())
}
