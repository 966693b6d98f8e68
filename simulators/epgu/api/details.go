package api

import (
	"net/http"
	"strconv"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
)

// pathOrderID is the {orderId} of the path (EPGU-T25), or a 400 answered.
func pathOrderID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("orderId"), 10, 64)
	if err != nil || id <= 0 {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T25", "orderId", msg.F("an order number"), quoteOrNone(r.PathValue("orderId")), msg.F("put the orderId from /order or /push in the path")))
		return 0, false
	}
	return id, true
}

// ownedOrder finds order id for the caller: the one check of the details, the chunked push, cancel
// and the download. A missing order is answered notFound (204 without a body per EPGU-A4 for the
// details and the chunked push, 404 for cancel per the EPGU-5.3 sample), another user's 403
// order_access with its breach (EPGU-A4). Called with a.mu held.
func (a *API) ownedOrder(w http.ResponseWriter, r *http.Request, tok AccessToken, id int64, notFound int) (*order, bool) {
	exchangeOf(r).OrderID = id
	o := a.orders[id]
	switch {
	case o == nil:
		fail(w, r, notFound, CodeNotFound, "Заявление "+itoa(id)+" не найдено", nil)
		return nil, false
	case o.owner != ownerOf(tok):
		refuse(w, r, http.StatusForbidden, CodeOrderAccess, &rule.Breach{Rule: "EPGU-A4", Field: msg.Raw("orderId"),
			Expected: msg.F("an order created with a token of the same system and user"),
			Observed: msg.F("order %d belongs to another system or user", id),
			Fix:      msg.F("use the token of the order's applicant")})
		return nil, false
	}
	return o, true
}

// details is POST /api/gusmev/order/{orderId} (EPGU-2.4): the processing status in code and the
// order as an escaped JSON string.
func (a *API) details(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorize(w, r)
	if !ok {
		return
	}
	id, ok := pathOrderID(w, r)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.ownedOrder(w, r, tok, id, http.StatusNoContent)
	if !ok {
		return
	}
	now := a.clock.Now()
	code, _ := o.processingAt(now)
	msg := code.message()
	if code.Final() && code != ProcessingDone && o.breach != nil {
		msg = o.breach.Error()
	}
	doc := detailsDoc{Code: code, Message: &msg, Order: a.orderJSON(o, now)}
	if code == ProcessingDone && o.messageID != "" {
		doc.MessageID, doc.MessageID2 = &o.messageID, &o.messageID
	}
	server.WriteJSON(w, http.StatusOK, doc)
}

// cancel is POST /api/gusmev/order/{orderId}/cancel (EPGU-2.2): allowed only while the current
// status has cancelAllowed, else 405 cancel_not_allowed (EPGU-5.3, EPGU-A4).
func (a *API) cancel(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorize(w, r)
	if !ok {
		return
	}
	if reason := r.URL.Query().Get("reason"); reason != "" {
		exchangeOf(r).Note = "parameter reason is not in the spec (go-api-epgu saw the portal ask for it); ignored"
	}
	id, ok := pathOrderID(w, r)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.ownedOrder(w, r, tok, id, http.StatusNotFound)
	if !ok {
		return
	}
	now := a.clock.Now()
	cur := o.currentAt(now)
	if !cur.step.CancelAllowed {
		refuse(w, r, http.StatusMethodNotAllowed, CodeCancelNotAllowed, &rule.Breach{Rule: "EPGU-2.2", Field: msg.Raw("cancelAllowed"),
			Expected: msg.F("cancel only while currentStatusHistory.cancelAllowed is true"),
			Observed: msg.F("status %d «%s» with cancelAllowed false", cur.step.Status, cur.step.title()),
			Fix:      msg.F("read the order details and cancel only when cancelAllowed is true")})
		return
	}
	step := o.script.Cancelled
	if step.Status == StatusDraft && step.Title == "" {
		step = Step{Status: StatusCancelled}
	}
	visible := o.statusesAt(now)
	for _, e := range o.statuses[len(visible):] { // the agency's statuses to come are cancelled
		delete(a.results, e.id)
	}
	cancelled := statusEvent{at: now, id: a.statusID(), step: step}
	o.statuses = append(visible[:len(visible):len(visible)], cancelled)
	switch {
	case o.result != nil && !visibleID(o.statuses, o.result.statusID):
		o.result = nil
	case o.result != nil:
		a.results[cancelled.id] = o.id
	}
	w.WriteHeader(http.StatusOK)
}
