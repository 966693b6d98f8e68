package epgu

import (
	"context"
	"errors"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// SUTLogFile is where the output of the agency's client in its container goes, beside the reports.
const SUTLogFile = "sut-epgu-client.log"

// The agency's EPGU client in a container image is started as every profile starts an agency's
// system (assembly/sut.StartAgency), with its mnemonic in SHEPCONF_MNEMONIC; the harness registers
// its certificate in ESIA for that mnemonic in every scenario (ESIA-B12: the client_secret is
// signed with its key). ESIA's and the API's addresses, its API key, the time-stamp service and the
// CA the servers chain to come with each trigger request.

func (s SUT) image() sut.AgencyImage {
	return sut.AgencyImage{Image: s.Image, Trigger: s.ImageTrigger, Port: s.Port, Health: s.Health, Env: s.Env}
}

// checkImage refuses a container configuration that cannot work, naming the fix.
func (s SUT) checkImage() error {
	if s.Image == "" {
		return s.image().CheckUnused()
	}
	switch {
	case s.Trigger != nil:
		return errors.New("give the system's image or the trigger of a system already running, not both")
	case s.Certificate != nil:
		return errors.New("the harness issues the certificate of a system in a container from the run's CA: leave --sut-cert out with --sut-image")
	case len(s.Defects) > 0:
		return errors.New("defects break the built-in reference client; an image is tested as it is")
	}
	return nil
}

// startClient starts the system's image with a certificate of the run's CA and records the
// certificate in s, for ESIA to register in each scenario.
func startClient(ctx context.Context, s *SUT, ca *nca.Authority, key pki.KeyType) (*sut.RunningContainer, error) {
	c, id, err := sut.StartAgency(ctx, s.image(), steps.ProfileEPGU, map[string]string{"SHEPCONF_MNEMONIC": s.mnemonic()},
		ca, nca.Subject{CommonName: s.mnemonic(), Organization: s.mnemonic() + " organisation"}, key)
	if err != nil {
		return nil, err
	}
	// The contour trusts the run's CA for the files' signatures already: no further chain.
	s.Certificate = id.Certificate
	return c, nil
}
