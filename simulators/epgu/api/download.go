package api

import (
	"net/http"
	"strconv"
	"strings"
)

// download serves the result file at both paths: GET /api/storage/v2/files/{objectId}/{objectType}/
// download?mnemonic= (EPGU-4, v1.12) and GET /api/gusmev/files/download/{objectId}/{objectType}?
// mnemonic=&eserviceCode= (EPGU-1.13). objectId is the currentStatusHistoryId of the status that
// brought the result, objectType 3, mnemonic as in the order's link. Only result files are kept.
func (a *API) download(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorize(w, r)
	if !ok {
		return
	}
	v113 := strings.HasPrefix(r.URL.Path, "/api/gusmev/")
	q := r.URL.Query()
	mnemonic, service := q.Get("mnemonic"), q.Get("eserviceCode")
	objectID, err := strconv.ParseInt(r.PathValue("objectId"), 10, 64)
	if err != nil || mnemonic == "" || (v113 && service == "") {
		want := "objectId (a number) and mnemonic"
		if v113 {
			want += " and eserviceCode"
		}
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br(ruleOf(v113), "mnemonic", want,
			"objectId="+quoteOrNone(r.PathValue("objectId"))+" mnemonic="+quoteOrNone(mnemonic)+" eserviceCode="+quoteOrNone(service),
			"take them from the link terrabyte://…/{mnemonic}/{objectType} and currentStatusHistoryId"))
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	o := a.orders[a.results[objectID]]
	if o == nil || o.result == nil || !visibleID(o.statusesAt(now), objectID) {
		observed := "objectId " + itoa(objectID) + " is no result's status"
		if byOrder := a.orders[objectID]; byOrder != nil {
			observed = "objectId " + itoa(objectID) + " is an orderId; the result's currentStatusHistoryId is another number"
		}
		refuse(w, r, http.StatusNotFound, CodeNotFound, br(ruleOf(v113), "objectId", "the currentStatusHistoryId of a status with a result", observed,
			"read the order details and take currentStatusHistoryId once orderResponseFiles lists the result"))
		return
	}
	exchangeOf(r).OrderID = o.id
	res := o.result
	switch {
	case o.owner != ownerOf(tok):
		fail(w, r, http.StatusForbidden, CodeOrderAccess, "У пользователя нет прав для работы с текущим заявлением", nil)
	case r.PathValue("objectType") != strconv.Itoa(ObjectTypeResult):
		refuse(w, r, http.StatusNotFound, CodeNotFound, br(ruleOf(v113), "objectType", "3, the result file", quoteOrNone(r.PathValue("objectType")), "take objectType from the end of the link"))
	case mnemonic != res.name:
		refuse(w, r, http.StatusNotFound, CodeNotFound, br(ruleOf(v113), "mnemonic", quoteOrNone(res.name), quoteOrNone(mnemonic), "take the mnemonic from the link"))
	case v113 && service != o.meta.ServiceCode:
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-1.13", "eserviceCode", quoteOrNone(o.meta.ServiceCode), quoteOrNone(service), "send the order's serviceCode (eserviceId)"))
	default:
		w.Header().Set("Content-Type", res.mimeType)
		w.Header().Set("Content-Disposition", `attachment; filename="`+res.name+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(res.body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.body)
	}
}

func ruleOf(v113 bool) string {
	if v113 {
		return "EPGU-1.13"
	}
	return "EPGU-4"
}
