package api

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
)

// The status feeds of EPGU-2.3: a page of {orderId, orderSearchStatus, status} entries.
type pageDoc struct {
	Count      int        `json:"count"`
	TotalCount int        `json:"totalCount"`
	Content    []entryDoc `json:"content"`
}

type entryDoc struct {
	OrderID           int64           `json:"orderId"`
	OrderSearchStatus string          `json:"orderSearchStatus"`
	Status            *entryStatusDoc `json:"status"`
}

type entryStatusDoc struct {
	StatusID   int    `json:"statusId"`
	StatusName string `json:"statusName"`
	Updated    string `json:"updated"`
}

// MaxPageSize is the simulator's cap on pageSize (the spec states none).
const MaxPageSize = 1000

// paging reads pageNum (0-based, as the EPGU-5.4 samples page from 0) and pageSize, both required.
func paging(r *http.Request, table string) (num, size int, b *rule.Breach) {
	q := r.URL.Query()
	num, err1 := strconv.Atoi(q.Get("pageNum"))
	size, err2 := strconv.Atoi(q.Get("pageSize"))
	if err1 != nil || err2 != nil || num < 0 || size < 1 || size > MaxPageSize {
		return 0, 0, br(table, "pageNum", msg.F("pageNum ≥ 0 and pageSize 1..%d", MaxPageSize),
			msg.F("pageNum=%s pageSize=%s", quoteOrNone(q.Get("pageNum")), quoteOrNone(q.Get("pageSize"))), msg.F("send both paging parameters"))
	}
	return num, size, nil
}

// page is page num (0-based) of size entries; a page past the end is empty. The bounds are checked
// by division before anything is multiplied: pageNum and pageSize are the client's, and
// 3074457345618258603×3 overflows.
func page[T any](all []T, num, size int) []T {
	if num < 0 || size < 1 || len(all) == 0 || num > (len(all)-1)/size {
		return []T{}
	}
	from := num * size // ≤ len(all)-1 by the check above
	end := len(all)
	if size < end-from {
		end = from + size
	}
	return all[from:end]
}

func found(o *order, now time.Time) entryDoc {
	cur := o.currentAt(now)
	return entryDoc{OrderID: o.id, OrderSearchStatus: "FOUND",
		Status: &entryStatusDoc{StatusID: cur.step.Status, StatusName: cur.step.title(), Updated: stampTime(cur.at)}}
}

// updatedAfter is GET /api/gusmev/order/getUpdatedAfter (EPGU-2.3.2): the orders of the calling
// system whose status changed after updatedAfter, latest first as in the EPGU-5.4 sample.
func (a *API) updatedAfter(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorize(w, r)
	if !ok {
		return
	}
	num, size, b := paging(r, "EPGU-T22")
	if b != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, b)
		return
	}
	raw := r.URL.Query().Get("updatedAfter")
	after, err := time.ParseInLocation(stamp, raw, moscow)
	if err != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-2.3.2", "updatedAfter", msg.Raw("YYYY-MM-DD'T'HH:mm:ss.SSS"), quoteOrNone(raw), msg.F("send the time as 2022-12-10T12:31:42.000")))
		return
	}
	all, at := a.changedAfter(tok.ClientID, after)
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool {
		if !at[idx[i]].Equal(at[idx[j]]) {
			return at[idx[i]].After(at[idx[j]])
		}
		return all[idx[i]].OrderID > all[idx[j]].OrderID
	})
	sorted := make([]entryDoc, len(all))
	for i, k := range idx {
		sorted[i] = all[k]
	}
	content := page(sorted, num, size)
	server.WriteJSON(w, http.StatusOK, pageDoc{Count: len(content), TotalCount: len(sorted), Content: content})
}

// ordersStatus is GET /api/gusmev/order/getOrdersStatus (EPGU-2.3.1): the given orders in the
// given order, NOT_FOUND for those unknown or not the calling system's.
func (a *API) ordersStatus(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorize(w, r)
	if !ok {
		return
	}
	num, size, b := paging(r, "EPGU-T19")
	if b != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, b)
		return
	}
	var ids []int64
	for _, v := range r.URL.Query()["orderIds"] { // "1,2,3" as in the EPGU-5.4 sample, or repeated
		for _, s := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T19", "orderIds", msg.F("order numbers separated by commas"), quoteOrNone(v), msg.F("send orderIds=1,2,3")))
				return
			}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T19", "orderIds", msg.F("at least one order number"), msg.F("none"), msg.F("send orderIds=1,2,3")))
		return
	}
	all := a.statusesOf(tok.ClientID, ids)
	content := page(all, num, size)
	server.WriteJSON(w, http.StatusOK, pageDoc{Count: len(content), TotalCount: len(all), Content: content})
}

// changedAfter are the entries of the system's orders whose current status was set after after,
// with the times they were set.
func (a *API) changedAfter(clientID string, after time.Time) (all []entryDoc, at []time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	for _, o := range a.orders {
		if o.owner.clientID != clientID {
			continue
		}
		if cur := o.currentAt(now); cur.at.After(after) {
			all, at = append(all, found(o, now)), append(at, cur.at)
		}
	}
	return all, at
}

// statusesOf are the entries of the given orders, NOT_FOUND for those unknown or another system's.
func (a *API) statusesOf(clientID string, ids []int64) []entryDoc {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	all := make([]entryDoc, 0, len(ids))
	for _, id := range ids {
		if o := a.orders[id]; o != nil && o.owner.clientID == clientID {
			all = append(all, found(o, now))
		} else {
			all = append(all, entryDoc{OrderID: id, OrderSearchStatus: "NOT_FOUND"})
		}
	}
	return all
}
