package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shepconf/shepconf/features"
	"github.com/shepconf/shepconf/internal/msg"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/forms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"

	"github.com/shepconf/shepconf/internal/clock"
)

// Outputs of shepconf act, inside the run's folder.
const (
	ActXMLFile  = "act.xml"
	ActHTMLFile = "act.html"
	ncaName     = "shepconf NCA"
)

// actFlags are what a run does not know: the parties, their systems, the services and the tester.
type actFlags struct {
	out, verify, id, lang                          string
	owner, initiator, ownerSystem, initiatorSystem string
	services                                       serviceFlag
	productionDate                                 string
	tester, testerIIN, testerBIN                   string
	state, keyPath, certPath, rootsPath            string
	harnessKey                                     string
}

func runAct(_ context.Context, args []string, stdout, stderr io.Writer) int {
	var f actFlags
	fs := flag.NewFlagSet("act", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.out, "out", "out", "folder of the conformance run (its cucumber.json); act.xml and act.html are written here")
	fs.StringVar(&f.verify, "verify", "", "verify the EDS of this act.xml and print its signers, instead of forming an act")
	fs.StringVar(&f.id, "id", "", "identifier of the act (default act-<date>-<time>)")
	fs.StringVar(&f.lang, "lang", string(forms.English), "language of act.html and of the decision printed: kk (Kazakh), ru (Russian) or en (English); act.xml is the same in all three")
	fs.StringVar(&f.owner, "owner", "", "field 1.1: name of the service owner")
	fs.StringVar(&f.initiator, "initiator", "", "field 1.2: name of the initiator of the integration service")
	fs.StringVar(&f.ownerSystem, "owner-system", "", "field 2.1: information system of the service owner")
	fs.StringVar(&f.initiatorSystem, "initiator-system", "", "field 2.2: information system of the initiator")
	fs.Var(&f.services, "service", `fields 3.2 and 3.1: a service tested as "KEY=Name of the service" (repeatable)`)
	fs.StringVar(&f.productionDate, "production-date", "", "field 6: date of transfer to production, YYYY-MM-DD (default empty, for the operator)")
	fs.StringVar(&f.tester, "tester", "", "the tester's full name, written in the EDS certificate the simulated NCA issues")
	fs.StringVar(&f.testerIIN, "tester-iin", "", "the tester's IIN (12 digits), written in that certificate")
	fs.StringVar(&f.testerBIN, "tester-bin", "", "BIN of the tester's organisation (owner for R-24, initiator for R-42), optional")
	fs.StringVar(&f.state, "state", "", "state folder of the simulated NCA, kept between acts (default <out>/nca)")
	fs.StringVar(&f.keyPath, "key", "", "sign with this PKCS#8 PEM private key instead of a simulated NCA certificate (with --cert)")
	fs.StringVar(&f.certPath, "cert", "", "PEM certificate of --key, followed by its intermediate CA certificates")
	fs.StringVar(&f.rootsPath, "roots", "", "PEM file of the NCA root certificates the EDS must chain to (default: the simulated NCA in --state)")
	fs.StringVar(&f.harnessKey, "harness-key", "", "key the run was sealed with: the harness's private key, its public key ("+runseal.PublicKeyFile+") or a certificate of it (default $"+runseal.KeyEnv+", else the harness key in the user's configuration folder)")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shepconf act: unexpected argument %q\n", fs.Arg(0))
		return exitError
	}
	lang, err := forms.ParseLang(f.lang)
	if err != nil {
		fmt.Fprintf(stderr, "shepconf act: --lang: %v; pass --lang kk, --lang ru or --lang en\n", err)
		return exitError
	}
	if f.state == "" {
		f.state = filepath.Join(f.out, "nca")
	}
	if f.verify != "" {
		return verifyAct(f, lang, stdout, stderr)
	}
	outcome, feats, sealed, err := readRun(f)
	var xmlPath, htmlPath string
	var act forms.TestAct
	var signers []forms.Signer
	if err == nil {
		xmlPath, htmlPath, act, signers, err = formAct(f, lang, outcome, feats, time.Now())
	}
	var problems forms.Problems
	if errors.As(err, &problems) {
		fmt.Fprintln(stderr, "shepconf act: the act cannot be formed:")
		for _, b := range problems {
			fmt.Fprintln(stderr, "  "+b.Error())
		}
		return exitError
	}
	if err != nil {
		fmt.Fprintln(stderr, "shepconf act:", err)
		return exitError
	}
	fmt.Fprintf(stdout, "Run %s sealed on %s by the harness key %s\n", f.out, sealed.Sealed.In(clock.Astana).Format(time.DateTime), sealed.Key)
	fmt.Fprintf(stdout, "Act %s formed and signed by %s\n", act.ID, signers[0].Certificate.Subject)
	decision, missing := act.DecisionIn(lang)
	fmt.Fprintf(stdout, "Decision: %s\n", decision)
	for _, r := range outcome.Remarks {
		fmt.Fprintf(stdout, "  remark %s (%s), %s / %s: %s\n", r.Code, r.Rule, r.Feature, r.Scenario, r.Reason)
	}
	for _, m := range missing {
		fmt.Fprintf(stdout, "  - %s\n", m)
	}
	fmt.Fprintf(stdout, "Act:       %s\nPrintable: %s\n", xmlPath, htmlPath)
	return exitConformant
}

