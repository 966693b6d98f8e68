package gateway

import (
	"context"
	"encoding/json"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/xsig"
)

// Signatures configures the transport signature (clauses 53-59, Appendix 6).
type Signatures struct {
	// Identity is the gateway's own certificate: everything the gateway sends, to owners and back to
	// initiators, carries its signature (A6-S1: the gateway re-signs what it hands on).
	Identity *pki.Identity
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

// SignatureFault is the fault code the gateway answers a signature problem with.
func SignatureFault(p xsig.Problem) envelope.Code {
	if code, ok := signatureCodes[p]; ok {
		return code
	}
	return envelope.SCE909
}

// inlineCertificate lists the ways a signature carries its certificate, for the fixes below.
var inlineCertificate = msg.F("wsse:KeyIdentifier X509v3, a wsse:BinarySecurityToken reference or ds:X509Data/ds:X509Certificate")

var signatureFixes = map[xsig.Problem]msg.Text{
	xsig.Unsigned:      msg.F("sign every message with the system's EDS: wsse:Security with ds:Signature over the Body (Appendix 6)"),
	xsig.Malformed:     msg.F("sign as WS-Security has it: exclusive C14N, a Reference to the Body's wsu:Id, ds:KeyInfo naming the certificate (%s, or ds:X509IssuerSerial of a registered certificate)", inlineCertificate),
	xsig.Unregistered:  msg.F("register the certificate for the system with the operator, or send it in the signature (%s)", inlineCertificate),
	xsig.Invalid:       msg.F("sign the message as it is finally sent; nothing may change it after signing"),
	xsig.Wrapped:       msg.F("sign the Body the message carries, referenced by its wsu:Id; the Envelope holds one Header and one Body"),
	xsig.Unsupported:   msg.F("sign with GOST 34.310-2004 over GOST 34.311-95 digests, or with RSA-SHA256 or ECDSA-SHA256 over SHA-256 digests, under exclusive C14N; RSA-SHA1 is accepted with a remark"),
	xsig.NotTheSender:  msg.F("sign with the EDS registration certificate of the system named in senderId (its BIN)"),
	xsig.Expired:       msg.F("renew the system's EDS certificate at the NCA"),
	xsig.Revoked:       msg.F("obtain a new EDS certificate from the NCA; the revoked one may not sign"),
	xsig.Untrusted:     msg.F("use a certificate issued by the NCA of the Republic of Kazakhstan"),
	xsig.StatusUnknown: msg.F("retry later when the NCA's OCSP responder and CRL were unreachable or answered stale or for another request; when the responder does not know the certificate, sign with one the NCA issued and records"),
}

// signatureFailure turns a failed check into the fault the sender gets; where says which message
// was checked when it is not the request itself ("in the owner's answer").
func signatureFailure(err error, where msg.Text) *failure {
	p := xsig.ProblemOf(err)
	code := SignatureFault(p)
	ruleID := "R-58"
	if e, isCheck := err.(*xsig.Error); isCheck {
		ruleID = e.Rule
	}
	return &failure{code: code, client: true, breach: &rule.Breach{
		Rule: ruleID, Field: msg.Raw("Envelope/Header/Security"),
		Expected: msg.F("a valid transport signature of the sender (clauses 54, 58, 59; Appendix 6)"),
		Observed: signatureObserved(where, p, err), Fix: signatureFixes[p]}}
}

// signatureObserved is what the check found: the problem and the check's own words, and where.
func signatureObserved(where msg.Text, p xsig.Problem, err error) msg.Text {
	if where.IsZero() {
		return msg.F("%s: %s", p, msg.Of(err))
	}
	return msg.F("%s, %s: %s", where, p, msg.Of(err))
}

// verified is a message's transport signature checked once, for the peer check and then the
// sender check.
type verified struct {
	signed *xsig.Signed
	err    error
}

// verifyOnce verifies the signature of a parsed message cryptographically, on the tree it is
// decoded from: the message is parsed once. The certificates a ds:X509IssuerSerial may name are
// the sender's and the peer gateways' (signerCertificates).
func (g *Gateway) verifyOnce(m *envelope.Message, senderID string) verified {
	s, err := xsig.VerifyDocument(m.Doc, g.registry.signerCertificates(senderID)...)
	return verified{signed: s, err: err}
}

// judgeSigned finishes the check of a verified signature as xsig.Checker.CheckMessageFrom does: the
// signer must be the registered sender with a valid certificate (R-58 2). remarks are added
// to the evidence (e.g. a far messageDate), which the journal keeps and the report lists.
func (g *Gateway) judgeSigned(ctx context.Context, v verified, senderID, registered string, where msg.Text, remarks ...xsig.Remark) (string, *failure) {
	r := xsig.ReportOf(v.signed)
	r.Remarks = append(r.Remarks, remarks...)
	err := v.err
	if err != nil && skipped(g.sig.Off, xsig.ProblemOf(err)) {
		err = nil // only with the failed check switched off (Signatures.Off)
	}
	if err == nil && v.signed != nil && v.signed.Certificate != nil {
		r.Certificate, err = g.sig.Checker.Judge(ctx, v.signed.Certificate, senderID, registered, g.sig.Off...)
	}
	if err != nil {
		r = r.WithError(err)
	}
	evidence, _ := json.Marshal(r)
	if err != nil {
		return string(evidence), signatureFailure(err, where)
	}
	return string(evidence), nil
}

// MessageDateSkew is how far a messageDate may stand from the gateway's clock without a remark. The
// Rules set no window (the transport signature carries no timestamp either, R-55), so a date from
// 1999 or 2099 is accepted, but remarked: it usually betrays a wrong clock or a replayed message.
const MessageDateSkew = 24 * time.Hour

// RemarkMessageDate is the code of the remark on a far messageDate.
const RemarkMessageDate = "message-date"

// messageDateRemark remarks a messageDate more than MessageDateSkew from now.
func messageDateRemark(date, now time.Time, ruleID string) []xsig.Remark {
	if date.IsZero() {
		return nil
	}
	skew := date.Sub(now)
	if skew < 0 {
		skew = -skew
	}
	if skew <= MessageDateSkew {
		return nil
	}
	return []xsig.Remark{{Code: RemarkMessageDate, Rule: ruleID, Reason: msg.F("messageDate %s is %s from the gateway's clock (more than %s): accepted, as the Rules set no window; set messageDate to the time the message is sent, from a synchronised clock",
		date.Format(time.RFC3339), skew.Round(time.Hour), MessageDateSkew)}}
}

// sign puts the gateway's signature on what it sends; without signatures configured it returns
// the message as it is.
func (g *Gateway) sign(doc []byte) ([]byte, error) {
	if g.sig == nil || g.sig.Identity == nil {
		return doc, nil
	}
	out, err := xsig.Sign(doc, g.sig.Identity)
	if err != nil {
		return nil, msg.Errorf("gateway signature: %w", err)
	}
	return out, nil
}

// signerIsPeer reports whether a verified message is signed by a peer gateway registered as such:
// the external gateway accepts what the gateway relays on its signature alone (A6-S1).
func (g *Gateway) signerIsPeer(v verified) (System, bool) {
	if v.err != nil || v.signed == nil || v.signed.Certificate == nil {
		return System{}, false
	}
	iin, bin := pki.IdentifiersOf(v.signed.Certificate)
	return g.registry.peerWith(bin, iin)
}
