package api

import "time"

// makeRoom keeps the orders within Limits.MaxOrders before one more is added: the oldest final
// orders go first, in a batch of a hundredth of the cap so the scan is paid once per batch; when
// none is final, the oldest go, as few as needed. The simulator's own cap (the spec sets none): it
// bounds the memory of a long run. Called with a.mu held.
func (a *API) makeRoom(now time.Time) {
	limit := a.limits.MaxOrders
	if limit <= 0 || len(a.orders) < limit {
		return
	}
	batch := max(1, limit/100, len(a.orders)-limit+1)
	kept := a.created[:0]
	dropped := 0
	for _, id := range a.created {
		o := a.orders[id]
		if o != nil && dropped < batch && o.final(now) {
			a.dropOrder(o)
			dropped++
			continue
		}
		if o != nil {
			kept = append(kept, id)
		}
	}
	a.created = kept
	for len(a.orders) >= limit && len(a.created) > 0 {
		a.dropOrder(a.orders[a.created[0]])
		a.created = a.created[1:]
	}
}

// final says the order will change no more: its processing failed, so it never reaches the
// agency, or its user-facing status is final.
func (o *order) final(now time.Time) bool {
	if code, _ := o.processingAt(now); code.Final() && code != ProcessingDone {
		return true
	}
	return o.currentAt(now).step.final()
}

// dropOrder forgets an order with its upload and its result.
func (a *API) dropOrder(o *order) {
	a.dropUpload(o)
	for _, e := range o.statuses {
		delete(a.results, e.id)
	}
	delete(a.orders, o.id)
}
