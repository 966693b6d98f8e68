package gospochta

import (
	"net/http"
	"slices"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/gospochta/geps"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// The reader's judgements read what the reading API answered (geps.Service.Requests) and what it
// recorded as delivered; each scenario's contour has only the system under test as a client.
func (w *World) registerReaderJudgements(sc *godog.ScenarioContext) {
	sc.Step(`^the system under test got its token by its API key and sent it on every call$`, w.readerToken)
	sc.Step(`^every search of the system under test covered at most a day, within 30 days and not in the future$`, w.searchRanges)
	sc.Step(`^the system under test fetched each search until it completed and paged through its total$`, w.searchesFollowed)
	sc.Step(`^the system under test opened every notice of the period, which fixed its legal delivery$`, w.noticesOpened)
	sc.Step(`^the system under test took every downloadable attachment with its signature and verified it, and no deleted one$`, w.attachmentsTaken)
	sc.Step(`^the system under test kept within the day's 5 searches and 15 result fetches$`, w.quotasKept)
	sc.Step(`^the system under test reported every notice it read$`, w.reportedRead)
	sc.Step(`^after its token expired the system under test got a new one by its API key and read on$`, w.readerRenewed)
	sc.Step(`^Gospochta refused the system under test with (\d+) "([^"]+)"$`, w.refusedWith)
	sc.Step(`^the system under test made no request after the refusal and reported the read failed$`, w.stoppedAfterRefusal)
	sc.Step(`^the system under test either ordered the search again and reported every notice, or reported the read failed$`, w.searchErrorHandled)
}

// readRequests are the reading API's answers, oldest first.
func (w *World) readRequests() []geps.Request { return w.contour.GEPS.Requests() }

func (w *World) endpoint(ep string) []geps.Request {
	var out []geps.Request
	for _, r := range w.readRequests() {
		if r.Endpoint == ep {
			out = append(out, r)
		}
	}
	return out
}

func describe(r geps.Request) msg.Text {
	if r.Breach != nil {
		return msg.F("%s %s → %d %s: %s", r.Method, r.Path, r.Status, r.Code, r.Breach)
	}
	return msg.F("%s %s → %d %s", r.Method, r.Path, r.Status, r.Code)
}

// broke lists the answers that broke one of rules.
func broke(reqs []geps.Request, rules ...string) []msg.Text {
	var out []msg.Text
	for _, r := range reqs {
		if r.Breach != nil && slices.Contains(rules, r.Breach.Rule) {
			out = append(out, describe(r))
		}
	}
	return out
}

func (w *World) readerToken() error {
	tokens := 0
	for _, e := range w.esiaEvents() {
		if e.Grant == esia.GrantAPIKey && e.Outcome == esia.Issued {
			tokens++
		}
	}
	reqs := w.readRequests()
	bad := broke(reqs, "GP-R-AUTH")
	if err := w.evidence.Check("GP-R-AUTH", msg.F("a token from ESIA by the API key (Б.12), then every call with it as Bearer"),
		msg.F("%d tokens by API key, %d calls; refused: %s", tokens, len(reqs), list(bad)), tokens > 0 && len(reqs) > 0 && len(bad) == 0); err != nil {
		return err
	}
	forbidden := broke(reqs, "GP-R-ROLE")
	return w.evidence.Check("GP-R-ROLE", msg.F("every call admitted for the role head or administrator, none refused 403"),
		msg.F("refused: %s", list(forbidden)), len(forbidden) == 0)
}

func (w *World) searchRanges() error {
	searches := w.endpoint(geps.EndpointSearch)
	var seen []msg.Text
	for _, r := range searches {
		seen = append(seen, msg.F("%s … %s", r.From.In(wire.Moscow).Format(wire.TimeLayout), r.To.In(wire.Moscow).Format(wire.TimeLayout)))
	}
	bad := broke(w.readRequests(), "GP-R-RANGE")
	return w.evidence.Check("GP-R-RANGE", msg.F("searches of at most a day each, from no more than 30 days back, ending no later than the moment of the search"),
		msg.F("%d searches: %s; refused: %s", len(searches), list(seen), list(bad)), len(searches) > 0 && len(bad) == 0)
}

// expectedIn counts the mailed notices created in [from, to).
func (w *World) expectedIn(from, to time.Time) int {
	n := 0
	for _, m := range w.mail {
		if !m.created.Before(from) && m.created.Before(to) {
			n++
		}
	}
	return n
}

// searchesFollowed: GP-R-TASK, every search the system ordered was fetched until COMPLETED;
// GP-R-PAGE, with limits of 1 to 1000, its pages covering the total.
func (w *World) searchesFollowed() error {
	var bad, seen []msg.Text
	reqs := w.readRequests()
	for _, s := range w.endpoint(geps.EndpointSearch) {
		if s.Status != http.StatusOK || s.TaskUUID == "" {
			continue
		}
		completed := false
		var pages [][2]int
		for _, f := range reqs {
			if f.Endpoint != geps.EndpointSearchTask || f.TaskUUID != s.TaskUUID || f.Status != http.StatusOK {
				continue
			}
			if f.Task == wire.TaskCompleted {
				completed = true
				pages = append(pages, [2]int{f.Offset, f.Offset + f.Returned})
			}
		}
		covered := coveredFromStart(pages)
		want := w.expectedIn(s.From, s.To)
		seen = append(seen, msg.F("task %s: completed %t, pages up to %d of %d", s.TaskUUID, completed, covered, want))
		if !completed {
			bad = append(bad, msg.F("task %s never fetched COMPLETED", s.TaskUUID))
		} else if covered < want {
			bad = append(bad, msg.F("task %s: pages cover %d of %d messages", s.TaskUUID, covered, want))
		}
	}
	if err := w.evidence.Check("GP-R-TASK", msg.F("every search fetched until COMPLETED before its list is taken"),
		msg.F("%s; wrong: %s", list(seen), list(bad)), len(seen) > 0 && len(bad) == 0); err != nil {
		return err
	}
	pageBad := broke(reqs, "GP-R-PAGE")
	return w.evidence.Check("GP-R-PAGE", msg.F("pages with a limit of 1 to 1000 from offset 0 on, covering the total"),
		msg.F("refused: %s", list(pageBad)), len(pageBad) == 0)
}

// coveredFromStart is how many list entries from offset 0 on the pages fetched cover without a
// gap: a page skipped leaves the rest of the list unread whatever came after it.
func coveredFromStart(pages [][2]int) int {
	slices.SortFunc(pages, func(a, b [2]int) int { return a[0] - b[0] })
	end := 0
	for _, p := range pages {
		if p[0] > end {
			break
		}
		end = max(end, p[1])
	}
	return end
}

// periodMail are the notices a read over the scenario's last read period should find.
func (w *World) periodMail() []mailed {
	f := w.last()
	if f.request.Gospochta == nil {
		return nil
	}
	from, _ := time.Parse(wire.TimeLayout, f.request.Gospochta.From)
	to, _ := time.Parse(wire.TimeLayout, f.request.Gospochta.To)
	var out []mailed
	for _, m := range w.mail {
		if !m.created.Before(from) && m.created.Before(to) {
			out = append(out, m)
		}
	}
	return out
}

// noticesOpened: GP-R-CARD and GP-R-LEGAL, every notice of the period had its card opened, which
// Gospochta recorded as its legal delivery.
func (w *World) noticesOpened() error {
	delivered := map[string]time.Time{}
	for _, d := range w.contour.GEPS.Deliveries() {
		delivered[d.MessageUUID] = d.At
	}
	want := w.periodMail()
	var missing []string
	for _, m := range want {
		if _, ok := delivered[m.message]; !ok {
			missing = append(missing, m.message)
		}
	}
	w.evidence.AttachJSON("legal deliveries.json", w.contour.GEPS.Deliveries())
	return w.evidence.Check("GP-R-LEGAL", msg.F("the card of every notice of the period opened: its legal delivery recorded"),
		msg.F("%d notices, %d delivered; not opened: %s", len(want), len(delivered), list(values(missing))), len(want) > 0 && len(missing) == 0)
}

// attachmentsTaken: GP-R-CARD, every READY attachment downloaded with its signature and no DELETED
// one reported as taken; GP-R-SIG, the system verified each signature: the valid ones verify, the
// sample's forged ones (a signature over other bytes) do not.
func (w *World) attachmentsTaken() error {
	got := map[string]map[string]bool{} // attachment → parts answered 200
	for _, r := range w.endpoint(geps.EndpointAttachment) {
		if r.Status == http.StatusOK {
			if got[r.AttachmentUUID] == nil {
				got[r.AttachmentUUID] = map[string]bool{}
			}
			got[r.AttachmentUUID][r.Part] = true
		}
	}
	reported := map[string]trigger.GospochtaFile{}
	for _, f := range w.fired {
		if f.result.Gospochta == nil {
			continue
		}
		for _, m := range f.result.Gospochta.Read {
			for _, a := range m.Files {
				reported[a.AttachmentUUID] = a
			}
		}
	}
	var missing, deleted, wrong []msg.Text
	for _, m := range w.periodMail() {
		for _, a := range m.files {
			r := reported[a.uuid]
			switch {
			case a.deleted && r.Downloaded:
				deleted = append(deleted, msg.F("%s reported downloaded", a.uuid))
			case !a.ready:
			case !got[a.uuid][geps.PartFile] || (a.signed && !got[a.uuid][geps.PartSig]):
				missing = append(missing, msg.F("%s (file %t, sig %t)", a.uuid, got[a.uuid][geps.PartFile], got[a.uuid][geps.PartSig]))
			case a.signed && r.SignatureVerified == a.forged:
				wrong = append(wrong, msg.F("%s: forged %t, reported verified %t", a.uuid, a.forged, r.SignatureVerified))
			}
		}
	}
	if err := w.evidence.Check("GP-R-CARD", msg.F("every READY attachment downloaded with its signature, no DELETED one reported taken"),
		msg.F("%d attachments taken; missing: %s; deleted: %s", len(got), list(missing), list(deleted)),
		len(got) > 0 && len(missing) == 0 && len(deleted) == 0); err != nil {
		return err
	}
	return w.evidence.Check("GP-R-SIG", msg.F("every valid signature reported verified, every forged one (over other bytes) not"),
		msg.F("%d attachments reported; wrong: %s", len(reported), list(wrong)), len(reported) > 0 && len(wrong) == 0)
}

func (w *World) quotasKept() error {
	searches, fetches := len(w.endpoint(geps.EndpointSearch)), len(w.endpoint(geps.EndpointSearchTask))
	bad := broke(w.readRequests(), "GP-R-QUOTA")
	return w.evidence.Check("GP-R-QUOTA", msg.F("at most %d searches and %d result fetches a day, none refused 429", wire.SearchesPerDay, wire.FetchesPerDay),
		msg.F("%d searches, %d result fetches; refused: %s", searches, fetches, list(bad)),
		searches <= wire.SearchesPerDay && fetches <= wire.FetchesPerDay && len(bad) == 0)
}

func (w *World) reportedRead() error {
	r := w.last().result
	var read []string
	if r.Gospochta != nil {
		for _, m := range r.Gospochta.Read {
			read = append(read, m.MessageUUID)
		}
	}
	var missing []string
	for _, m := range w.periodMail() {
		if !slices.Contains(read, m.message) {
			missing = append(missing, m.message)
		}
	}
	return w.evidence.Check("GP-R-LEGAL", msg.F("outcome received, listing every notice of the period it read"),
		msg.F("outcome %q, %d read; not reported: %s%s", r.Outcome, len(read), list(values(missing)), errorText(r)),
		r.Outcome == trigger.Received && len(missing) == 0)
}

// refusal is the reading API's first answer with status and code.
func (w *World) refusal(status int, code string) (geps.Request, bool) {
	for _, r := range w.readRequests() {
		if r.Status == status && r.Code == code {
			return r, true
		}
	}
	return geps.Request{}, false
}

// refusedWith: GP-R-ERR, the system met the refusal the scenario set up and read its JSON error
// body: it reports the body's code.
func (w *World) refusedWith(status int, code string) error {
	var seen []msg.Text
	for _, r := range w.readRequests() {
		seen = append(seen, describe(r))
	}
	_, met := w.refusal(status, code)
	res := w.last().result
	return w.evidence.Check("GP-R-ERR", msg.F("a refusal %d with the error body {code: %q}, that code reported by the system", status, code),
		msg.F("answers: %s; the system reported code %q%s", list(seen), res.Code, errorText(res)), met && res.Code == code)
}

// stoppedAfterRefusal: after a 429 or a 403 the system stops (GP-R-QUOTA, GP-R-ROLE) and tells its
// user the read failed.
func (w *World) stoppedAfterRefusal() error {
	var first geps.Request
	for _, r := range w.readRequests() {
		if r.Status == http.StatusTooManyRequests || r.Status == http.StatusForbidden {
			first = r
			break
		}
	}
	if first.Status == 0 {
		return msg.Errorf("the reading API refused nothing in this scenario")
	}
	ruleID := "GP-R-QUOTA"
	if first.Status == http.StatusForbidden {
		ruleID = "GP-R-ROLE"
	}
	var after []msg.Text
	for _, r := range w.readRequests() {
		if r.Time.After(first.Time) {
			after = append(after, describe(r))
		}
	}
	res := w.last().result
	return w.evidence.Check(ruleID, msg.F("no request after the %d, and outcome failed", first.Status),
		msg.F("after it: %s; outcome %q%s", list(after), res.Outcome, errorText(res)), len(after) == 0 && res.Outcome == trigger.Failed)
}

// searchErrorHandled: GP-R-TASK, a search that ended in ERROR says nothing of the mailbox: the
// system either searches again and reports what it then read, or reports the read failed; taking
// it for an empty list loses notices whose legal delivery runs regardless.
func (w *World) searchErrorHandled() error {
	r := w.last().result
	reported := map[string]bool{}
	if r.Gospochta != nil {
		for _, m := range r.Gospochta.Read {
			reported[m.MessageUUID] = true
		}
	}
	var missing []string
	for _, m := range w.periodMail() {
		if !reported[m.message] {
			missing = append(missing, m.message)
		}
	}
	searches := len(w.endpoint(geps.EndpointSearch))
	metError := slices.ContainsFunc(w.endpoint(geps.EndpointSearchTask), func(f geps.Request) bool { return f.Task == wire.TaskError })
	ok := metError && ((r.Outcome == trigger.Failed && r.Error != "") || (r.Outcome == trigger.Received && len(missing) == 0))
	return w.evidence.Check("GP-R-TASK", msg.F("the search fetched until it answered ERROR; then a new search and every notice reported, or outcome failed"),
		msg.F("%d searches, ERROR fetched %t; outcome %q, %d notices reported, not reported: %s%s", searches, metError, r.Outcome, len(reported), list(values(missing)), errorText(r)), ok)
}

// readerRenewed: GP-R-AUTH, after ESIA expired its tokens the reader got a new token by its API key
// (at once, or on the 401 token.expired of its next call) and every 401 was followed by one.
func (w *World) readerRenewed() error {
	if w.expiredAt.IsZero() {
		return msg.Errorf("the scenario did not expire the system's tokens")
	}
	renewed := 0
	for _, e := range w.esiaEvents() {
		if !e.Time.Before(w.expiredAt) && e.Grant == esia.GrantAPIKey && e.Outcome == esia.Issued {
			renewed++
		}
	}
	expired := 0
	for _, r := range w.readRequests() {
		if r.Code == wire.CodeTokenExpired {
			expired++
		}
	}
	res := w.last().result
	return w.evidence.Check("GP-R-AUTH", msg.F("a new token by the API key after the expiry, and the read carried on"),
		msg.F("%d answers token.expired, %d tokens by API key after the expiry; outcome %q%s", expired, renewed, res.Outcome, errorText(res)),
		renewed > 0 && res.Outcome == trigger.Received)
}
