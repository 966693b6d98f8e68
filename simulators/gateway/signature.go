package gateway

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
)

// Signatures configures the transport signature (clauses 53-59, Appendix 6).
type Signatures struct {
	// Identity is the gateway's own certificate: everything the gateway sends, to owners and back to
	// initiators, carries its signature (A6-S1: the gateway re-signs what it hands on).
	Identity *nca.Identity
	// Checker judges certificates against the NCA (chain, validity, OCSP then CRL).
	Checker *xsig.Checker
	// Off switches named checks off. It exists only so that a test can prove each negative
	// scenario fails when its check is missing; a conformance run never sets it.
	Off []xsig.Problem
}

// WithSignatures turns transport signatures on: every message received must be signed by its
// sender and every message sent is signed by the gateway.
func WithSignatures(s Signatures) Option { return func(g *Gateway) { g.sig = &s } }

// signatureCodes maps each problem to its fault code (fixtures/README.md lists them).
var signatureCodes = map[xsig.Problem]envelope.Code{
	xsig.Unsigned:      envelope.SCE007,
	xsig.Malformed:     envelope.SCE006,
	xsig.Unregistered:  envelope.SCE006,
	xsig.Invalid:       envelope.SCE006,
	xsig.Wrapped:       envelope.SCE006,
	xsig.Unsupported:   envelope.SCE012,
	xsig.NotTheSender:  envelope.SCE011,
	xsig.Expired:       envelope.SCE005,
	xsig.Revoked:       envelope.SCE005,
	xsig.Untrusted:     envelope.SCE013,
	xsig.StatusUnknown: envelope.SCE014,
}

// inlineCertificate lists the ways a signature carries its certificate, for the fixes below.
const inlineCertificate = "wsse:KeyIdentifier X509v3, a wsse:BinarySecurityToken reference or ds:X509Data/ds:X509Certificate"

var signatureFixes = map[xsig.Problem]string{
	xsig.Unsigned:      "sign every message with the system's EDS: wsse:Security with ds:Signature over the Body (Appendix 6)",
	xsig.Malformed:     "sign as WS-Security has it: exclusive C14N, a Reference to the Body's wsu:Id, ds:KeyInfo naming the certificate (" + inlineCertificate + ", or ds:X509IssuerSerial of a registered certificate)",
	xsig.Unregistered:  "register the certificate for the system with the operator, or send it in the signature (" + inlineCertificate + ")",
	xsig.Invalid:       "sign the message as it is finally sent; nothing may change it after signing",
	xsig.Wrapped:       "sign the Body the message carries, referenced by its wsu:Id; the Envelope holds one Header and one Body",
	xsig.Unsupported:   "sign with RSA-SHA256 or ECDSA-SHA256 and SHA-256 digests under exclusive C14N; RSA-SHA1 is accepted with a remark",
	xsig.NotTheSender:  "sign with the EDS registration certificate of the system named in senderId (its BIN)",
	xsig.Expired:       "renew the system's EDS certificate at the NCA",
	xsig.Revoked:       "obtain a new EDS certificate from the NCA; the revoked one may not sign",
	xsig.Untrusted:     "use a certificate issued by the NCA of the Republic of Kazakhstan",
	xsig.StatusUnknown: "retry later: neither the NCA's OCSP responder nor its CRL could be reached",
}

// signatureFailure turns a failed check into the fault the sender gets.
func signatureFailure(err error, where string) *failure {
	p := xsig.ProblemOf(err)
	code, ok := signatureCodes[p]
	if !ok {
		code = envelope.SCE909
	}
	ruleID := "R-58"
	if e, isCheck := err.(*xsig.Error); isCheck {
		ruleID = e.Rule
	}
	return &failure{code: code, client: true, breach: &rule.Breach{
		Rule: ruleID, Field: "Envelope/Header/Security",
		Expected: "a valid transport signature of the sender (clauses 54, 58, 59; Appendix 6)",
		Observed: where + string(p) + ": " + err.Error(), Fix: signatureFixes[p]}}
}

// verifySigned checks the transport signature of a message from the system registered as
// registered (its BIN or IIN). It returns the evidence for the journal: the Report, with the way
// KeyInfo named the certificate and any remarks.
func (g *Gateway) verifySigned(ctx context.Context, body []byte, senderID, registered, where string) (string, *failure) {
	known := g.registry.signerCertificates(senderID)
	r, err := g.sig.Checker.CheckMessageFrom(ctx, body, senderID, registered, known, g.sig.Off...)
	evidence, _ := json.Marshal(r)
	if err != nil {
		return string(evidence), signatureFailure(err, where)
	}
	return string(evidence), nil
}

// sign puts the gateway's signature on what it sends; without signatures configured it returns
// the message as it is.
func (g *Gateway) sign(doc []byte) ([]byte, error) {
	if g.sig == nil || g.sig.Identity == nil {
		return doc, nil
	}
	out, err := xsig.Sign(doc, g.sig.Identity)
	if err != nil {
		return nil, fmt.Errorf("gateway signature: %w", err)
	}
	return out, nil
}

// signerIsPeer reports whether a message is signed by a peer gateway registered as such: the
// external gateway accepts what the gateway relays on its signature alone (A6-S1).
func (g *Gateway) signerIsPeer(body []byte) (System, bool) {
	if g.sig == nil {
		return System{}, false
	}
	s, err := xsig.Verify(body, g.registry.peerCertificates()...)
	if err != nil || s.Certificate == nil {
		return System{}, false
	}
	iin, bin := nca.IdentifiersOf(s.Certificate)
	return g.registry.peerWith(bin, iin)
}
