package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// download serves the result file at both paths: GET /api/storage/v2/files/{objectId}/{objectType}/
// download?mnemonic= (EPGU-4, v1.12) and GET /api/gusmev/files/download/{objectId}/{objectType}?
// mnemonic=&eserviceCode= (EPGU-1.13).
//
// objectId is the order's currentStatusHistoryId (EPGU-T33): the status that brought the result or
// any later one. It is not the number inside the link terrabyte://00/{orderId}/{mnemonic}/
// {objectType}, which is the orderId, though clients reading the link take it (go-api-epgu does).
// objectType 3 is the result file; the simulator keeps only that: of the request's files (objectType
// 2) it keeps the names, not the bytes.
//
// Status codes: a malformed or wrong parameter is 400 bad_request (EPGU-A4 gives no 404 for
// parameters); an objectId that names no result is 404 not_found, the code EPGU-A4 gives a missing
// object, with the status of the cancel sample (EPGU-5.3), the only one the spec gives it.
func (a *API) download(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorize(w, r)
	if !ok {
		return
	}
	v113 := strings.HasPrefix(r.URL.Path, "/api/gusmev/")
	q := r.URL.Query()
	mnemonic, service := q.Get("mnemonic"), q.Get("eserviceCode")
	objectID, err := strconv.ParseInt(r.PathValue("objectId"), 10, 64)
	objectType := r.PathValue("objectType")
	switch {
	case err != nil:
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br(ruleOf(v113), "objectId", msg.F("the order's currentStatusHistoryId, a number"),
			quoteOrNone(r.PathValue("objectId")), msg.F("read the order details and send currentStatusHistoryId")))
		return
	case objectType == strconv.Itoa(ObjectTypeRequest):
		exchangeOf(r).Note = "objectType 2: the simulator keeps the request's file names, not their bytes"
		fail(w, r, http.StatusNotFound, CodeNotFound, "Файл не найден: the simulator keeps only result files (objectType 3); "+
			"the files of the request (objectType 2) are listed in orderAttachmentFiles but cannot be downloaded from it", nil)
		return
	case objectType != strconv.Itoa(ObjectTypeResult):
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br(ruleOf(v113), "objectType", msg.F("3, the result file (the last segment of its link)"),
			quoteOrNone(objectType), msg.F("take objectType from the end of the link terrabyte://…/{mnemonic}/{objectType}")))
		return
	case mnemonic == "":
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br(ruleOf(v113), "mnemonic", msg.F("the parameter mnemonic"), msg.F("none"),
			msg.F("take mnemonic from the link terrabyte://…/{mnemonic}/{objectType}")))
		return
	case v113 && service == "":
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-1.13", "eserviceCode", msg.F("the parameter eserviceCode (the order's serviceCode)"), msg.F("none"),
			msg.F("send eserviceCode with the order's serviceCode")))
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	o := a.orders[a.results[objectID]]
	if o == nil || !visibleID(o.statusesAt(now), objectID) {
		refuse(w, r, http.StatusNotFound, CodeNotFound, a.noResult(v113, objectID, tok, now))
		return
	}
	if _, ok := a.ownedOrder(w, r, tok, o.id, http.StatusNotFound); !ok {
		return
	}
	res := o.result
	switch {
	case mnemonic != res.name:
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br(ruleOf(v113), "mnemonic", quoteOrNone(res.name), quoteOrNone(mnemonic), msg.F("take the mnemonic from the link")))
	case v113 && service != o.meta.ServiceCode:
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-1.13", "eserviceCode", quoteOrNone(o.meta.ServiceCode), quoteOrNone(service), msg.F("send the order's serviceCode (eserviceId)")))
	default:
		w.Header().Set("Content-Type", res.mimeType)
		w.Header().Set("Content-Disposition", `attachment; filename="`+res.name+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(res.body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.body)
	}
}

// noResult is the breach of an objectId that names no visible status with a result, saying what to
// send instead. The caller's own order, named by its orderId, gets the exact number; anyone else's
// gets nothing of it. Called with a.mu held.
func (a *API) noResult(v113 bool, objectID int64, tok AccessToken, now time.Time) *rule.Breach {
	b := br(ruleOf(v113), "objectId", msg.F("the order's currentStatusHistoryId once orderResponseFiles lists the result (Table 33)"),
		msg.F("objectId %d is no status with a result", objectID),
		msg.F("read the order details and send currentStatusHistoryId as objectId once orderResponseFiles lists the result"))
	o := a.orders[objectID]
	if o == nil || o.owner != ownerOf(tok) {
		return b
	}
	b.Observed = msg.F("objectId %d is the orderId (the number inside the link terrabyte://00/{orderId}/{mnemonic}/{objectType}), not a currentStatusHistoryId", objectID)
	if visible := o.statusesAt(now); o.result != nil && visibleID(visible, o.result.statusID) {
		b.Fix = msg.F("send objectId %d, the order's currentStatusHistoryId", visible[len(visible)-1].id)
	} else {
		b.Fix = msg.F("order %d has no result yet: when orderResponseFiles lists one, send the order's currentStatusHistoryId as objectId", objectID)
	}
	return b
}

func ruleOf(v113 bool) string {
	if v113 {
		return "EPGU-1.13"
	}
	return "EPGU-4"
}
