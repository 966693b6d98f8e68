package router

import (
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// The router's bounds on memory (Limits) never cost a package anyone still waits for: a routed
// package its receiver has not confirmed, an unsent one, a notice or receipt its receiver has not
// confirmed (SMDO-CONFIRM, SMDO-RECEIPT, SMDO-NOTICE). Only settled packages are dropped; when
// nothing is settled the router refuses new work instead, naming the limit and the fix.

// capacityFix is how a subscriber makes room in the router.
var capacityFix = msg.F("confirm the packages received (GET …/confirm/{confirmId} or POST …/confirm/batch) or delete unsent ones (DELETE …/package/{packageId}), then try again")

// capacityBreach refuses new work (create, send, Deliver) while the router holds MaxPackages
// unsettled packages other than sending, the package a send would take further (r.mu held).
// That one is not counted against its own send: sending is how an unsent package gets settled.
func (r *Router) capacityBreach(sending *pkg) *rule.Breach {
	n := r.unsettled()
	if sending != nil && !sending.settled() {
		n--
	}
	if n < r.limits.MaxPackages {
		return nil
	}
	return breach("SMDO-SEND", "package", msg.F("room in the router: at most %d unsettled packages (Limits.MaxPackages)", r.limits.MaxPackages),
		msg.F("%d packages unsettled (unsent, not confirmed by every receiver, or refused with the notice not confirmed)", n),
		capacityFix)
}

// unsentBreach refuses a new package of a subscriber holding MaxUnsent unsent ones, so that one
// subscriber's drafts cannot take the room of all (r.mu held).
func (r *Router) unsentBreach(sender string) *rule.Breach {
	n := 0
	for _, id := range r.order {
		if p := r.packages[id]; p.from == sender && !p.sent() {
			n++
		}
	}
	if n < r.limits.MaxUnsent {
		return nil
	}
	return breach("SMDO-SEND", "package", msg.F("at most %d unsent packages of a subscriber (Limits.MaxUnsent)", r.limits.MaxUnsent),
		msg.F("%d packages of subscriber %s created and not sent", n, sender),
		msg.F("send or delete (DELETE …/package/{packageId}) the unsent packages, then create again"))
}

// roomBreach refuses n more bytes of packages or files that do not fit MaxStoredBytes once the
// settled packages other than keep are dropped (r.mu held).
func (r *Router) roomBreach(field string, n int64, keep string) *rule.Breach {
	// A package that shrinks is never refused, even while the router's own packets hold it
	// beyond the bound.
	if n <= 0 || r.makeRoom(n, keep) {
		return nil
	}
	return breach("SMDO-SEND", field, msg.F("room in the router: at most %d bytes of packages and files (Limits.MaxStoredBytes)", r.limits.MaxStoredBytes),
		msg.F("%d bytes held, %d more sent", r.stored+r.reserved, n), capacityFix)
}

// unsettled counts the packages the caps may not drop (r.mu held).
func (r *Router) unsettled() int {
	n := 0
	for _, id := range r.order {
		if !r.packages[id].settled() {
			n++
		}
	}
	return n
}

// keep stores a package, dropping the oldest settled ones beyond MaxPackages (r.mu held). When
// none is settled the package is kept beyond the cap: only the router's own packets and the
// scripted subscribers' notices get here then, since create, send and Deliver are refused at the
// cap (capacityBreach), and those answer packages already taken.
func (r *Router) keep(p *pkg) {
	for len(r.order) >= r.limits.MaxPackages {
		id := r.oldestSettled()
		if id == "" {
			break
		}
		r.forget(id)
	}
	r.packages[p.id] = p
	r.order = append(r.order, p.id)
	r.stored += p.heldBytes()
}

// oldestSettled is the oldest settled package, or "".
func (r *Router) oldestSettled() string {
	for _, id := range r.order {
		if r.packages[id].settled() {
			return id
		}
	}
	return ""
}

// makeRoom drops the oldest settled packages (other than keep) until n more bytes fit
// MaxStoredBytes (r.mu held).
func (r *Router) makeRoom(n int64, keep string) bool {
	for r.stored+r.reserved+n > r.limits.MaxStoredBytes {
		dropped := false
		for _, id := range r.order {
			if p := r.packages[id]; id != keep && p.settled() && p.heldBytes() > 0 {
				r.forget(id)
				dropped = true
				break
			}
		}
		if !dropped {
			return false
		}
	}
	return true
}

// forget drops a package with its files and confirmation ids (r.mu held).
func (r *Router) forget(id string) {
	p := r.packages[id]
	if p == nil {
		return
	}
	delete(r.packages, id)
	for i, o := range r.order {
		if o == id {
			r.order = append(r.order[:i], r.order[i+1:]...)
			break
		}
	}
	for _, d := range p.deliveries {
		delete(r.confirms, d.confirmID)
	}
	r.stored -= p.heldBytes()
}
