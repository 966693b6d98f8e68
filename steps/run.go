// Package steps is what every profile's suite shares: the outputs of a run and their names, the
// run record the test act reads (run.json), running a suite under godog with the cucumber and JUnit
// formatters, and publishing the report and the seal. Each profile's step definitions and its Run
// live in steps/<profile> (steps/shep, steps/epgu) and use this package; it knows no profile.
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

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/features"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/reports"
)

// Profiles a run can take (--profile).
const (
	ProfileShep = "shep" // Kazakhstan's e-government gateway, the Rules of order No. 165/НҚ (the default)
	ProfileEPGU = "epgu" // Russia's EPGU agency API with ESIA
	ProfileSMDO = "smdo" // Belarus's SMDO document exchange through the AIS MV router
	// ProfileGospochta is Russia's state e-mail system (ГЭПС) with the Gosuslugi portal.
	ProfileGospochta = "gospochta"
)

// RunInfo is written beside the reports: the test act reads from it whether the run can certify,
// and for what.
type RunInfo struct {
	// Profile is the bus the run tested against (ProfileShep, ProfileEPGU, ProfileSMDO); empty in runs made
	// before profiles, which were all ShEP's.
	Profile   string  `json:"profile,omitempty"`
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
	Demonstration bool     `json:"demonstration"`
	SystemID      string   `json:"systemId"`
	BIN           string   `json:"bin"`
	URL           string   `json:"url,omitempty"`
	Image         string   `json:"image,omitempty"`
	Digest        string   `json:"digest,omitempty"` // the image's ID as the engine reported it
	Trigger       string   `json:"trigger,omitempty"`
	Describe      msg.Text `json:"describe"`
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

// Reported is the run's system under test and roles as the report shows them.
func (i RunInfo) Reported() (reports.SystemUnderTest, []reports.RoleResult) {
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

// Outputs of a run, inside OutDir.
const (
	ReportFile   = "report.html"
	CucumberFile = "cucumber.json"
	JUnitFile    = "junit.xml"
	JournalFile  = "journal.sqlite"
	RunFile      = "run.json" // RunInfo: what the reports cannot say of the run (its time scale)
)

// SealingKey is the key given, or the harness key at its default place, made on first use.
func SealingKey(key crypto.Signer) (crypto.Signer, error) {
	if key != nil {
		return key, nil
	}
	path, err := runseal.KeyPath("")
	if err != nil {
		return nil, err
	}
	return runseal.LoadOrCreate(path)
}

// AndTags narrows a godog tag filter (expr, possibly empty) by more: "&&" is godog's and, ","
// its or, "~" its not; it has no parentheses.
func AndTags(expr, more string) string {
	if expr == "" {
		return more
	}
	return expr + " && " + more
}

// HasTag says whether tags hold name.
func HasTag(tags []reports.Tag, name string) bool {
	for _, t := range tags {
		if t.Name == name {
			return true
		}
	}
	return false
}

// Begin prepares a run's outputs (PrepareOutputs) and the key that will seal them (SealingKey).
func Begin(outDir string, key crypto.Signer) (Outputs, crypto.Signer, error) {
	key, err := SealingKey(key)
	if err != nil {
		return Outputs{}, nil, err
	}
	out, err := PrepareOutputs(outDir)
	return out, key, err
}

// Outputs are the paths of a run's outputs in its folder.
type Outputs struct {
	Dir, Report, Cucumber, JUnit, Journal, Seal string
}

// PrepareOutputs makes the output folder and clears a previous run's outputs from it. The seal
// goes first: a run that stops half way leaves no seal over half its outputs.
func PrepareOutputs(outDir string) (Outputs, error) {
	dir, err := filepath.Abs(outDir)
	if err != nil {
		return Outputs{}, err
	}
	o := Outputs{Dir: dir, Report: filepath.Join(dir, ReportFile), Cucumber: filepath.Join(dir, CucumberFile),
		JUnit: filepath.Join(dir, JUnitFile), Journal: filepath.Join(dir, JournalFile), Seal: filepath.Join(dir, runseal.File)}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return o, fmt.Errorf("output folder: %w", err)
	}
	for _, f := range []string{o.Seal, o.Report, o.Cucumber, o.JUnit, o.Journal, o.Journal + "-wal", o.Journal + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return o, fmt.Errorf("clear earlier output: %w", err)
		}
	}
	return o, nil
}

