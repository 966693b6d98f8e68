package api

import (
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/server"
)

type orderIDDoc struct {
	OrderID int64 `json:"orderId"`
}

// createOrder is POST /api/gusmev/order: it reserves an order number for a later chunked push
// (EPGU-2.1.2).
func (a *API) createOrder(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorize(w, r)
	if !ok {
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T5", "Content-Type", msg.Raw("application/json"),
			quoteOrNone(r.Header.Get("Content-Type")), msg.F("send the metadata as application/json")))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, fieldLimit))
	if err != nil {
		fail(w, r, http.StatusBadRequest, CodeBadRequest, "Ошибка чтения тела запроса: "+err.Error(), nil)
		return
	}
	m, b := parseMeta(body, "EPGU-T6")
	if b != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, b)
		return
	}
	s, ok := a.serviceFor(w, r, tok, m)
	if !ok {
		return
	}
	o := a.newOrder(tok, m, s, true)
	exchangeOf(r).OrderID = o.id
	server.WriteJSON(w, http.StatusOK, orderIDDoc{o.id})
}

// push is POST /api/gusmev/push: the order and its whole archive at once (EPGU-2.1.4).
func (a *API) push(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorize(w, r)
	if !ok {
		return
	}
	held := reservation(r, a.limits.MaxPushBytes)
	if !a.reserveUpload(w, r, held) {
		return
	}
	defer func() { a.uploading.give(held) }() // the archive is held until it is checked
	f, err := readForm(w, r, a.limits.MaxPushBytes)
	if err == nil {
		a.uploading.give(held - int64(len(f.file)))
		held = int64(len(f.file))
	}
	if err != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T13", "Content-Type", msg.F("a multipart/form-data body"), msg.Of(err), msg.F("send meta and file as multipart/form-data")))
		return
	}
	rec := exchangeOf(r)
	rec.ChunkBytes = int64(len(f.file))
	metaRaw, hasMeta := f.fields["meta"]
	switch {
	case !hasMeta:
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T14", "meta", msg.F("the part meta"), msg.F("no part meta"), msg.F("send the order metadata in the part meta")))
		return
	case !jsonPart(f.metaType):
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T14", "meta", msg.F("the part meta as application/json"), msg.F("Content-Type %s", f.metaType), msg.F("send meta as application/json")))
		return
	case !f.hasFile:
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T14", "file", msg.F("the part file with the zip archive"), msg.F("no part file"), msg.F("send the archive in the part file")))
		return
	case f.tooLarge:
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-2.1.4", "file", msg.F("an archive of at most %d bytes", a.limits.MaxPushBytes),
			msg.F("more than %d bytes", a.limits.MaxPushBytes), msg.F("send a larger archive by /order and /push/chunked")))
		return
	case len(f.file) == 0:
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T14", "file", msg.F("the zip archive"), msg.F("an empty part file"), msg.F("send the archive")))
		return
	}
	m, b := parseMeta([]byte(metaRaw), "EPGU-T14")
	if b != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, b)
		return
	}
	s, ok := a.serviceFor(w, r, tok, m)
	if !ok {
		return
	}
	if len(f.unknown) > 0 || f.fields["orderId"] != "" {
		rec.Note = "ignored parts not defined for /push (Table 14): " + strings.Join(append(f.unknown, presentOf(f.fields, "orderId", "chunk", "chunks")...), ", ")
	}
	o := a.newOrder(tok, m, s, false)
	rec.OrderID = o.id
	a.submit(o, f.file)
	server.WriteJSON(w, http.StatusOK, orderIDDoc{o.id})
}

// jsonPart accepts a meta part typed application/json, or untyped as a plain form field.
func jsonPart(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/json"
}

func presentOf(fields map[string]string, names ...string) []string {
	var out []string
	for _, n := range names {
		if _, ok := fields[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// quoteOrNone is a value the client sent, quoted, or "none".
func quoteOrNone(s string) msg.Text {
	if s == "" {
		return msg.F("none")
	}
	return msg.Raw(`"` + s + `"`)
}

// newOrder registers an order with its draft status. reserved orders wait for a chunked push.
func (a *API) newOrder(tok AccessToken, m Meta, s Service, reserved bool) *order {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	a.nextOrder++
	o := &order{id: a.nextOrder, owner: ownerOf(tok), meta: m, service: s, script: a.script, created: now, chunked: reserved}
	if s.Script != nil {
		o.script = *s.Script
	}
	if !reserved {
		o.phase = phaseAssembling
	}
	o.statuses = []statusEvent{{at: now, id: a.statusID(), step: Step{Status: StatusDraft}}}
	a.makeRoom(now)
	a.orders[o.id] = o
	a.created = append(a.created, o.id)
	return o
}

func (a *API) statusID() int64 {
	a.nextStatus++
	return a.nextStatus
}
