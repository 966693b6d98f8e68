package shep

import (
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/tamper"
	"github.com/shepconf/shepconf/internal/xsig"
)

// ---- what an attacker on the wire does to the gateway's answer ----

// unsignedAnswer takes the gateway's transport signature off: R-59 has every message signed.
var unsignedAnswer = &answerAlteration{what: msg.F("the gateway's signature taken off"), rule: "R-59", apply: tamper.Unsign}

// alteredAnswer changes the business data after the gateway signed it: the integrity check of
// R-53(1) fails.
var alteredAnswer = &answerAlteration{what: msg.F("altered after the gateway signed it"), rule: "R-53",
	apply: func(doc []byte) ([]byte, error) {
		return tamper.Apply(doc, tamper.SetText("response/responseData/data", "altered in transit"))
	}}

// wrappedAnswer is the signature wrapping attack on the answer: the signed Body moves into the
// header, a forged Body with another Id takes its place; the signature still verifies over the
// moved copy, so only a verifier that checks what was signed is the Body refuses it.
var wrappedAnswer = &answerAlteration{what: msg.F("wrapped around a forged body"), rule: "R-58",
	apply: func(doc []byte) ([]byte, error) { return tamper.Wrap(doc, "response/responseData/data", "forged data") }}

// answerSignedBy replaces the gateway's signature with the valid signature of another system:
// the signer is not the gateway (A6-S1, R-54).
func answerSignedBy(systemID string, id *pki.Identity) *answerAlteration {
	return &answerAlteration{what: msg.F("signed by %s instead of the gateway", systemID), rule: "R-54",
		apply: func(doc []byte) ([]byte, error) {
			doc, err := tamper.Unsign(doc)
			if err != nil {
				return nil, err
			}
			return xsig.Sign(doc, id)
		}}
}

// sessionOfAnswer is the gateway's session named in its answer or fault (A1-T20 row 6, A1-T21 row 6).
func sessionOfAnswer(answer []byte) string {
	m, err := envelope.Parse(answer)
	if err != nil {
		return ""
	}
	if m.IsFault() {
		f, _ := m.Fault()
		return f.Detail.SessionID
	}
	var r envelope.SendMessageResponse
	_ = m.Decode(&r)
	return r.Response.ResponseInfo.SessionID
}