// Result is the run's outputs as the caller reports them.
func (o Outputs) Result() Result {
	return Result{Report: o.Report, Cucumber: o.Cucumber, JUnit: o.JUnit, Journal: o.Journal, Seal: o.Seal}
}

// Suite is one profile's suite as godog runs it.
type Suite struct {
	Name     string
	Features fs.FS // the profile's feature files
	Tags     string
	Output   io.Writer // progress
	// InitScenario registers the profile's steps for one scenario, with a fresh state.
	InitScenario func(*godog.ScenarioContext)
}

// Execute runs the suite, writing the cucumber JSON and JUnit outputs, and reads back what ran.
func Execute(ctx context.Context, s Suite, o Outputs) ([]reports.Feature, error) {
	status := godog.TestSuite{
		Name:                s.Name,
		ScenarioInitializer: s.InitScenario,
		Options: &godog.Options{
			Format:         "progress,cucumber:" + o.Cucumber + ",junit:" + o.JUnit,
			Output:         s.Output,
			FS:             s.Features,
			Paths:          []string{"."},
			Tags:           s.Tags,
			Strict:         true,
			NoColors:       true,
			DefaultContext: ctx,
		},
	}.Run()
	if status == 2 {
		return nil, fmt.Errorf("the suite could not run (check the tag expression %q)", s.Tags)
	}
	return reports.ReadCucumber(o.Cucumber)
}

// Publish writes run.json and the HTML report, then seals them with the cucumber and JUnit
// outputs. A4-F: the act is drawn from run.json and the cucumber JSON; the seal lets it refuse them
// edited (a shrunk time scale turned into 1, a failed scenario into a passed one).
func Publish(o Outputs, run reports.Run, info RunInfo, key crypto.Signer) error {
	raw, _ := json.MarshalIndent(info, "", "  ")
	if err := os.WriteFile(filepath.Join(o.Dir, RunFile), raw, 0o644); err != nil {
		return err
	}
	f, err := os.Create(o.Report)
	if err != nil {
		return err
	}
	if err := reports.WriteHTML(f, run); err != nil {
		f.Close()
		return fmt.Errorf("write report: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	_, err = runseal.Seal(o.Dir, key, RunFile, CucumberFile, JUnitFile, ReportFile)
	return err
}

// CountRole counts the scenarios tagged with a role's tag (on the feature or the scenario) and
// how they ended.
func CountRole(feats []reports.Feature, role, tag string) RoleResult {
	rr := RoleResult{Role: role}
	for _, f := range feats {
		for _, sc := range f.Scenarios {
			if !HasTag(f.Tags, tag) && !HasTag(sc.Tags, tag) {
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
	return rr
}

// ContainerInfo names the system under test in run.json as the container the run started: what
// it is (its role and ID, e.g. "the EPGU client AGENCY_IS"), the image and its digest.
func ContainerInfo(info SUTInfo, what msg.Text, c *sut.RunningContainer) SUTInfo {
	info.Kind, info.Image, info.Digest = sut.Container, c.Image(), c.Digest()
	info.Describe = msg.F("%s in the container image %s (%s), triggered by %s", what, c.Image(), c.Digest(), msg.Raw(info.Trigger))
	return info
}

// SuiteTexts are a suite's names and steps in the report's other languages (features.Translations,
// beside its feature files); none for a suite that brings no translations, whose report stays in
// English where it is the suite's own text.
func SuiteTexts(suite fs.FS) (reports.Texts, error) {
	t, err := features.ReadTranslations(suite)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return reports.Texts(t), err
}
