package router

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
)

// The incoming package API (SMDO-POLL, SMDO-CONFIRM): list, download, confirm.

// maxPageSize is the largest page of the incoming list.
const maxPageSize = 100

// list answers a page of the caller's incoming list: POST …/package {page, size, onlyNew}. page
// counts from 0, size is 1..100 (default 100), onlyNew lists the unconfirmed packages only. An
// unconfirmed package stays listed and each list that returns it is recorded (SMDO-CONFIRM).
func (r *Router) list(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	raw, status, b := readJSONOr(w, req, r.limits.MaxBodyBytes, "SMDO-POLL", []byte("{}"))
	if b != nil {
		refuse(w, req, status, b)
		return
	}
	var q struct {
		Page    *int64 `json:"page"`
		Size    *int64 `json:"size"`
		OnlyNew *bool  `json:"onlyNew"`
	}
	if err := json.Unmarshal(raw, &q); err != nil {
		field := typeErrorField(err)
		if field == "" {
			field = "request body"
		}
		refuse(w, req, http.StatusBadRequest, breach("SMDO-POLL", field, msg.Raw(`{"page": 0, "size": 100, "onlyNew": true}`),
			msg.Of(err), msg.F("send page and size as whole numbers and onlyNew as a boolean")))
		return
	}
	page, size := int64(0), int64(maxPageSize)
	if q.Page != nil {
		page = *q.Page
	}
	if q.Size != nil {
		size = *q.Size
	}
	if page < 0 {
		refuse(w, req, http.StatusBadRequest, breach("SMDO-POLL", "page", msg.F("a page number from 0"), msg.Raw(strconv.FormatInt(page, 10)), msg.F("ask for page 0 first")))
		return
	}
	if size < 1 || size > maxPageSize {
		refuse(w, req, http.StatusBadRequest, breach("SMDO-POLL", "size", msg.F("a page size of 1 to %d", maxPageSize),
			msg.Raw(strconv.FormatInt(size, 10)), msg.F("ask for pages of at most 100")))
		return
	}
	onlyNew := q.OnlyNew != nil && *q.OnlyNew

	r.mu.Lock()
	defer r.mu.Unlock()
	all := r.incomingFor(caller.ID, onlyNew)
	recordOf(req).Page = int(min(page, 1<<31-1))
	ans := listAnswer{Content: []incomingJSON{}, Page: int(min(page, 1<<31-1)), Size: int(size), TotalElements: len(all)}
	// page is clamped before it is multiplied: a page past the end is an empty page.
	if page < int64(len(all)) && page*size < int64(len(all)) {
		from := int(page * size)
		to := min(from+int(size), len(all))
		now := r.now()
		rec := recordOf(req)
		for _, d := range all[from:to] {
			ans.Content = append(ans.Content, r.incomingOf(d))
			d.offer(now, r.limits.MaxOffers)
			rec.Listed = append(rec.Listed, d.pkg.id)
		}
		ans.HasNext = to < len(all)
	}
	server.WriteJSON(w, http.StatusOK, ans)
}

// incomingFor is subscriber id's deliveries in the order they were routed (r.mu held).
func (r *Router) incomingFor(id string, onlyNew bool) []*delivery {
	var out []*delivery
	for _, pid := range r.order {
		p := r.packages[pid]
		if !p.delivering() {
			continue
		}
		if d := p.deliveryTo(id); d != nil && (!onlyNew || d.confirmed.IsZero()) {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].pkg.routedSeq < out[j].pkg.routedSeq })
	return out
}

// offer records a list returning the delivery, keeping the newest limit times.
func (d *delivery) offer(at time.Time, limit int) {
	d.offers++
	d.offered = append(d.offered, at)
	if len(d.offered) > limit {
		d.offered = append(d.offered[:0], d.offered[len(d.offered)-limit:]...)
	}
}

