package shep

import (
	"context"
	"crypto/x509"
	"slices"
	"strings"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
)

// The forms of a transport signature that clients already in use write: every way of naming the
// certificate (A6-S2), and what the real gateway tolerates although the Rules do not ask for it,
// which is accepted with a remark.

func init() { stepSets = append(stepSets, registerSignatureFormSteps) }

func registerSignatureFormSteps(w *World, sc *godog.ScenarioContext) {
	sc.Step(`^"([^"]*)" signs with a new certificate not registered with the gateway$`, w.signsUnregistered)

	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" naming its certificate by (KeyIdentifier|BinarySecurityToken|X509Data|IssuerSerial)$`, w.sendsWithKeyReference)
	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" signed with RSA-SHA1$`, w.sendsSHA1)
	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" with a plain Id on the Body$`, w.sendsPlainID)

	sc.Step(`^the gateway found the certificate of "([^"]*)" by its (KeyIdentifier|BinarySecurityToken|X509Data|IssuerSerial)$`, w.gatewayFoundCertificateBy)
	sc.Step(`^the run records the remark "([^"]*)" with its reason$`, w.recordsRemark)
	sc.Step(`^the run records no remark$`, w.recordsNoRemark)
}

// registerCertificate registers the system's current certificate with the gateway: an
// X509IssuerSerial names only a certificate the gateway already holds for the sending system.
func (w *World) registerCertificate(systemID string) {
	sys, ok := w.registry.System(systemID)
	if !ok {
		return
	}
	sys.Certificates = []*x509.Certificate{w.identities[systemID].Certificate}
	w.registry.AddSystem(sys)
}

// signsUnregistered gives the system a new, valid certificate of its own organisation that the
// gateway does not hold for it.
func (w *World) signsUnregistered(systemID string) error {
	id, err := w.suite.NCA.Issue(nca.Subject{CommonName: systemID, BIN: binOf(systemID), Organization: systemID + " owner organisation"}, w.suite.Key)
	if err != nil {
		return err
	}
	w.identities[systemID] = id
	return nil
}

func (w *World) sendsWithKeyReference(ctx context.Context, systemID, serviceID, ref string) error {
	return w.sendSigned(ctx, systemID, serviceID, xsig.WithKeyReference(xsig.KeyReference(ref)))
}

// sendsSHA1 signs as widely copied sample code does; the scenario gives the system an RSA key.
func (w *World) sendsSHA1(ctx context.Context, systemID, serviceID string) error {
	return w.sendSigned(ctx, systemID, serviceID, xsig.WithSHA1())
}

func (w *World) sendsPlainID(ctx context.Context, systemID, serviceID string) error {
	return w.sendSigned(ctx, systemID, serviceID, xsig.WithPlainID())
}

func (w *World) sendSigned(ctx context.Context, systemID, serviceID string, opts ...xsig.Option) error {
	in, body, err := w.signed(systemID, serviceID, opts...)
	if err != nil {
		return err
	}
	return w.deliver(ctx, in, body)
}

// gatewayFoundCertificateBy reads the gateway's signature check from the journal: the signer's
// certificate, named in the way the system chose, is the system's (A6-S2, R-54).
func (w *World) gatewayFoundCertificateBy(ctx context.Context, systemID, ref string) error {
	x, err := w.journalExchange(ctx)
	if err != nil {
		return err
	}
	var r xsig.Report
	if checks := w.signatureChecks(x.Events); len(checks) > 0 {
		r = checks[0]
	}
	w.attachJSON("transport signature check", r)
	return w.verify("A6-S2", msg.F("the gateway found the certificate of %s (BIN %s) by its %s", systemID, binOf(systemID), ref),
		msg.F("keyInfo %q, signer BIN %q", r.KeyInfo, r.Certificate.BIN), r.KeyInfo == ref && r.Certificate.BIN == binOf(systemID))
}

// recordsRemark checks that the exchange's signature evidence carries the remark and that the run
// recorded it, with the reason the report shows: accepted, but not what the Rules ask for.
func (w *World) recordsRemark(ctx context.Context, code string) error {
	if _, err := w.journalExchange(ctx); err != nil {
		return err
	}
	r, ok := w.remarks[code]
	return w.verify(remarkRule(code), msg.F("the remark %q recorded with its clause and reason", code),
		msg.F("remarks %s", w.remarkList()), ok && r.Rule != "" && r.Reason.String() != "")
}

// recordsNoRemark checks that a signature in the Rules' convention draws no remark.
func (w *World) recordsNoRemark(ctx context.Context) error {
	if _, err := w.journalExchange(ctx); err != nil {
		return err
	}
	return w.verify("A6-S2", msg.F("no remark on a signature in the convention"), msg.F("remarks %s", w.remarkList()), len(w.remarks) == 0)
}

// remarkList is the scenario's remarks, each with its clause and the reason xsig gives, in the
// order of their English text.
func (w *World) remarkList() msg.Text {
	if len(w.remarks) == 0 {
		return msg.F("none")
	}
	out := make([]msg.Text, 0, len(w.remarks))
	for code, r := range w.remarks {
		out = append(out, msg.F("%s (%s): %s", code, r.Rule, r.Reason))
	}
	slices.SortFunc(out, func(a, b msg.Text) int { return strings.Compare(a.String(), b.String()) })
	return msg.Join(out, "; ")
}

// remarkRule is the clause a remark is about, for the verdict record.
func remarkRule(code string) string {
	if code == xsig.RemarkTimestamp {
		return "R-55"
	}
	return "A6-S2"
}
