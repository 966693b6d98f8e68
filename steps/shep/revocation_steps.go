package shep

import (
	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/simulators/nca"
)

// The NCA's OCSP responder misbehaving for one system's certificate (R-58 2): the answers a
// relying party must refuse rather than take as the certificate's status.

func init() { stepSets = append(stepSets, registerRevocationSteps) }

func registerRevocationSteps(w *World, sc *godog.ScenarioContext) {
	sc.Step(`^the NCA's OCSP responder answers "unknown" for the certificate of "([^"]*)"$`, w.ocspAnswers(nca.OCSPUnknown))
	sc.Step(`^the NCA's OCSP responder answers for the certificate of "([^"]*)" with an answer past its nextUpdate$`, w.ocspAnswers(nca.OCSPStale))
	sc.Step(`^the NCA's OCSP responder answers for the certificate of "([^"]*)" with the nonce of another request$`, w.ocspAnswers(nca.OCSPWrongNonce))
}

// ocspAnswers switches the run's OCSP responder for the system's certificate of this scenario; no
// other scenario uses that certificate, so nothing needs resetting.
func (w *World) ocspAnswers(answer nca.OCSPAnswer) func(systemID string) error {
	return func(systemID string) error {
		id, ok := w.identities[systemID]
		if !ok {
			return msg.Errorf("%s has no certificate", systemID)
		}
		w.suite.NCA.SetOCSPAnswer(id.Certificate, answer)
		return nil
	}
}
