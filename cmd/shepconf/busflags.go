package main

import (
	"crypto"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	sutpkg "github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
)

// busRun is what the run flags of a bus profile (epgu, smdo, gospochta) say of it where the
// profiles differ.
type busRun struct {
	name string // "smdo"
	// noun is what the profile calls the system under test: "СЭД", "system", "client".
	noun string
	// roles are the roles a system is certified in, the sending one first; none: no --sut-role.
	roles []string
	// The help of --tags (its example expression), --time-scale, --sut-image and --sut-cert, and
	// the known defects --sample-defect lists.
	tagsExample, scaleHelp, imageHelp, certHelp, defects string
	// certWhy says what the certificate --sut-trigger needs is: "the certificate ESIA registers".
	certWhy string
	// protocols are what the profile signs and connects with, none of which carries a GOST key
	// here: "CMS signatures and TLS".
	protocols string
}

// busKeyAlgorithms names the values --key-algorithm takes in a bus profile.
const busKeyAlgorithms = "rsa-2048 (the default, as the national CA issues) or ecdsa-p256 (gost2004 is for the shep profile only)"

// busKeyType reads --key-algorithm for a bus profile. GOST 34.310-2004 keys (gost2004) are refused:
// the profile's signatures (CMS, JOSE) and its TLS are produced by libraries that have no GOST
// algorithm, so a GOST certificate could not be used in any of its scenarios.
func busKeyType(value string, p busRun) (pki.KeyType, error) {
	k, err := pki.ParseKeyType(value)
	if err != nil {
		return 0, fmt.Errorf("--key-algorithm: %w", err)
	}
	if k == pki.GOST2004 {
		return 0, fmt.Errorf("--key-algorithm %s: the %s profile uses %s, none of which carries GOST 34.310-2004 keys in this tool; give --key-algorithm rsa-2048 or ecdsa-p256 (GOST keys are for the shep profile)", value, p.name, p.protocols)
	}
	return k, nil
}

// busFlags are the run flags every bus profile has, apart from parsing.
type busFlags struct {
	out, tags, keyAlg, harnessKey string
	scale                         float64
	image, trigger, cert          string
	roles, defects                listFlag
}

func (f *busFlags) register(fs *flag.FlagSet, p busRun) {
	fs.StringVar(&f.out, "out", "out", "folder for the reports")
	fs.StringVar(&f.tags, "tags", "", `run only scenarios matching this tag expression, e.g. "`+p.tagsExample+`"`)
	fs.Float64Var(&f.scale, "time-scale", 1, p.scaleHelp)
	fs.StringVar(&f.keyAlg, "key-algorithm", "", "key of the certificates the run issues: "+busKeyAlgorithms)
	fs.StringVar(&f.harnessKey, "harness-key", "", "PEM private key that seals the run's outputs (default $"+runseal.KeyEnv+", else made on first use)")
	fs.StringVar(&f.trigger, "sut-trigger", "", `how the harness makes the agency's `+p.noun+` act: a URL (POST the trigger JSON), "operator", or "host:" and a command with placeholders; with --sut-image also a path below the container's base URL (/trigger) or a command run inside the container`)
	fs.StringVar(&f.cert, "sut-cert", "", p.certHelp)
	fs.StringVar(&f.image, "sut-image", "", p.imageHelp)
	if len(p.roles) > 0 {
		fs.Var(&f.roles, "sut-role", "a role the "+p.noun+" is certified in (repeatable, or comma-separated): "+strings.Join(p.roles, ", ")+" (default both)")
	}
	fs.Var(&f.defects, "sample-defect", "break the reference "+p.noun+" on purpose (repeatable): "+p.defects)
}