// download answers a file of a package in the caller's incoming list:
// GET …/package/{packageId}/attach/{attachId} → the bytes (application/octet-stream).
func (r *Router) download(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	r.mu.Lock()
	id, attachID := req.PathValue("packageId"), req.PathValue("attachId")
	p := r.packages[id]
	var d *delivery
	if p != nil && p.delivering() {
		d = p.deliveryTo(caller.ID)
	}
	if d == nil {
		r.mu.Unlock()
		refuse(w, req, http.StatusNotFound, breach("SMDO-CONFIRM", "packageId", msg.F("the id of a package in the caller's incoming list"),
			quoteOrNone(id), msg.F("take the id from the incoming list")))
		return
	}
	a := p.attachment(attachID)
	if a == nil {
		r.mu.Unlock()
		refuse(w, req, http.StatusNotFound, breach("SMDO-CONFIRM", "attachId", msg.F("the id of one of the package's attachments"),
			quoteOrNone(attachID), msg.F("take the id from the package's attachments")))
		return
	}
	if _, seen := d.downloaded[a.id]; !seen {
		d.downloaded[a.id] = r.now()
	}
	data, name := a.data, a.name
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// confirm confirms the receipt of one package: GET …/package/confirm/{confirmId} → 204.
func (r *Router) confirm(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	id := req.PathValue("confirmId")
	recordOf(req).ConfirmIDs = []string{rule.Cut(id, 128)}
	r.mu.Lock()
	defer r.mu.Unlock()
	d, b := r.confirmable(caller, id, "confirmId")
	if b != nil {
		refuse(w, req, http.StatusNotFound, b)
		return
	}
	recordOf(req).PackageID = d.pkg.id
	r.confirmDelivery(d)
	w.WriteHeader(http.StatusNoContent)
}

// maxBatch bounds the ids of one batch confirmation.
const maxBatch = 1000

// confirmBatch confirms several packages: POST …/package/confirm/batch {"ids": [confirmId, …]} →
// 204. One unknown id refuses the whole batch (404), so none is confirmed by halves.
func (r *Router) confirmBatch(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	raw, status, b := readJSON(w, req, r.limits.MaxBodyBytes, "SMDO-CONFIRM")
	if b != nil {
		refuse(w, req, status, b)
		return
	}
	var q struct {
		IDs []string `json:"ids"`
	}
	if err := json.Unmarshal(raw, &q); err != nil {
		field := typeErrorField(err)
		if field == "" {
			field = "request body"
		}
		refuse(w, req, http.StatusBadRequest, breach("SMDO-CONFIRM", field, msg.Raw(`{"ids": ["<confirmId>", …]}`), msg.Of(err),
			msg.F("send the confirmIds as an array of text")))
		return
	}
	if len(q.IDs) == 0 || len(q.IDs) > maxBatch {
		refuse(w, req, http.StatusBadRequest, breach("SMDO-CONFIRM", "ids", msg.F("1 to %d confirmIds", maxBatch),
			msg.F("%d ids", len(q.IDs)), msg.F("send the confirmIds of the packages taken")))
		return
	}
	recordOf(req).ConfirmIDs = q.IDs
	r.mu.Lock()
	defer r.mu.Unlock()
	ds := make([]*delivery, 0, len(q.IDs))
	for i, id := range q.IDs {
		d, b := r.confirmable(caller, id, fmt.Sprintf("ids[%d]", i))
		if b != nil {
			refuse(w, req, http.StatusNotFound, b)
			return
		}
		ds = append(ds, d)
	}
	for _, d := range ds {
		r.confirmDelivery(d)
	}
	w.WriteHeader(http.StatusNoContent)
}

// confirmable is the caller's delivery a confirmId names (r.mu held).
func (r *Router) confirmable(caller *Subscriber, id, field string) (*delivery, *rule.Breach) {
	d := r.confirms[id]
	if d == nil || d.to != caller.ID {
		return nil, breach("SMDO-CONFIRM", field, msg.F("the confirmId of a package in the caller's incoming list"), quoteOrNone(id),
			msg.F("confirm with the confirmId the incoming list gave"))
	}
	return d, nil
}
