package router

import (
	"net/http"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// Stage is a step of the sending sequence a negative answer can be injected at (SMDO-HALT).
type Stage string

// The stages of the sending sequence (SMDO-SEND).
const (
	StageCreate Stage = "create"
	StageAttach Stage = "attach"
	StageSigns  Stage = "signs"
	StageSend   Stage = "send"
	// StageRoute is the router's own check after it accepted a package: the send is answered 204,
	// then the package is refused for a format fault with a ROUTER notice to the sender
	// (SMDO-NOTICE), as the real router does when its services find one.
	StageRoute Stage = "route"
)

type faultKey struct {
	subscriber string
	stage      Stage
}

// RefuseNext makes the router answer the next n calls of stage by subscriberID with a negative
// answer (400, an injected fault), leaving the package unchanged: the client's sending thread
// must stop there (SMDO-HALT). n <= 0 cancels.
func (r *Router) RefuseNext(subscriberID string, stage Stage, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := faultKey{subscriberID, stage}
	if n <= 0 {
		delete(r.refusals, k)
		return
	}
	r.refusals[k] = n
}

// refusedStage answers an injected negative answer when one is due for the caller at stage.
func (r *Router) refusedStage(w http.ResponseWriter, req *http.Request, caller *Subscriber, stage Stage) bool {
	r.mu.Lock()
	due := r.refusalDue(caller.ID, stage)
	b := breach("SMDO-HALT", string(stage), msg.F("the router accepts the %s call", string(stage)),
		msg.F("the router answered the %s call negatively (an injected fault of the scenario)", string(stage)),
		msg.F("stop the sending thread: send nothing more of this package until the fault is handled"))
	if due && stage == StageSend {
		if p := r.packages[req.PathValue("packageId")]; p != nil && p.from == caller.ID && !p.sent() {
			p.refusal = b
		}
	}
	r.mu.Unlock()
	if !due {
		return false
	}
	injected(req)
	refuse(w, req, http.StatusBadRequest, b)
	return true
}

// refusalDue takes one injected refusal of stage for the subscriber, when one is due (r.mu held).
func (r *Router) refusalDue(subscriberID string, stage Stage) bool {
	k := faultKey{subscriberID, stage}
	n := r.refusals[k]
	switch {
	case n == 0:
		return false
	case n == 1:
		delete(r.refusals, k)
	default:
		r.refusals[k] = n - 1
	}
	return true
}

// injectedFormatFault is the refusal of a package after its 204 that StageRoute injects.
func injectedFormatFault() *rule.Breach {
	return breach("SMDO-FORMAT", "body.envelop", msg.F("a package the router's format checks accept"),
		msg.F("a format fault the router found after accepting the package (an injected fault of the scenario)"),
		msg.F("correct the package and send the document again"))
}