// readRun reads the run in f.out, once its seal holds: its scenarios and verdict, and what it lacks
// to support the act that f describes.
func readRun(f actFlags) (forms.RunOutcome, []reports.Feature, runseal.Manifest, error) {
	cucumber := filepath.Join(f.out, steps.CucumberFile)
	info, err := os.Stat(cucumber)
	if err != nil {
		return forms.RunOutcome{}, nil, runseal.Manifest{}, fmt.Errorf("no conformance run in %s (%w); run \"shepconf run --out %s\" first", f.out, err, f.out)
	}
	sealed, err := verifySeal(f)
	if err != nil {
		return forms.RunOutcome{}, nil, sealed, fmt.Errorf("the run in %s is refused: %w", f.out, err)
	}
	feats, err := reports.ReadCucumber(cucumber)
	if err != nil {
		return forms.RunOutcome{}, nil, sealed, err
	}
	outcome := outcomeOf(feats, info.ModTime())
	outcome.Missing = runGaps(f)
	outcome.Seal = sealOf(sealed)
	return outcome, feats, sealed, nil
}

// verifySeal checks the seal the harness wrote over the run before anything is drawn from it
// (A4-F): edited, missing or unsealed, run.json and the cucumber JSON are refused, so that a run at
// a shrunk time scale, or with a failed scenario, cannot be edited into one that certifies.
func verifySeal(f actFlags) (runseal.Manifest, error) {
	path, err := runseal.KeyPath(f.harnessKey)
	if err != nil {
		return runseal.Manifest{}, err
	}
	pub, err := runseal.LoadPublic(path)
	if errors.Is(err, fs.ErrNotExist) {
		return runseal.Manifest{}, &rule.Breach{Rule: "A4-F", Field: msg.Raw(path), Expected: msg.F("the harness key that sealed the run"), Observed: msg.F("no such file"),
			Fix: msg.Raw("give --harness-key the key, public key (" + runseal.PublicKeyFile + ") or certificate of the harness that ran the suite")}
	}
	if err != nil {
		return runseal.Manifest{}, err
	}
	return runseal.Verify(f.out, pub, steps.RunFile, steps.CucumberFile)
}

// sealOf is the run's seal as the act records it (field 4): the time, the harness key and every
// sealed file with its digest, in name order.
func sealOf(m runseal.Manifest) *forms.RunSeal {
	s := &forms.RunSeal{Sealed: m.Sealed.UTC().Format(time.RFC3339), HarnessKey: m.Key}
	for _, name := range slices.Sorted(maps.Keys(m.Files)) {
		s.Files = append(s.Files, forms.SealedFile{Name: name, Digest: m.Files[name]})
	}
	return s
}

