package api

import (
	"sort"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
)

// OrderSnapshot is an order as the harness judges it, at the simulator's clock.
type OrderSnapshot struct {
	ID          int64
	ClientID    string
	Subject     string
	OrgOID      string
	Meta        Meta
	Created     time.Time
	Chunked     bool      // reserved by /order for /push/chunked
	Submitted   time.Time // when the archive was complete; zero while waiting for it
	Processing  Processing
	Breach      *rule.Breach // why the processing failed, if it did
	Files       []File       // the archive's entries
	StatusID    int          // the current user-facing status
	Statuses    []int        // the visible statuses, oldest first
	Result      string       // the result file's name once visible
	Uploading   bool         // a chunked push is in progress
	ChunksSeen  int
	ChunksTotal int
}

// Orders returns every order, by number.
func (a *API) Orders() []OrderSnapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	out := make([]OrderSnapshot, 0, len(a.orders))
	for _, o := range a.orders {
		out = append(out, snapshot(o, now))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Order returns one order.
func (a *API) Order(id int64) (OrderSnapshot, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := a.orders[id]
	if o == nil {
		return OrderSnapshot{}, false
	}
	return snapshot(o, a.clock.Now()), true
}

func snapshot(o *order, now time.Time) OrderSnapshot {
	code, _ := o.processingAt(now)
	s := OrderSnapshot{ID: o.id, ClientID: o.owner.clientID, Subject: o.owner.subject, OrgOID: o.owner.orgOID,
		Meta: o.meta, Created: o.created, Chunked: o.chunked, Submitted: o.submitted, Processing: code,
		Files: append([]File(nil), o.files...), StatusID: o.currentAt(now).step.Status}
	if code.Final() {
		s.Breach = o.breach.Clone()
	}
	visible := o.statusesAt(now)
	for _, e := range visible {
		s.Statuses = append(s.Statuses, e.step.Status)
	}
	if o.result != nil && visibleID(visible, o.result.statusID) {
		s.Result = o.result.name
	}
	if up := o.upload; up != nil {
		s.Uploading, s.ChunksSeen, s.ChunksTotal = true, len(up.parts), up.n
	}
	return s
}
