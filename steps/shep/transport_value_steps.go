package shep

import (
	"context"
	"crypto/ecdsa"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/gost"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
)

// A signature whose every digest is right but whose value was not made with the key of the
// certificate it names: only the check of ds:SignatureValue against that certificate's key catches
// it (R-53, A6-S2), whatever the algorithm.

func init() { stepSets = append(stepSets, registerSignatureValueSteps) }

func registerSignatureValueSteps(w *World, sc *godog.ScenarioContext) {
	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" signed with a key other than its certificate's$`, w.sendsSignedWithOtherKey)
}

// sendsSignedWithOtherKey signs the request under the system's own certificate with a fresh key of
// the same type: the digests of the Body and of SignedInfo are right, the signature value is not
// the certificate holder's.
func (w *World) sendsSignedWithOtherKey(ctx context.Context, systemID, serviceID string) error {
	id, ok := w.identities[systemID]
	if !ok {
		return msg.Errorf("%s has no certificate", systemID)
	}
	k := pki.RSA2048
	switch id.Key.(type) {
	case *ecdsa.PrivateKey:
		k = pki.ECDSAP256
	case *gost.PrivateKey:
		k = pki.GOST2004
	}
	other, err := pki.NewKey(k)
	if err != nil {
		return err
	}
	in := w.initiator(systemID, w.passwords[systemID])
	w.sent = in.Request(serviceID, envelope.StringData("ping"))
	body, err := envelope.Marshal(w.sent)
	if err != nil {
		return err
	}
	if body, err = xsig.Sign(body, &pki.Identity{Certificate: id.Certificate, Chain: id.Chain, Key: other}); err != nil {
		return err
	}
	return w.deliver(ctx, in, body)
}