// formAct fills Appendix 4 from the run's outcome, signs it with the tester's EDS and writes it as
// XML and as a printable page in lang. The XML is the same in every language: fields 4 and 5 hold
// the run's identifiers and codes, which only the page words.
func formAct(f actFlags, lang forms.Lang, outcome forms.RunOutcome, feats []reports.Feature, now time.Time) (xmlPath, htmlPath string, act forms.TestAct, signers []forms.Signer, err error) {
	if f.id == "" {
		f.id = "act-" + now.Format("20060102-150405")
	}
	act = forms.TestAct{ID: f.id, Owner: f.owner, Initiator: f.initiator, OwnerSystem: f.ownerSystem,
		InitiatorSystem: f.initiatorSystem, Services: f.services, TestingScenario: outcome.TestingScenario(),
		TestingDecision: outcome.TestingDecision(), ProductionDate: f.productionDate}
	if err := missingFields(f, feats); err != nil {
		return "", "", act, nil, err
	}
	if err := act.ValidateForSigning(); err != nil {
		return "", "", act, nil, err
	}
	id, roots, err := testerIdentity(f)
	if err != nil {
		return "", "", act, nil, err
	}
	doc, err := act.Marshal()
	if err != nil {
		return "", "", act, nil, err
	}
	signed, err := forms.SignAct(doc, id.Key, append([]*x509.Certificate{id.Certificate}, id.Chain...))
	if err != nil {
		return "", "", act, nil, err
	}
	signers = []forms.Signer{{Certificate: id.Certificate, Chain: id.Chain}}
	if roots != nil {
		// Check the act as it will be read: a certificate outside the NCA is refused here, not later.
		if act, signers, err = forms.VerifyAct(signed, roots, now); err != nil {
			return "", "", act, nil, err
		}
	}
	texts, err := steps.SuiteTexts(features.Shep)
	if err != nil {
		return "", "", act, nil, err
	}
	var page bytes.Buffer
	if err := forms.WriteActHTML(&page, act.WithNames(texts.In(string(lang))), signers, lang); err != nil {
		return "", "", act, nil, err
	}
	xmlPath, htmlPath = filepath.Join(f.out, ActXMLFile), filepath.Join(f.out, ActHTMLFile)
	if err := os.WriteFile(xmlPath, append(signed, '\n'), 0o644); err != nil {
		return "", "", act, nil, err
	}
	if err := os.WriteFile(htmlPath, page.Bytes(), 0o644); err != nil {
		return "", "", act, nil, err
	}
	return xmlPath, htmlPath, act, signers, nil
}

// The sides of the act: the roles that test the system named as the owner's (A4 field 2.1) and
// those that test the system named as the initiator's (field 2.2).
var (
	ownerRoles     = []sut.Role{sut.SyncOwner, sut.RESTOwner, sut.AsyncReceiverPull, sut.AsyncReceiverPush}
	initiatorRoles = []sut.Role{sut.SyncInitiator, sut.RESTInitiator, sut.AsyncSender}
)

