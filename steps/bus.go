package steps

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/nca"
)

// Bus is a run of a bus profile whose agency's system is judged in a simulated contour (epgu, smdo,
// gospochta): one system, in one or more roles, a CA of the run's own, and the system either the
// built-in reference one, one reached through its trigger, or one in a container image.
type Bus struct {
	Profile   string   // run.json's profile (ProfileSMDO, …)
	Name      string   // the suite's name for godog ("shepconf-smdo")
	Title     msg.Text // the report's title
	CA        string   // the name of the run's test CA
	Features  fs.FS
	Catalogue func() ([]reports.Requirement, error)
	// Languages the report offers besides English: those the profile's catalogue and features
	// are translated into.
	Languages []string
	// Roles are the roles the run certifies, in the order run.json lists them; unless the run is a
	// demonstration, only their scenarios run.
	Roles         []string
	Demonstration bool
	OutDir, Tags  string
	TimeScale     float64
	Output        io.Writer
	Version       string
	KeyAlgorithm  pki.KeyType
	HarnessKey    crypto.Signer
	// Start starts the agency's system in its container image with a certificate of the run's CA,
	// or gives nil when it is not in one. The container is stopped after the run, its output kept
	// in LogFile beside the reports.
	Start   func(context.Context, *nca.Authority) (*sut.RunningContainer, error)
	LogFile string
	// Scenarios prepares the run's scenarios once the CA is made and the container, if any, started.
	Scenarios func(*nca.Authority, *sut.RunningContainer) (Scenarios, error)
}

// Scenarios are a bus profile's scenarios as prepared for a run.
type Scenarios struct {
	// Init registers the profile's steps for one scenario, with a fresh state.
	Init func(*godog.ScenarioContext)
	// System is the system under test, as run.json and the report name it.
	System System
	// Close stops what was started for the scenarios; nil when nothing was.
	Close func()
}

// Run runs the suite (Execute) and writes its reports like every profile's (Publish).
func (b Bus) Run(ctx context.Context) (Result, error) {
	out, harnessKey, err := Begin(b.OutDir, b.HarnessKey)
	if err != nil {
		return Result{}, err
	}
	res := out.Result()
	ca, err := nca.New(b.CA)
	if err != nil {
		return res, err
	}
	container, err := b.Start(ctx, ca)
	if err != nil {
		return res, err
	}
	if container != nil {
		defer container.Finish(out.Dir, b.LogFile)
	}
	sc, err := b.Scenarios(ca, container)
	if err != nil {
		return res, err
	}
	if sc.Close != nil {
		defer sc.Close()
	}
	tags := b.Tags
	if !b.Demonstration {
		tags = AndTags(tags, RoleTags(b.Roles))
	}
	started := time.Now()
	feats, err := Execute(ctx, Suite{Name: b.Name, Features: b.Features, Tags: tags, Output: b.Output, InitScenario: sc.Init}, out)
	if err != nil {
		return res, err
	}
	catalogue, err := b.Catalogue()
	if err != nil {
		return res, err
	}
	info := sc.System.Info()
	if container != nil {
		info = ContainerInfo(info, msg.F("%s %s", sc.System.Noun, info.SystemID), container)
	}
	var roles []RoleResult
	for _, r := range b.Roles {
		roles = append(roles, CountRole(feats, r, "@role-"+r))
	}
	texts, err := SuiteTexts(b.Features)
	if err != nil {
		return res, err
	}
	run := reports.Run{Title: b.Title, Catalogue: catalogue, Started: started, Finished: time.Now(), Texts: texts, Languages: b.Languages,
		TimeScale: b.TimeScale, SUT: info.Describe, Version: b.Version, Tags: tags, Features: feats, KeyAlgorithm: b.KeyAlgorithm.String()}
	res.Summary = run.Summary()
	res.Info = RunInfo{Profile: b.Profile, TimeScale: b.TimeScale, Version: b.Version, Tags: tags,
		Filtered: b.Tags != "", Verdict: res.Summary.Verdict, KeyAlgorithm: b.KeyAlgorithm.String(),
		HarnessKey: runseal.Fingerprint(harnessKey.Public()), SUT: info, Roles: roles,
		Started: started, Finished: run.Finished}
	run.System, run.Roles = res.Info.Reported()
	return res, Publish(out, run, res.Info, harnessKey)
}

// RoleTags selects the scenarios of the given roles (godog's filter: "," is or).
func RoleTags(roles []string) string {
	var tags []string
	for _, r := range roles {
		tags = append(tags, "@role-"+r)
	}
	return strings.Join(tags, ",")
}

// System names a bus profile's system under test in run.json and the report.
type System struct {
	Demonstration bool
	// Reference is the built-in reference system a demonstration tests ("the built-in reference
	// СЭД"), Defects what it was deliberately broken with.
	Reference msg.Text
	Defects   []string
	// Noun is what the agency's system is, before its ID ("the СЭД of subscriber"); ID is its ID in
	// the contour, Trigger what makes it act.
	Noun    msg.Text
	ID      string
	Trigger trigger.Trigger
}

// Describe is the system in a sentence.
func (s System) Describe() msg.Text {
	if s.Demonstration {
		if len(s.Defects) > 0 {
			return msg.F("demonstration: %s (deliberately broken: %v)", s.Reference, s.Defects)
		}
		return msg.F("demonstration: %s", s.Reference)
	}
	return msg.F("%s %s, triggered by %s", s.Noun, s.ID, msg.Raw(s.Trigger.Describe()))
}

// Info is the system as run.json names it.
func (s System) Info() SUTInfo {
	info := SUTInfo{Kind: "reference", Demonstration: s.Demonstration, SystemID: s.ID, Describe: s.Describe()}
	if !info.Demonstration {
		info.Kind, info.Trigger = "url", s.Trigger.Describe()
	}
	return info
}

// CheckContainer refuses a configuration of the agency's system in a container image (image) that
// cannot work, naming the fix: a trigger, a certificate or defects given beside the image.
// reference names the profile's built-in reference system ("the built-in reference СЭД").
func CheckContainer(image sut.AgencyImage, t trigger.Trigger, cert *x509.Certificate, defects []string, reference string) error {
	if image.Image == "" {
		return image.CheckUnused()
	}
	switch {
	case t != nil:
		return errors.New("give the system's image or the trigger of a system already running, not both")
	case cert != nil:
		return errors.New("the harness issues the certificate of a system in a container from the run's CA: leave --sut-cert out with --sut-image")
	case len(defects) > 0:
		return errors.New("defects break " + reference + "; an image is tested as it is")
	}
	return nil
}
