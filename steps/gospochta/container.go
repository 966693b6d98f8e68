package gospochta

import (
	"context"
	"errors"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// SUTLogFile is where the output of the agency's system in its container goes, beside the reports.
const SUTLogFile = "sut-gospochta.log"

// The agency's system in a container image is started as every profile starts an agency's system
// (assembly/sut.StartAgency): the harness issues its certificate from the run's CA and registers it
// in every scenario's contour. Besides the common environment it gets
//
//	SHEPCONF_MNEMONIC        its client_id at ESIA
//	SHEPCONF_GOSPOCHTA_POLL  the pause between fetches of a search at the run's time scale
//
// and each trigger request brings the contour's and ESIA's addresses, the CA they chain to, the
// system's packet key and API key. Gospochta pushes the states of what it sends to the address the
// harness triggers it at (/notify/…), which the container publishes.

// checkContainer refuses a container configuration that cannot work, naming the fix.
func (s SUT) checkContainer() error {
	if s.Container.Image == "" {
		return s.Container.CheckUnused()
	}
	switch {
	case s.Trigger != nil:
		return errors.New("give the system's image or the trigger of a system already running, not both")
	case s.Certificate != nil:
		return errors.New("the harness issues the certificate of a system in a container from the run's CA: leave --sut-cert out with --sut-image")
	case len(s.Defects) > 0:
		return errors.New("defects break the built-in reference system; an image is tested as it is")
	}
	return nil
}

// startSystem starts the system's image with a certificate of the run's CA and records the
// certificate in s, for each scenario's contour to register.
func startSystem(ctx context.Context, s *SUT, ca *nca.Authority, key pki.KeyType, t Timing) (*sut.RunningContainer, error) {
	env := map[string]string{"SHEPCONF_MNEMONIC": s.mnemonic(), "SHEPCONF_GOSPOCHTA_POLL": t.Poll.String()}
	c, id, err := sut.StartAgency(ctx, s.Container, steps.ProfileGospochta, env, ca,
		nca.Subject{CommonName: s.mnemonic(), Organization: s.mnemonic() + " organisation"}, key)
	if err != nil {
		return nil, err
	}
	s.Certificate = id.Certificate
	return c, nil
}
