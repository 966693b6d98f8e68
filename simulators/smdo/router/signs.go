package router

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
)

// signs puts a file's signatures: PUT …/package/{packageId}/attach/{attachId}/signs with
// [{keyId, signer, operationType, origSignatire, data}], answered with the package. Each sign's
// data is verified at once (SMDO-SIGN): a detached CMS over the file's bytes, by one of the
// sender's certificates, chaining to the router's roots. One that does not verify refuses the
// call and leaves the file's signs as they were.
func (r *Router) signs(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	if r.refusedStage(w, req, caller, StageSigns) {
		return
	}
	raw, status, b := readJSON(w, req, r.limits.MaxBodyBytes, "SMDO-SIGN")
	if b != nil {
		refuse(w, req, status, b)
		return
	}
	signs, b := decodeSigns(raw, r.limits.MaxSigns)
	if b != nil {
		refuse(w, req, http.StatusBadRequest, b)
		return
	}
	r.mu.Lock()
	_, a := r.outgoingAttachment(w, req, caller)
	certs := append([]*x509.Certificate(nil), caller.Certificates...)
	r.mu.Unlock()
	if a == nil {
		return
	}
	// Verified without the lock: a.data is never changed once attached.
	verified := make([]Verification, 0, len(signs))
	for i, s := range signs {
		v, b := r.verifySign(fmt.Sprintf("[%d].data", i), s.Data, a.data, certs)
		if b != nil {
			refuse(w, req, http.StatusBadRequest, b)
			return
		}
		v.Sign = i
		verified = append(verified, v)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p, now := r.outgoingAttachment(w, req, caller)
	if now != a {
		if now != nil {
			refuse(w, req, http.StatusConflict, breach("SMDO-SIGN", "attachId", msg.F("the file the signatures were verified over"),
				msg.F("the file was replaced while its signatures were verified"), msg.F("put the signatures again")))
		}
		return
	}
	a.signs, a.verified = signs, verified
	p.restate(r.now())
	server.WriteJSON(w, http.StatusOK, r.answerOf(p))
}

// unsign removes a file's signatures: DELETE …/package/{packageId}/attach/{attachId}/signs → 204.
func (r *Router) unsign(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, a := r.outgoingAttachment(w, req, caller)
	if a == nil {
		return
	}
	a.signs, a.verified = nil, nil
	p.restate(r.now())
	w.WriteHeader(http.StatusNoContent)
}

// decodeSigns reads the signs call's body: an array of 1..limit signs.
func decodeSigns(raw []byte, limit int) ([]Sign, *rule.Breach) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, breach("SMDO-SIGN", "request body", msg.F("an array of signs [{keyId, signer, operationType, origSignatire, data}]"),
			describeJSON(raw), msg.F("send the signs as a JSON array"))
	}
	if len(items) == 0 || len(items) > limit {
		return nil, breach("SMDO-SIGN", "request body", msg.F("1 to %d signs", limit), msg.F("%d signs", len(items)),
			msg.F("send each signature of the file once; DELETE …/signs removes them"))
	}
	out := make([]Sign, len(items))
	for i, it := range items {
		if err := json.Unmarshal(it, &out[i]); err != nil {
			var fe *fieldError
			field, problem := fmt.Sprintf("[%d]", i), msg.Of(err)
			if errors.As(err, &fe) {
				if fe.field != "" {
					field += "." + fe.field
				}
				problem = fe.problem
			}
			return nil, breach("SMDO-SIGN", field, msg.F("a sign {keyId, signer, operationType, origSignatire, data} with text values"), problem,
				msg.F("send each field as text or null, data as the base64 of the signature"))
		}
	}
	return out, nil
}

// verifySign checks one signature (base64 text) over data (SMDO-SIGN).
func (r *Router) verifySign(field, text string, data []byte, certs []*x509.Certificate) (Verification, *rule.Breach) {
	expected := msg.F("the base64 of a detached CMS SignedData over the file's bytes, RSA or ECDSA with SHA-256, by the sender's certificate")
	fail := func(observed, fix msg.Text) (Verification, *rule.Breach) {
		return Verification{}, breach("SMDO-SIGN", field, expected, observed, fix)
	}
	der, err := cms.Decode(text)
	if err != nil {
		return fail(msg.Of(err), msg.F("send the DER signature in base64"))
	}
	// A Belarusian STB 34.101 signature is a legitimate one this simulator cannot judge: the
	// verifier reports it as not supported, never as malformed or bad (SMDO-STB).
	v, err := r.verifier.VerifyDetached(der, data)
	if err != nil {
		return fail(msg.Of(err), signFix(err))
	}
	for _, c := range certs {
		if bytes.Equal(c.Raw, v.Signer.Raw) {
			return Verification{Certificate: v.Signer, Subject: v.Signer.Subject.CommonName,
				Serial: v.Signer.SerialNumber.Text(16), At: r.now()}, nil
		}
	}
	return fail(msg.F("signed by %q (serial %s), not a certificate of the sender", v.Signer.Subject.CommonName, v.Signer.SerialNumber.Text(16)),
		msg.F("sign with the certificate registered for the subscriber"))
}

// signFix is the fix for a signature the verifier refused.
func signFix(err error) msg.Text {
	var ce *cms.Error
	if !errors.As(err, &ce) {
		return msg.F("sign the file's bytes again")
	}
	switch ce.Problem {
	case cms.Malformed:
		return msg.F("send a detached CMS SignedData (DER) holding the signer's certificate")
	case cms.BadSignature:
		return msg.F("sign exactly the bytes of the file attached")
	case cms.Untrusted:
		return msg.F("sign with a valid certificate of the test CA")
	case cms.NotSupported:
		return msg.F("for the simulated exchange sign with RSA or ECDSA and SHA-256 by the certificate the test CA issued")
	}
	return msg.F("sign the file's bytes again")
}
