package gospochta

import (
	"context"

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
	return steps.CheckContainer(s.Container, s.Trigger, s.Certificate, s.Defects, "the built-in reference system")
}

// startSystem starts the system's image with a certificate of the run's CA and records the
// certificate in s, for each scenario's contour to register; nil when the system is in no image.
func startSystem(ctx context.Context, s *SUT, ca *nca.Authority, key pki.KeyType, t Timing) (*sut.RunningContainer, error) {
	if s.Container.Image == "" {
		return nil, nil
	}
	env := map[string]string{"SHEPCONF_MNEMONIC": s.mnemonic(), "SHEPCONF_GOSPOCHTA_POLL": t.Poll.String()}
	c, id, err := sut.StartAgency(ctx, s.Container, steps.ProfileGospochta, env, ca,
		nca.Subject{CommonName: s.mnemonic(), Organization: s.mnemonic() + " organisation"}, key)
	if err != nil {
		return nil, err
	}
	s.Certificate = id.Certificate
	return c, nil
}