// check refuses a stray argument and a time scale outside (0, 1], and reads --key-algorithm.
func (f *busFlags) check(fs *flag.FlagSet, p busRun) (pki.KeyType, error) {
	if fs.NArg() > 0 {
		return 0, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if f.scale <= 0 || f.scale > 1 {
		return 0, fmt.Errorf("--time-scale must be in (0, 1], got %g", f.scale)
	}
	return busKeyType(f.keyAlg, p)
}

// sealKey is the key that seals the run's outputs (--harness-key), made on first use.
func (f *busFlags) sealKey() (crypto.Signer, error) {
	path, err := runseal.KeyPath(f.harnessKey)
	if err != nil {
		return nil, err
	}
	return runseal.LoadOrCreate(path)
}

// busSystem is the system under test the flags name: nothing in a demonstration (perhaps with
// defects of the reference system), the agency's image, or the agency's system behind its trigger.
type busSystem struct {
	container   sutpkg.AgencyImage
	trigger     trigger.Trigger
	certificate *x509.Certificate
	chain       []*x509.Certificate
	roles       []string
}

// system reads --sut-image, --sut-trigger, --sut-cert and --sut-role, refusing what does not go
// together.
func (f *busFlags) system(stdout io.Writer, p busRun) (busSystem, error) {
	var s busSystem
	roles, err := busRoles(f.roles, p)
	if err != nil {
		return s, err
	}
	switch {
	case f.image != "" && len(f.defects) > 0:
		return s, errors.New("--sample-defect breaks the built-in reference " + p.noun + "; an agency's image is tested as it is")
	case f.image != "" && f.cert != "":
		return s, errors.New("--sut-cert: the harness issues the certificate of a " + p.noun + " in a container from the run's CA and writes it into the container; leave --sut-cert out with --sut-image")
	case f.image != "":
		s.container, s.roles = sutpkg.AgencyImage{Image: f.image, Trigger: parseTrigger(f.trigger)}, roles
		return s, nil
	case f.trigger == "":
		if f.cert != "" || len(roles) > 0 {
			return s, errors.New("--sut-cert and --sut-role describe an agency's " + p.noun + ", which needs --sut-trigger; a demonstration runs every scenario against the reference " + p.noun + " (--tags '@role-" + p.roles[0] + "' runs one role's)")
		}
		return s, nil
	case len(f.defects) > 0:
		return s, errors.New("--sample-defect breaks the built-in reference " + p.noun + "; an agency's " + p.noun + " is tested as it is")
	case f.cert == "":
		return s, errors.New("--sut-trigger needs --sut-cert, " + p.certWhy)
	}
	if s.trigger, err = runningTrigger(f.trigger, stdout); err != nil {
		return s, err
	}
	if s.certificate, s.chain, err = readSUTCert(f.cert); err != nil {
		return s, err
	}
	s.roles = roles
	return s, nil
}

// busRoles reads --sut-role: one of the profile's roles, or both (also comma-separated).
func busRoles(given []string, p busRun) ([]string, error) {
	var roles []string
	for _, g := range given {
		for _, r := range strings.Split(g, ",") {
			r = strings.TrimSpace(r)
			if !slices.Contains(p.roles, r) {
				return nil, fmt.Errorf("--sut-role %q: the %s profile's roles are %s", r, p.name, strings.Join(p.roles, " and "))
			}
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	return roles, nil
}

// busResult prints a run's verdict, what it tested and where its report is, and is the exit code.
func busResult(stdout io.Writer, p busRun, res steps.Result, scale float64, key pki.KeyType) int {
	s := res.Summary
	fmt.Fprintf(stdout, "\n%s: %d of %d scenarios passed (profile %s, time scale %g, %s keys)\n", s.Verdict, s.Passed, s.Scenarios, p.name, scale, key)
	if res.Info.SUT.Demonstration {
		fmt.Fprintln(stdout, "DEMONSTRATION: the built-in reference "+p.noun+" was tested; this run certifies nothing (give --sut-trigger and --sut-cert, or --sut-image)")
	} else {
		fmt.Fprintf(stdout, "System under test: %s\n", res.Info.SUT.Describe)
		for _, r := range res.Info.Roles {
			fmt.Fprintf(stdout, "  %-20s %d passed, %d failed, %d skipped\n", r.Role, r.Passed, r.Failed, r.Skipped)
		}
	}
	fmt.Fprintf(stdout, "Report:  %s\nSealed:  %s\n", res.Report, res.Seal)
	if s.Verdict != reports.Conformant {
		return exitFailed
	}
	return exitConformant
}