// runGaps names what keeps the run in f.out from supporting a positive decision on the act f
// describes, whatever its verdict: the run must have tested the system, roles and services the act
// names, at the Rules' own limits, with every scenario of each role run (R-24, R-42: the act
// records a positive result of integration testing). Each gap is a code with the identifiers it
// names; the act words it in the language it is read in.
func runGaps(f actFlags) []forms.Gap {
	b, err := os.ReadFile(filepath.Join(f.out, steps.RunFile))
	if err != nil {
		return []forms.Gap{{Code: forms.GapRunUnknown}}
	}
	var ri steps.RunInfo
	if err := json.Unmarshal(b, &ri); err != nil {
		return []forms.Gap{{Code: forms.GapRunUnreadable}}
	}
	var gaps []forms.Gap
	if ri.SUT.Demonstration {
		gaps = append(gaps, forms.Gap{Code: forms.GapDemonstration})
	}
	if ri.TimeScale != 1 {
		gaps = append(gaps, forms.Gap{Code: forms.GapTimeScale, Scale: strconv.FormatFloat(ri.TimeScale, 'g', -1, 64)})
	}
	if ri.Filtered {
		gaps = append(gaps, forms.Gap{Code: forms.GapFiltered, Tags: ri.Tags})
	}
	if ri.SUT.Kind == "" {
		return append(gaps, forms.Gap{Code: forms.GapNoSystemUnderTest})
	}

	certified := map[sut.Role]bool{}
	var services []string // exercised in a certified role
	for _, r := range ri.Roles {
		if !r.Certified() {
			gaps = append(gaps, forms.Gap{Code: forms.GapRoleNotCertified, Role: r.Role, Failed: r.Failed, Skipped: r.Skipped})
			continue
		}
		certified[sut.Role(r.Role)] = true
		for _, s := range r.Services {
			if !slices.Contains(services, s) {
				services = append(services, s)
			}
		}
	}
	sys := ri.SUT.SystemID
	if len(ri.Roles) == 0 {
		gaps = append(gaps, forms.Gap{Code: forms.GapNoRole, System: sys})
	}

	asOwner, asInitiator := f.ownerSystem == sys, f.initiatorSystem == sys
	if !asOwner && !asInitiator {
		gaps = append(gaps, forms.Gap{Code: forms.GapSystemNotTested, System: sys})
	}
	side := func(roles []sut.Role, name string) {
		if !slices.ContainsFunc(roles, func(r sut.Role) bool { return certified[r] }) {
			gaps = append(gaps, forms.Gap{Code: forms.GapSideNotCertified, System: sys, Side: name, Roles: roleList(roles)})
		}
	}
	if asOwner {
		side(ownerRoles, forms.OwnerSide)
	}
	if asInitiator {
		side(initiatorRoles, forms.InitiatorSide)
	}

	for _, s := range f.services {
		if !slices.Contains(services, s.Key) {
			gaps = append(gaps, forms.Gap{Code: forms.GapServiceNotExercised, Service: s.Key, Exercised: services})
		}
	}
	return gaps
}

