package router

import (
	"fmt"
	"net/http"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// send sends a package: GET …/package/{packageId}/send → 204, accepted for processing
// (SMDO-SEND). Refused with 400 before sending, the package unchanged and unsent, when a document
// or additional materials carry no file or a file carries no signature (SMDO-SIGN); 409 when sent
// already. After the 204 the router checks the format (SMDO-FORMAT): a fault makes the package
// "refused" and puts a ROUTER notice into the sender's incoming list (SMDO-NOTICE); otherwise the
// package is routed to each receiver's incoming list.
//
// Reconstructed: the real router checks after answering, at a time of its own; this one checks
// before the 204 leaves, so the notice or the routing is in place when the client reads the answer.
func (r *Router) send(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	r.mu.Lock()
	p := r.outgoing(w, req, caller, req.PathValue("packageId"))
	r.mu.Unlock()
	if p == nil || r.refusedStage(w, req, caller, StageSend) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p = r.outgoing(w, req, caller, req.PathValue("packageId")); p == nil || r.alreadySent(w, req, p) {
		return
	}
	if b := beforeSending(p); b != nil {
		p.refusal = b
		refuse(w, req, http.StatusBadRequest, b)
		return
	}
	// A package routed or refused brings receipts or a notice the router must keep: while other
	// packages fill the cap it stays unsent instead (see Limits.MaxPackages).
	if b := r.capacityBreach(p); b != nil {
		refuse(w, req, http.StatusServiceUnavailable, b)
		return
	}
	p.refusal = nil
	p.enter(StateSent, r.now())
	if r.refusalDue(caller.ID, StageRoute) {
		b := injectedFormatFault()
		p.refusal = b
		p.enter(StateRefused, r.now())
		r.notice(p, b)
	} else {
		r.process(p)
	}
	w.WriteHeader(http.StatusNoContent)
}

// beforeSending is what refuses a package before it is sent: a document or additional materials
// without a file (SMDO-SEND), a file without a signature (SMDO-SIGN).
func beforeSending(p *pkg) *rule.Breach {
	if (p.facts.msgType == 1 || p.facts.msgType == 2) && len(p.attachments) == 0 {
		kind := msg.F("a document (msg_type 1)")
		if p.facts.msgType == 2 {
			kind = msg.F("additional materials (msg_type 2)")
		}
		return breach("SMDO-SEND", "attachments", msg.F("at least one file attached to %s", kind), msg.F("no file attached"),
			msg.F("attach the files (POST …/attach), put their signatures, then send"))
	}
	for i, a := range p.attachments {
		if len(a.signs) == 0 {
			return breach("SMDO-SIGN", fmt.Sprintf("attachments[%d].sign", i),
				msg.F("every file signed before sending (PUT …/attach/{attachId}/signs)"),
				msg.F("the file %q (attachment %s) carries no signature: refused before sending", a.name, a.id),
				msg.F("sign the file and put its signature, then send"))
		}
	}
	return nil
}

// process checks a sent package's format and routes it, or refuses it with a notice to the sender
// (r.mu held).
func (r *Router) process(p *pkg) {
	if b := r.checkFormat(p); b != nil {
		p.refusal = b
		p.enter(StateRefused, r.now())
		r.notice(p, b)
		return
	}
	r.msgIDs.add(p.facts.msgID)
	r.route(p)
}
