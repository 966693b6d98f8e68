package router

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// Deliver puts a package from subscriber from straight into its receivers' incoming lists, as if
// that subscriber had created, attached, signed and sent it: the harness's counterpart sending to
// the system under test. raw is the package JSON a client would POST; files are the attachments by
// name (the referenceid of their docTransfer), each signed by the signatures its docTransfer
// carries (signature[].value, base64 detached CMS), verified as the signs call does (SMDO-SIGN).
// The checks are those of sending; a refusal is returned as a *rule.Breach, with the package in
// state "refused" when it was the format's.
func (r *Router) Deliver(from string, raw json.RawMessage, files map[string][]byte) (Package, error) {
	r.mu.Lock()
	sender := r.subscribers[from]
	var certs []*x509.Certificate
	if sender != nil {
		certs = append(certs, sender.Certificates...)
	}
	r.mu.Unlock()
	if sender == nil {
		return Package{}, msg.Errorf("router: no subscriber %s", from)
	}
	// Signatures are verified before the lock is taken: the files do not change.
	signed, b := r.verifyDelivered(raw, files, certs)
	if b != nil {
		return Package{}, b
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// The scripted subscribers' notices skip this: they answer packages already taken.
	if b := r.capacityBreach(nil); b != nil {
		return Package{}, b
	}
	return r.takeLocked(sender, raw, files, signed)
}

// signedFile is a file's signs as verified.
type signedFile struct {
	signs    []Sign
	verified []Verification
}

// verifyDelivered verifies the signatures the packet's docTransfers carry over the files they name.
func (r *Router) verifyDelivered(raw json.RawMessage, files map[string][]byte, certs []*x509.Certificate) (map[string]signedFile, *rule.Breach) {
	var outer struct {
		Body struct {
			Envelop envelope `json:"envelop"`
		} `json:"body"`
	}
	_ = json.Unmarshal(raw, &outer) // the format is checked after; signatures are taken where readable
	out := map[string]signedFile{}
	for _, t := range transfersOf(outer.Body.Envelop) {
		data, ok := files[t.Data.ReferenceID]
		if !ok {
			continue
		}
		var sf signedFile
		for i, s := range t.Signature {
			if s.Value == nil || *s.Value == "" {
				continue
			}
			v, b := r.verifySign(fmt.Sprintf("%s.signature[%d].value", t.path, i), *s.Value, data, certs)
			if b != nil {
				return nil, b
			}
			v.Sign = len(sf.signs)
			sf.signs = append(sf.signs, Sign{Data: *s.Value, Signer: v.Subject})
			sf.verified = append(sf.verified, v)
		}
		out[t.Data.ReferenceID] = sf
	}
	return out, nil
}

// takeLocked keeps, checks and routes a package sender sends without the outgoing API: Deliver's
// and the scripted subscribers' (r.mu held).
func (r *Router) takeLocked(sender *Subscriber, raw json.RawMessage, files map[string][]byte, signed map[string]signedFile) (Package, error) {
	in, b := decodePackage(raw, false)
	if b != nil {
		return Package{}, b
	}
	if len(files) > r.limits.MaxAttachments {
		return Package{}, breach("SMDO-SEND", "files", msg.F("at most %d files", r.limits.MaxAttachments), msg.F("%d files", len(files)),
			msg.F("send fewer files"))
	}
	var size int64
	names := make([]string, 0, len(files))
	for name, data := range files {
		if int64(len(data)) > r.limits.MaxFileBytes {
			return Package{}, breach("SMDO-SEND", "files["+name+"]", msg.F("a file of at most %d bytes", r.limits.MaxFileBytes),
				msg.F("%d bytes", len(data)), msg.F("send a smaller file"))
		}
		size += int64(len(data))
		names = append(names, name)
	}
	sort.Strings(names)
	if b := r.roomBreach("files", size+in.jsonBytes(), ""); b != nil {
		return Package{}, b
	}
	p := r.newPackage(sender.ID, in)
	now := r.now()
	for _, name := range names {
		sf := signed[name]
		p.attachments = append(p.attachments, &attachment{id: uuid.NewString(), name: name,
			data: append([]byte(nil), files[name]...), signs: sf.signs, verified: sf.verified})
		r.stored += int64(len(files[name]))
	}
	p.restate(now)
	if b := beforeSending(p); b != nil {
		p.refusal = b
		r.forget(p.id)
		return p.snapshot(), b
	}
	p.enter(StateSent, now)
	r.process(p)
	if p.refusal != nil {
		return p.snapshot(), p.refusal
	}
	return p.snapshot(), nil
}