func roleList(rs []sut.Role) forms.IDList {
	names := make(forms.IDList, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return names
}

// outcomeOf reads the scenarios and the verdict of a run as the report computes them.
func outcomeOf(feats []reports.Feature, date time.Time) forms.RunOutcome {
	s := reports.Run{Features: feats}.Summary()
	o := forms.RunOutcome{Verdict: s.Verdict, Ready: s.Verdict == reports.Conformant, Date: date}
	for _, f := range feats {
		for _, sc := range f.Scenarios {
			o.Scenarios = append(o.Scenarios, forms.RunScenario{Feature: f.Name, Name: sc.Name, Status: sc.Status(), Clauses: sc.Clauses()})
		}
	}
	for _, r := range reports.Remarks(feats) {
		o.Remarks = append(o.Remarks, forms.RunRemark{Code: r.Code, Rule: r.Rule, Feature: r.Feature, Scenario: r.Scenario, Reason: r.Reason})
	}
	return o
}

// missingFields names every field of the act that the run cannot fill and no flag filled, with the
// flag that fills it. For fields 2.2 and 3.2 it also lists what the run's messages carried.
func missingFields(f actFlags, feats []reports.Feature) error {
	var p forms.Problems
	need := func(field, label, value, flagName, seen string) {
		if strings.TrimSpace(value) != "" {
			return
		}
		b := &rule.Breach{Rule: "A4-F", Field: msg.Raw("A4-F field " + field + " (" + label + ")"), Expected: msg.F("a value"), Observed: msg.F("empty"),
			Fix: msg.F("pass %s", flagName)}
		if seen != "" {
			b.Note = msg.Raw(seen)
		}
		p = append(p, b)
	}
	need("1.1", "name of the service owner", f.owner, `--owner "name"`, "")
	need("1.2", "name of the initiator", f.initiator, `--initiator "name"`, "")
	need("2.1", "information system of the service owner", f.ownerSystem, `--owner-system NAME`, "")
	need("2.2", "information system of the initiator", f.initiatorSystem, `--initiator-system NAME`, seenIn(feats, senderID, "systems that sent requests in the run"))
	if len(f.services) == 0 {
		need("3.1/3.2", "services tested", "", `--service "KEY=Name of the service" (once per service)`, seenIn(feats, serviceID, "service IDs called in the run"))
	}
	return append(p, testerProblems(f)...).Err()
}

var (
	serviceID = regexp.MustCompile(`<serviceId>([^<]+)</serviceId>|"serviceId"\s*:\s*"([^"]+)"`)
	senderID  = regexp.MustCompile(`<senderId>([^<]+)</senderId>|"senderId"\s*:\s*"([^"]+)"`)
)

// seenIn lists the values the run's attached messages carry for an element; a hint only, since a
// run also calls services that do not exist on purpose.
func seenIn(feats []reports.Feature, re *regexp.Regexp, what string) string {
	var vals []string
	for _, f := range feats {
		for _, sc := range f.Scenarios {
			for _, st := range sc.Steps {
				for _, e := range st.Embeddings {
					for _, m := range re.FindAllSubmatch(e.Data, -1) {
						if v := string(m[1]) + string(m[2]); !slices.Contains(vals, v) {
							vals = append(vals, v)
						}
					}
				}
			}
		}
	}
	if len(vals) == 0 {
		return ""
	}
	slices.Sort(vals)
	return what + ": " + strings.Join(vals, ", ")
}

// testerProblems checks what the simulated NCA needs to issue the tester's EDS.
func testerProblems(f actFlags) forms.Problems {
	if f.keyPath != "" || f.certPath != "" {
		return nil
	}
	var p forms.Problems
	if strings.TrimSpace(f.tester) == "" {
		p = append(p, &rule.Breach{Rule: "R-8", Field: msg.F("the tester's EDS"), Expected: msg.F("the tester's name"), Observed: msg.F("empty"), Fix: msg.F(`pass --tester "Full Name" (or --key and --cert)`)})
	}
	if !twelveDigits.MatchString(f.testerIIN) {
		p = append(p, &rule.Breach{Rule: "R-8", Field: msg.F("the tester's EDS"), Expected: msg.F("the tester's IIN, 12 digits"), Observed: msg.F("%q", f.testerIIN), Fix: msg.F("pass --tester-iin with the 12-digit IIN")})
	}
	if f.testerBIN != "" && !twelveDigits.MatchString(f.testerBIN) {
		p = append(p, &rule.Breach{Rule: "R-8", Field: msg.F("the tester's EDS"), Expected: msg.F("the organisation's BIN, 12 digits"), Observed: msg.F("%q", f.testerBIN), Fix: msg.F("pass --tester-bin with the 12-digit BIN, or leave it out")})
	}
	return p
}

var twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)

