package api

import (
	"archive/zip"
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// File is one file of an order's archive.
type File struct {
	Name string
	Size int64
}

// submit processes an order's archive: the archive checker's verdict, the per-user order limit and
// the system's powers fix the processing timeline (EPGU-A1), and a DONE order gets the agency's
// scripted statuses. The archive itself is not kept: only its file list.
func (a *API) submit(o *order, archive []byte) {
	status, b, files := a.check(o.meta.ServiceCode, archive)
	outcome := outcomeOf(status)

	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	if lb := a.countOrder(o, now); lb != nil {
		outcome, b = ProcessingLimitationException, lb
	} else if outcome == ProcessingDone && slices.Contains(o.service.NoPowers, o.owner.clientID) {
		outcome, b = ProcessingCreateOrderForbidden, br("EPGU-1.13", "serviceCode",
			msg.F("a system with powers and settings for service %s", o.service.Code), msg.F("system %s has none", o.owner.clientID),
			msg.F("ask the service desk (#createorderforbidden) to set up the powers"))
	}
	o.phase, o.submitted, o.files, o.outcome, o.breach = phaseSubmitted, now, files, outcome, b
	// A checker that answers DONE rather than FILES_VERIFICATION_SUCCESS (or nothing) checked no
	// signatures: the order skips the FILES_VERIFICATION stages.
	o.proc = timeline(now, o.script.Processing, outcome, Processing(status) != ProcessingDone)
	o.smevTx = uuid.NewString()
	if outcome != ProcessingDone {
		return
	}
	o.messageID = uuid.NewString()
	at := o.proc[len(o.proc)-1].at
	for _, st := range o.script.Steps {
		at = at.Add(st.Delay)
		e := statusEvent{at: at, id: a.statusID(), step: st}
		o.statuses = append(o.statuses, e)
		if st.Result && o.result == nil {
			o.result = resultOf(o, e.id)
		}
		if o.result != nil { // the result's status and every later one download it (EPGU-T33)
			a.results[e.id] = o.id
		}
	}
}

// countOrder applies EPGU-A3's orders per service per user in a window. Over the limit the order's
// processing ends LIMITATION_EXCEPTION (EPGU-A1 names it a final processing status "по факту
// проверки ограничений на создание заявления"); the HTTP answer stays 200, unlike the request
// limits, which are answered 429 (EPGU-A4). Refused orders do not count.
func (a *API) countOrder(o *order, now time.Time) *rule.Breach {
	lim := a.limits
	if lim.OrdersPerUser <= 0 {
		return nil
	}
	key := o.meta.ServiceCode + "|" + o.owner.subject + "|" + o.owner.orgOID
	kept := a.submissions[key][:0]
	for _, t := range a.submissions[key] {
		if now.Sub(t) < lim.OrdersWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) >= lim.OrdersPerUser {
		a.submissions[key] = kept
		return br("EPGU-A3", "serviceCode", msg.F("at most %d orders of service %s per user in %s", lim.OrdersPerUser, o.meta.ServiceCode, lim.OrdersWindow),
			msg.F("order %d is number %d", o.id, len(kept)+1), msg.F("wait for the window to pass before ordering again"))
	}
	a.submissions[key] = append(kept, now)
	return nil
}

// check is the archive checker's verdict with the archive's entries: as the checker listed them
// when it is an ArchiveLister, else (or when it listed nothing) read from the zip's directory.
func (a *API) check(service string, archive []byte) (status string, b *rule.Breach, files []File) {
	switch c := a.archives.(type) {
	case nil:
	case ArchiveLister:
		status, b, files = c.CheckArchiveFiles(service, archive)
	default:
		status, b = c.CheckArchive(service, archive)
	}
	if files == nil {
		files = zipFiles(archive)
	}
	return status, b, files
}

// zipFiles lists an archive's entries; nil when it is not a zip (the checker judges that).
func zipFiles(archive []byte) []File {
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil
	}
	out := make([]File, 0, len(zr.File))
	for _, f := range zr.File {
		out = append(out, File{Name: f.Name, Size: int64(f.UncompressedSize64)})
	}
	return out
}

// resultOf is the agency's result: a zip holding one XML naming the order.
func resultOf(o *order, statusID int64) *resultFile {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("resp.xml")
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<result orderId=\"%d\" serviceCode=\"%s\">%s</result>\n",
		o.id, o.meta.ServiceCode, StatusTitle(StatusDone))
	_ = zw.Close()
	return &resultFile{statusID: statusID, name: fmt.Sprintf("resp_%d.zip", o.id), mimeType: "application/zip", body: buf.Bytes()}
}
