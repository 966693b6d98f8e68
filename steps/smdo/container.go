package smdo

import (
	"context"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// SUTLogFile is where the output of the agency's СЭД in its container goes, beside the reports.
const SUTLogFile = "sut-smdo-sed.log"

// The agency's СЭД in a container image is started as every profile starts an agency's system
// (assembly/sut.StartAgency): the harness issues its certificate from the run's CA and registers it
// for the system's subscriber in every scenario's router. Besides the common environment it gets
//
//	SHEPCONF_SMDO_CODE     its smdoCode
//	SHEPCONF_SMDO_POLL     the receiving thread's period at the run's time scale (5m at scale 1)
//	SHEPCONF_SMDO_RESTART  the sending thread's pause at the run's time scale (10s at scale 1)
//
// and each trigger request brings the router's address, the CA it chains to, the system's client
// credentials and subscriber.

// checkContainer refuses a container configuration that cannot work, naming the fix.
func (s SUT) checkContainer() error {
	return steps.CheckContainer(s.Container, s.Trigger, s.Certificate, s.Defects, "the built-in reference СЭД")
}

// startSED starts the system's image with a certificate of the run's CA and records the
// certificate in s, for the router to register in each scenario; nil when the system is in no image.
func startSED(ctx context.Context, s *SUT, ca *nca.Authority, key pki.KeyType, t Timing) (*sut.RunningContainer, error) {
	if s.Container.Image == "" {
		return nil, nil
	}
	env := map[string]string{"SHEPCONF_SMDO_CODE": s.code(), "SHEPCONF_SMDO_POLL": t.Poll.String(), "SHEPCONF_SMDO_RESTART": t.Restart.String()}
	c, id, err := sut.StartAgency(ctx, s.Container, steps.ProfileSMDO, env, ca,
		nca.Subject{CommonName: s.code(), Organization: s.code() + " organisation"}, key)
	if err != nil {
		return nil, err
	}
	s.Certificate = id.Certificate
	return c, nil
}