// testerIdentity is the tester's EDS: the key and certificate supplied, or a certificate issued by
// the simulated NCA kept in f.state. roots are the NCA roots the act is checked against (nil when a
// supplied certificate comes without --roots).
func testerIdentity(f actFlags) (*pki.Identity, *x509.CertPool, error) {
	roots, err := rootsOf(f, f.keyPath == "")
	if err != nil {
		return nil, nil, err
	}
	if f.keyPath != "" || f.certPath != "" {
		if f.keyPath == "" || f.certPath == "" {
			return nil, nil, errors.New("the tester's EDS: pass both --key and --cert")
		}
		id, err := pki.LoadIdentity(f.certPath, f.keyPath)
		if err != nil {
			return nil, nil, fmt.Errorf("the tester's EDS: %w", err)
		}
		if f.tester != "" && f.tester != id.Certificate.Subject.CommonName {
			return nil, nil, fmt.Errorf("the tester's EDS: --tester %q but the certificate %s names %q", f.tester, f.certPath, id.Certificate.Subject.CommonName)
		}
		return id, roots, nil
	}
	ca, err := nca.LoadOrCreate(ncaName, f.state)
	if err != nil {
		return nil, nil, fmt.Errorf("simulated NCA in %s: %w", f.state, err)
	}
	id, err := ca.Issue(nca.Subject{CommonName: f.tester, IIN: f.testerIIN, BIN: f.testerBIN}, pki.RSA2048)
	if err != nil {
		return nil, nil, fmt.Errorf("the tester's EDS: %w", err)
	}
	// Record the certificate issued, so the NCA's OCSP still knows it after a restart.
	if err := ca.Save(f.state); err != nil {
		return nil, nil, err
	}
	if roots == nil {
		roots = ca.Roots()
	}
	return id, roots, nil
}

// rootsOf reads --roots, or with fromState the simulated NCA's root in f.state (nil if none yet).
func rootsOf(f actFlags, fromState bool) (*x509.CertPool, error) {
	path := f.rootsPath
	if path == "" {
		if !fromState {
			return nil, nil
		}
		path = filepath.Join(f.state, nca.RootCertFile)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	certs, err := pki.ReadCertificates(path)
	if err != nil {
		return nil, fmt.Errorf("NCA roots: %w", err)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("NCA roots: %s holds no certificate", path)
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// verifyAct checks every EDS of an act against the NCA roots and prints the signers, and the
// decision in lang. It reads act.xml alone: the signed act is the same whatever language its page
// was rendered in, and the page carries no signature.
func verifyAct(f actFlags, lang forms.Lang, stdout, stderr io.Writer) int {
	doc, err := os.ReadFile(f.verify)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf act:", err)
		return exitError
	}
	roots, err := rootsOf(f, true)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf act:", err)
		return exitError
	}
	if roots == nil {
		fmt.Fprintf(stderr, "shepconf act: no NCA to verify against: pass --roots with the NCA root certificates, or --state with the simulated NCA's folder (%s holds none)\n", f.state)
		return exitError
	}
	act, signers, err := forms.VerifyAct(doc, roots, time.Now())
	if err != nil {
		fmt.Fprintf(stdout, "%s: NOT VALID: %v\n", f.verify, err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s: act %s, %d valid EDS\n", f.verify, act.ID, len(signers))
	for i, s := range signers {
		c := s.Certificate
		iin, bin := pki.IdentifiersOf(c)
		fmt.Fprintf(stdout, "signature %d: %s (IIN %s, BIN %s), certificate %X issued by %s, valid to %s\n",
			i+1, c.Subject.CommonName, orNone(iin), orNone(bin), c.SerialNumber, c.Issuer.CommonName, c.NotAfter.In(clock.Astana).Format(time.DateOnly))
	}
	decision, _ := act.DecisionIn(lang)
	fmt.Fprintf(stdout, "Decision: %s\n", firstLine(decision))
	return exitConformant
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// serviceFlag is a repeatable --service "KEY=Name of the service" (A4 fields 3.2 and 3.1).
type serviceFlag []forms.TestedService

func (s *serviceFlag) String() string {
	var parts []string
	for _, v := range *s {
		parts = append(parts, v.Key+"="+v.Name)
	}
	return strings.Join(parts, ",")
}

func (s *serviceFlag) Set(v string) error {
	key, name, ok := strings.Cut(v, "=")
	key, name = strings.TrimSpace(key), strings.TrimSpace(name)
	if !ok || key == "" || name == "" {
		return fmt.Errorf("A4-F fields 3.2 and 3.1: want KEY=Name of the service, got %q", v)
	}
	*s = append(*s, forms.TestedService{Name: name, Key: key})
	return nil
}
