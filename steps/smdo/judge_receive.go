package smdo

import (
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/simulators/smdo/router"
)

func (w *World) registerReceiverJudgements(sc *godog.ScenarioContext) {
	sc.Step(`^the system under test downloaded every file of the counterpart's documents$`, w.downloadedFiles)
	sc.Step(`^the system under test confirmed every package it was offered, and none stayed listed$`, w.confirmedAll)
	sc.Step(`^the system under test answered the document with a delivery notice and then a registration notice$`, w.answeredRegistered)
	sc.Step(`^the system under test answered the document with a delivery notice and then a registration notice refusing it$`, w.answeredRefused)
	sc.Step(`^the system under test asked for new packages at least twice, never sooner than 5 minutes after the previous time$`, w.pollPeriod)
}

// downloadedFiles: the receiving thread downloaded every file of each document it was sent
// (SMDO-CONFIRM: a document is taken with its files before it is confirmed).
func (w *World) downloadedFiles() error {
	var missing []msg.Text
	var files int
	for _, orig := range w.delivered {
		p, _ := w.contour.Router.Package(orig.ID)
		d, _ := delivery(p, w.sut.ID)
		for _, a := range p.Attachments {
			files++
			at, ok := d.Downloaded[a.ID]
			switch {
			case !ok:
				missing = append(missing, msg.F("%s of package %s never downloaded", a.Name, p.ID))
			case !d.Confirmed.IsZero() && d.Confirmed.Before(at):
				missing = append(missing, msg.F("%s of package %s downloaded only after the package was confirmed", a.Name, p.ID))
			}
		}
	}
	w.packages() // the evidence
	return w.evidence.Check("SMDO-CONFIRM", msg.F("every file of every document downloaded before the package is confirmed"),
		msg.F("%d files; missing: %s%s", files, list(missing), w.reported()), files > 0 && len(missing) == 0)
}

// confirmedAll: every package in the system's incoming list was confirmed; one that is not stays
// listed and is offered again (SMDO-CONFIRM).
func (w *World) confirmedAll() error {
	var offered int
	var bad []msg.Text
	for _, p := range w.packages() {
		d, ok := delivery(p, w.sut.ID)
		if !ok {
			continue
		}
		offered++
		if d.Confirmed.IsZero() {
			bad = append(bad, msg.F("package %s offered %d times, never confirmed", p.ID, len(d.Offered)))
		}
	}
	return w.evidence.Check("SMDO-CONFIRM", msg.F("every package offered to the system confirmed, so that none stays listed"),
		msg.F("%d packages for the system; unconfirmed: %s%s", offered, list(bad), w.reported()), offered > 0 && len(bad) == 0)
}

func (w *World) answeredRegistered() error { return w.answeredWithNotices(router.Registered) }
func (w *World) answeredRefused() error    { return w.answeredWithNotices(router.RegistrationRefused) }

// answeredWithNotices: a document asking for acknowledgement (msg_acknow 2) answered with a
// delivery notice (ack_type 1) and then a registration notice (ack_type 2) whose errorcode is the
// one the system was asked to register with (0 registered, 2 refused), each naming its msg_id with
// the document's package as parentId, sent and routed (SMDO-ACK).
func (w *World) answeredWithNotices(errorCode int) error {
	reqs := w.requests()
	pkgs := w.packages()
	var bad, seen []msg.Text
	judged := 0
	for _, orig := range w.delivered {
		if orig.MsgAcknow != 2 {
			continue
		}
		judged++
		var delivered, registered time.Time
		for _, p := range pkgs {
			ack := parse(p).Envelop.Body.Acknowledgement
			if p.From != w.sut.ID || ack == nil {
				continue
			}
			sentAt, sent := sentPackage(reqs, p.ID)
			code := -1
			if len(ack.AckResult) > 0 {
				code = ack.AckResult[0].ErrorCode
			}
			seen = append(seen, msg.F("package %s: ack_type %d errorcode %d for msg_id %s, parentId %q, sent %v, %s", p.ID, ack.AckType, code, ack.MsgID, p.ParentID, sent, p.State))
			if ack.MsgID != orig.MsgID || p.ParentID != orig.ID || !sent || !settledState(p) || ack.AckType == 2 && code != errorCode {
				continue
			}
			switch ack.AckType {
			case 1:
				delivered = sentAt
			case 2:
				registered = sentAt
			}
		}
		switch {
		case delivered.IsZero():
			bad = append(bad, msg.F("no delivery notice routed for package %s (msg_id %s)", orig.ID, orig.MsgID))
		case registered.IsZero():
			bad = append(bad, msg.F("no registration notice with errorcode %d routed for package %s (msg_id %s)", errorCode, orig.ID, orig.MsgID))
		case registered.Before(delivered):
			bad = append(bad, msg.F("the registration notice for package %s came before the delivery notice", orig.ID))
		}
	}
	return w.evidence.Check("SMDO-ACK", msg.F("for each document asking for acknowledgement a delivery notice, then a registration notice with errorcode %d, with its msg_id and parentId, sent and routed", errorCode),
		msg.F("%d documents asking for acknowledgement; notices: %s; missing: %s%s", judged, list(seen), list(bad), w.reported()), judged > 0 && len(bad) == 0)
}

// pollPeriod: the receiving thread asked for new packages at least twice in the window, each pass
// no sooner than the period after the previous one (SMDO-POLL). A pass is the list calls it makes
// back to back (the pages, or the first page again until it is empty, as the walkthrough's thread
// works until the list is taken): calls less than a twentieth of the period apart. A tenth of the
// period is allowed for the thread's own work and timers.
func (w *World) pollPeriod() error {
	t := w.suite.timing
	var passes []time.Time
	var last time.Time
	for _, r := range w.requests() {
		if r.Op != "list" {
			continue
		}
		if last.IsZero() || r.At.Sub(last) >= t.Poll/20 {
			passes = append(passes, r.At)
		}
		last = r.At
	}
	var gaps []string
	shortest := time.Duration(-1)
	for i := 1; i < len(passes); i++ {
		gap := passes[i].Sub(passes[i-1])
		gaps = append(gaps, gap.Round(time.Millisecond).String())
		if shortest < 0 || gap < shortest {
			shortest = gap
		}
	}
	least := t.Poll - t.Poll/10
	return w.evidence.Check("SMDO-POLL", msg.F("at least 2 passes over the new packages, at least %s apart%s", least, t.note()),
		msg.F("%d passes, %v apart%s", len(passes), gaps, w.reported()), len(passes) >= 2 && shortest >= least)
}
