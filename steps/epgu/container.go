package epgu

import (
	"context"

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
	return steps.CheckContainer(s.image(), s.Trigger, s.Certificate, s.Defects, "the built-in reference client")
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
