package router

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
)

// The outgoing package API (SMDO-SEND): create, update, get and delete a package the caller sends.

// create takes a new package: POST …/package with the package JSON, answered with the package and
// its packageId, confirmId and headerId, in state draft. Its format is checked once it is sent.
func (r *Router) create(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	if r.refusedStage(w, req, caller, StageCreate) {
		return
	}
	raw, status, b := readJSON(w, req, r.limits.MaxBodyBytes, "SMDO-SEND")
	if b != nil {
		refuse(w, req, status, b)
		return
	}
	in, b := decodePackage(raw, false)
	if b != nil {
		refuse(w, req, http.StatusBadRequest, b)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if status, b := r.creationBreach(caller, in); b != nil {
		refuse(w, req, status, b)
		return
	}
	p := r.newPackage(caller.ID, in)
	recordOf(req).PackageID = p.id
	server.WriteJSON(w, http.StatusOK, r.answerOf(p))
}

// creationBreach refuses a new package the router has no room for (r.mu held): beyond the
// caller's unsent packages (429), while MaxPackages are unsettled (503), or when its JSON does not
// fit MaxStoredBytes (413). Nothing accepted is dropped to make room (see Limits.MaxPackages).
func (r *Router) creationBreach(caller *Subscriber, in packageIn) (int, *rule.Breach) {
	if b := r.unsentBreach(caller.ID); b != nil {
		return http.StatusTooManyRequests, b
	}
	if b := r.capacityBreach(nil); b != nil {
		return http.StatusServiceUnavailable, b
	}
	if b := r.roomBreach("request body", in.jsonBytes(), ""); b != nil {
		return http.StatusRequestEntityTooLarge, b
	}
	return 0, nil
}

// newPackage keeps a new draft package of sender (r.mu held).
func (r *Router) newPackage(sender string, in packageIn) *pkg {
	p := &pkg{id: uuid.NewString(), confirmID: uuid.NewString(), headerID: uuid.NewString(), from: sender}
	p.fill(in)
	p.enter(StateDraft, r.now())
	r.keep(p)
	return p
}

// refill replaces a kept package's JSON, counting its bytes (r.mu held).
func (r *Router) refill(p *pkg, in packageIn) {
	r.stored -= p.jsonBytes()
	p.fill(in)
	r.stored += p.jsonBytes()
}

// fill takes what the client sent of a package.
func (p *pkg) fill(in packageIn) {
	p.parentID, p.dateSent, p.to, p.toRaw, p.body = in.parentID, in.dateSent, in.to, in.toRaw, in.body
	p.facts = factsOf(in.body)
}

// update replaces an unsent package's JSON: PUT …/package with the whole package as GET answers it
// (its packageId names it; its attachments and state are the router's and are not taken).
func (r *Router) update(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	raw, status, b := readJSON(w, req, r.limits.MaxBodyBytes, "SMDO-SEND")
	if b != nil {
		refuse(w, req, status, b)
		return
	}
	in, b := decodePackage(raw, true)
	if b != nil {
		refuse(w, req, http.StatusBadRequest, b)
		return
	}
	recordOf(req).PackageID = in.packageID
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.outgoing(w, req, caller, in.packageID)
	if p == nil || r.alreadySent(w, req, p) {
		return
	}
	if b := r.roomBreach("request body", in.jsonBytes()-p.jsonBytes(), p.id); b != nil {
		refuse(w, req, http.StatusRequestEntityTooLarge, b)
		return
	}
	r.refill(p, in)
	server.WriteJSON(w, http.StatusOK, r.answerOf(p))
}

// get answers one of the caller's packages: GET …/package/{packageId}.
func (r *Router) get(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.outgoing(w, req, caller, req.PathValue("packageId")); p != nil {
		server.WriteJSON(w, http.StatusOK, r.answerOf(p))
	}
}

// remove deletes an unsent package: DELETE …/package/{packageId} → 204.
func (r *Router) remove(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.outgoing(w, req, caller, req.PathValue("packageId"))
	if p == nil || r.alreadySent(w, req, p) {
		return
	}
	r.forget(p.id)
	w.WriteHeader(http.StatusNoContent)
}

// outgoing is the caller's own package id, or answers 404 (r.mu held). Another subscriber's
// package is not found either: its existence is not the caller's business.
func (r *Router) outgoing(w http.ResponseWriter, req *http.Request, caller *Subscriber, id string) *pkg {
	p := r.packages[id]
	if p == nil || p.from != caller.ID {
		refuse(w, req, http.StatusNotFound, breach("SMDO-SEND", "packageId", msg.F("the packageId of a package the caller created"),
			msg.F("%s, unknown to the router", quoteOrNone(id)), msg.F("use the packageId the create call answered")))
		return nil
	}
	return p
}

// alreadySent answers 409 for a package that left the sender's hands (r.mu held).
func (r *Router) alreadySent(w http.ResponseWriter, req *http.Request, p *pkg) bool {
	if !p.sent() {
		return false
	}
	refuse(w, req, http.StatusConflict, breach("SMDO-SEND", "packageId", msg.F("a package not sent yet"),
		msg.F("package %s in state %s", p.id, p.state), msg.F("create a new package; a sent one cannot change")))
	return true
}
