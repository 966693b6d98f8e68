package smdo

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/smdo/router"
)

// The judgements read what the router received from the system under test; the system's own word
// (its trigger result) is judged only where the rule is about what the system concludes.
func (w *World) registerSenderJudgements(sc *godog.ScenarioContext) {
	sc.Step(`^the system under test got its token with HTTP Basic and sent it as Bearer on every call$`, w.tokenOnEveryCall)
	sc.Step(`^the system under test requested each package, attached its files, signed each file and only then sent it$`, w.sendSequence)
	sc.Step(`^every file the system under test sent carries a signature that verifies against its certificate$`, w.filesSigned)
	sc.Step(`^the router routed every package of the system under test$`, w.packagesRouted)
	sc.Step(`^the system under test took the router's delivery receipt and the counterpart's registration notice$`, w.tookNotices)
	sc.Step(`^the system under test reported the document "(registered|refused)"$`, w.reportedDocument)
	sc.Step(`^the reply of the system under test names the counterpart's document as its parent$`, w.replyNamesParent)
	sc.Step(`^the additional materials of the system under test replace a file of the document it sent$`, w.additionsReplace)
	sc.Step(`^the system under test started each package at least 10 seconds after its previous send ended$`, w.restartPause)
	sc.Step(`^after the 401 the system under test got a new token and repeated the call$`, w.newTokenAfter401)
	sc.Step(`^the system under test did not send the package the router answered negatively$`, w.haltedAfterRefusal)
	sc.Step(`^the system under test reported the document unsent$`, w.reportedUnsent)
	sc.Step(`^the system under test took the router's notice about its package$`, w.tookRouterNotice)
}

func (w *World) tokenOnEveryCall() error {
	reqs := w.requests()
	var tokens, calls int
	var bad []msg.Text
	for i, r := range reqs {
		switch {
		case r.Op == "token" && r.Status == http.StatusOK:
			tokens++
		case r.Op == "token":
			bad = append(bad, msg.F("token request → %d %s", r.Status, errorOf(r)))
		case r.Injected || r.Op == "":
			// an expiry the scenario caused is judged by its own step; a path the router does not
			// have is no call with a token
		case r.Status == http.StatusUnauthorized && !tokenAfter(reqs[i+1:]):
			bad = append(bad, msg.F("%s %s → 401, and no new token after it", r.Method, r.Path))
		default:
			calls++
			if r.Token == "" {
				bad = append(bad, msg.F("%s %s → %d without a Bearer token", r.Method, r.Path, r.Status))
			}
		}
	}
	return w.evidence.Check("SMDO-TOKEN", msg.F("a token from the token endpoint with HTTP Basic, then every call with it as Bearer"),
		msg.F("%d tokens issued, %d calls; refused: %s%s", tokens, calls, list(bad), w.reported()), tokens > 0 && calls > 0 && len(bad) == 0)
}

// tokenAfter says a token was issued among reqs.
func tokenAfter(reqs []router.Request) bool {
	for _, r := range reqs {
		if r.Op == "token" && r.Status == http.StatusOK {
			return true
		}
	}
	return false
}

// sendSequence: per document, the package requested, each file attached, each attachment signed,
// and only then sent (SMDO-SEND, the walkthrough's order of the sending thread).
func (w *World) sendSequence() error {
	reqs := w.requests()
	docs := w.documents()
	var bad []msg.Text
	for _, p := range docs {
		var ops []string
		attached, signed := map[string]bool{}, map[string]bool{}
		sent := false
		for _, r := range reqs {
			if r.PackageID != p.ID || r.Status >= 300 {
				continue
			}
			switch r.Op {
			case "attach":
				attached[r.AttachID] = true
			case "signs":
				if !attached[r.AttachID] {
					bad = append(bad, msg.F("package %s: attachment %s signed before it was attached", p.ID, r.AttachID))
				}
				signed[r.AttachID] = true
			case "send":
				sent = true
				for _, a := range p.Attachments {
					if !signed[a.ID] {
						bad = append(bad, msg.F("package %s sent before attachment %s (%s) was signed", p.ID, a.ID, a.Name))
					}
				}
			}
			ops = append(ops, r.Op)
		}
		if !sent {
			bad = append(bad, msg.F("package %s never sent (calls: %s)", p.ID, strings.Join(ops, ", ")))
		}
		if len(p.Attachments) == 0 {
			bad = append(bad, msg.F("package %s has no file", p.ID))
		}
	}
	return w.evidence.Check("SMDO-SEND", msg.F("each package requested, its files attached, each file signed, then the package sent (204)"),
		msg.F("%d packages; out of order: %s%s", len(docs), list(bad), w.reported()), len(docs) > 0 && len(bad) == 0)
}

// filesSigned: every file of every document the system sent carries a signature that verified
// against its certificate, and the router refused none for a missing or bad signature (SMDO-SIGN).
func (w *World) filesSigned() error {
	var bad []msg.Text
	var files int
	for _, r := range w.requests() {
		if r.Rule == "SMDO-SIGN" && !r.Injected {
			bad = append(bad, msg.F("%s %s → %d: %s", r.Method, r.Path, r.Status, errorOf(r)))
		}
	}
	for _, p := range w.documents() {
		for _, a := range p.Attachments {
			files++
			if len(a.Signs) == 0 {
				bad = append(bad, msg.F("package %s: file %s has no signature", p.ID, a.Name))
			}
			if len(a.Verified) < len(a.Signs) {
				bad = append(bad, msg.F("package %s: file %s: %d of %d signatures verified", p.ID, a.Name, len(a.Verified), len(a.Signs)))
			}
		}
	}
	return w.evidence.Check("SMDO-SIGN", msg.F("a signature on every file that verifies against the system's certificate, none refused"),
		msg.F("%d files; refused or unsigned: %s%s", files, list(bad), w.reported()), files > 0 && len(bad) == 0)
}

// packagesRouted: every document the system sent passed the router's format checks and reached
// its recipients (SMDO-FORMAT), its kind and file types from the router's directories (SMDO-DIR).
func (w *World) packagesRouted() error {
	reqs := w.requests()
	dirs, err := router.DefaultDirectories()
	if err != nil {
		return err
	}
	kinds, types := dirs.DocKinds(), dirs.FileExtensions()
	var bad, outside []msg.Text
	var sent int
	for _, p := range w.documents() {
		if _, ok := sentPackage(reqs, p.ID); !ok {
			continue
		}
		sent++
		switch {
		case !settledState(p) && p.Refusal != nil:
			bad = append(bad, msg.F("package %s %s: %s", p.ID, p.State, p.Refusal))
		case !settledState(p):
			bad = append(bad, msg.F("package %s %s", p.ID, p.State))
		}
		pk := parse(p)
		files := filesOf(pk)
		if doc := pk.Envelop.Body.Document; doc != nil && !slices.Contains(kinds, doc.Kind) {
			outside = append(outside, msg.F("package %s: kind %q", p.ID, doc.Kind))
		}
		for _, f := range files {
			if !slices.Contains(types, strings.ToLower(f.Type)) {
				outside = append(outside, msg.F("package %s: file %s of type %q", p.ID, f.Name, f.Type))
			}
		}
	}
	if err := w.evidence.Check("SMDO-FORMAT", msg.F("every package the system sent routed to its recipients, none refused for its format"),
		msg.F("%d packages sent; not routed: %s%s", sent, list(bad), w.reported()), sent > 0 && len(bad) == 0); err != nil {
		return err
	}
	return w.evidence.Check("SMDO-DIR", msg.F("the document kinds and file types of the router's directories"),
		msg.F("%d packages sent; outside the directories: %s", sent, list(outside)), len(outside) == 0)
}

// filesOf are the files a packet declares, of its document or of its additional materials.
func filesOf(pk packet) []transfer {
	var out []transfer
	if doc := pk.Envelop.Body.Document; doc != nil {
		out = append(out, doc.DocTransfer...)
	}
	if add := pk.Envelop.Body.AddDocuments; add != nil {
		for _, f := range add.Folder {
			out = append(out, f.DocTransfer...)
		}
	}
	return out
}

// tookNotices: the router's delivery receipt (SMDO-RECEIPT) and the counterpart's registration
// notice (SMDO-ACK) for the system's document reached its incoming list and the system confirmed
// both, within a poll period of reporting (its receiving thread may take them after).
func (w *World) tookNotices() error {
	docs := map[string]bool{}
	for _, p := range w.documents() {
		docs[p.MsgID] = true
	}
	taken := func(ackType int, fromRouter bool) (seen []msg.Text, ok bool) {
		for _, p := range w.contour.Router.Packages() {
			ack := parse(p).Envelop.Body.Acknowledgement
			d, toSUT := delivery(p, w.sut.ID)
			if ack == nil || !toSUT || ack.AckType != ackType || p.Router != fromRouter || !docs[ack.MsgID] {
				continue
			}
			seen = append(seen, msg.F("%s (for msg_id %s) offered %d times, confirmed %v", p.ID, ack.MsgID, len(d.Offered), !d.Confirmed.IsZero()))
			ok = ok || !d.Confirmed.IsZero()
		}
		return seen, ok
	}
	var receipts, notices []msg.Text
	within := w.suite.timing.Poll + w.suite.timing.Poll/2
	eventually(within, func() bool {
		var r, n bool
		receipts, r = taken(1, true)
		notices, n = taken(2, false)
		return r && n
	})
	w.packages() // the evidence
	_, receipt := taken(1, true)
	if err := w.evidence.Check("SMDO-RECEIPT", msg.F("the router's delivery receipt for the system's document taken from its incoming list and confirmed"),
		msg.F("receipts: %s%s", list(receipts), w.reported()), receipt); err != nil {
		return err
	}
	_, notice := taken(2, false)
	return w.evidence.Check("SMDO-ACK", msg.F("the counterpart's registration notice for the system's document taken from its incoming list and confirmed"),
		msg.F("registration notices: %s%s", list(notices), w.reported()), notice)
}

// reportedDocument: what the system concludes from the registration notice (SMDO-ACK): registered,
// or refused with the notice's errorcode 2.
func (w *World) reportedDocument(want string) error {
	res := w.last().result
	ok := res.Outcome == trigger.Accepted && res.Code == "0"
	expected := msg.F("the document reported sent and registered (outcome accepted, code 0)")
	if want == "refused" {
		ok = res.Outcome == trigger.Refused && res.Code == "2"
		expected = msg.F("the refusal of registration reported (outcome refused, code 2), not the document taken as registered")
	}
	return w.evidence.Check("SMDO-ACK", expected, msg.F("outcome %s, state %q, code %q%s", res.Outcome, res.State, res.Code, w.reported()), ok)
}

// replyNamesParent: the reply's docParent names the counterpart's document and parentId its
// package (SMDO-REPLY).
func (w *World) replyNamesParent() error {
	orig := w.delivered[0]
	op := parse(orig)
	var seen []msg.Text
	found := false
	for _, p := range w.documents() {
		doc := parse(p).Envelop.Body.Document
		if doc == nil || doc.DocParent == nil {
			seen = append(seen, msg.F("package %s without docParent (parentId %q)", p.ID, p.ParentID))
			continue
		}
		dp := doc.DocParent
		seen = append(seen, msg.F("package %s: parentId %q, docParent idnumber %q, parmsg_id %q, lastmsg_id %q", p.ID, p.ParentID, dp.IDNumber, dp.ParMsgID, dp.LastMsgID))
		found = found || p.ParentID == orig.ID && dp.IDNumber == op.Envelop.Body.Document.IDNumber &&
			(dp.ParMsgID == orig.MsgID || dp.LastMsgID == orig.MsgID)
	}
	return w.evidence.Check("SMDO-REPLY", msg.F("a document with parentId %s and docParent naming idnumber %s and msg_id %s",
		orig.ID, op.Envelop.Body.Document.IDNumber, orig.MsgID), msg.F("documents of the system: %s%s", list(seen), w.reported()), found)
}

// additionsReplace: additional materials with add_type 2 whose referred idnumber is a document the
// system sent and the router routed, carrying a file of that document under its name (SMDO-ADD).
func (w *World) additionsReplace() error {
	sent := map[string][]string{} // idnumber → its files' names
	var seen []msg.Text
	found := false
	for _, p := range w.documents() {
		pk := parse(p)
		if doc := pk.Envelop.Body.Document; doc != nil && p.MsgType == 1 && settledState(p) {
			for _, f := range doc.DocTransfer {
				sent[doc.IDNumber] = append(sent[doc.IDNumber], f.Name)
			}
		}
		add := pk.Envelop.Body.AddDocuments
		if add == nil {
			continue
		}
		for _, f := range add.Folder {
			seen = append(seen, msg.F("package %s (msg_type %d, %s): add_type %d referring to %q with %v", p.ID, p.MsgType, p.State, f.AddType, f.Referred.IDNumber, f.DocTransfer))
			replaces := len(f.DocTransfer) > 0
			for _, t := range f.DocTransfer {
				replaces = replaces && slices.Contains(sent[f.Referred.IDNumber], t.Name)
			}
			found = found || p.MsgType == 2 && f.AddType == 2 && settledState(p) && replaces
		}
	}
	return w.evidence.Check("SMDO-ADD", msg.F("additional materials (msg_type 2), routed, with a folder of add_type 2 referring to a document the system sent and carrying a file of it under the same name"),
		msg.F("documents sent %v; additional materials: %s%s", sent, list(seen), w.reported()), found)
}

// restartPause: the sending thread began each package no sooner than 10 seconds after its previous
// send ended, at the router's answer to it (SMDO-RESTART: the thread ends when the router answers
// the whole package positively; the receipt comes later, to the receiving thread).
func (w *World) restartPause() error {
	reqs := w.requests()
	docs := w.documents()
	t := w.suite.timing
	var gaps []msg.Text
	asked := 0
	if r := w.last().request.SMDO; r != nil {
		asked = r.Documents
	}
	ok := len(docs) >= 2 && len(docs) == asked && w.last().result.Outcome == trigger.Accepted
	for i := 1; i < len(docs); i++ {
		ended, sent := sentPackage(reqs, docs[i-1].ID)
		if !sent {
			gaps = append(gaps, msg.F("package %s never sent", docs[i-1].ID))
			ok = false
			continue
		}
		gap := created(docs[i]).Sub(ended)
		gaps = append(gaps, msg.Raw(gap.Round(time.Millisecond).String()))
		ok = ok && gap >= t.Restart
	}
	return w.evidence.Check("SMDO-RESTART", msg.F("each package requested at least %s after the previous one was sent%s", t.Restart, t.note()),
		msg.F("%d packages of the %d asked for, each after the previous send: %s%s", len(docs), asked, bracketed(gaps), w.reported()), ok)
}

// newTokenAfter401: after the router's 401 the system fetched a new token and repeated the same
// call, which was served (SMDO-TOKEN).
func (w *World) newTokenAfter401() error {
	reqs := w.requests()
	i := -1
	for j, r := range reqs {
		if r.Injected && r.Status == http.StatusUnauthorized {
			i = j
			break
		}
	}
	if i < 0 {
		return w.evidence.Check("SMDO-TOKEN", msg.F("a call answered 401 once the token expired"), msg.F("the system made no call after its token expired%s", w.reported()), false)
	}
	refused := reqs[i]
	var fresh bool
	for _, r := range reqs[i+1:] {
		switch {
		case r.Op == "token" && r.Status == http.StatusOK:
			fresh = true
		case r.Op == refused.Op && r.Method == refused.Method && (refused.PackageID == "" || r.PackageID == refused.PackageID) &&
			r.Status < 300 && r.Token != refused.Token:
			return w.evidence.Check("SMDO-TOKEN", msg.F("after 401 a new token, then the same call repeated and served"),
				msg.F("401 on %s %s; repeated %s later, new token in between: %v", refused.Method, refused.Path, r.At.Sub(refused.At).Round(time.Millisecond), fresh), fresh)
		}
	}
	return w.evidence.Check("SMDO-TOKEN", msg.F("after 401 a new token, then the same call repeated and served"),
		msg.F("401 on %s %s, never repeated with success; new token: %v%s", refused.Method, refused.Path, fresh, w.reported()), false)
}

// haltedAfterRefusal: after the router answered a stage of a package negatively the system did not
// send that package (SMDO-HALT).
func (w *World) haltedAfterRefusal() error {
	reqs := w.requests()
	for i, r := range reqs {
		if !r.Injected || r.Status != http.StatusBadRequest {
			continue
		}
		for _, later := range reqs[i+1:] {
			if later.Op == "send" {
				return w.evidence.Check("SMDO-HALT", msg.F("no package sent after the router's negative answer"),
					msg.F("the router answered %s of package %s with 400; %s later the system sent package %s anyway (→ %d)%s",
						r.Op, r.PackageID, later.At.Sub(r.At).Round(time.Millisecond), later.PackageID, later.Status, w.reported()), false)
			}
		}
		return w.evidence.Check("SMDO-HALT", msg.F("no package sent after the router's negative answer"),
			msg.F("the router answered %s of package %s with 400; the system sent nothing after it%s", r.Op, r.PackageID, w.reported()), true)
	}
	return w.evidence.Check("SMDO-HALT", msg.F("a stage the router answered negatively"), msg.F("the system made no call the router refused%s", w.reported()), false)
}

// reportedUnsent: the system reports the document as not sent (SMDO-HALT: it is to be corrected
// and sent again).
func (w *World) reportedUnsent() error {
	res := w.last().result
	return w.evidence.Check("SMDO-HALT", msg.F("the document reported unsent (outcome failed or refused)"),
		msg.F("outcome %s%s", res.Outcome, w.reported()), res.Outcome == trigger.Failed || res.Outcome == trigger.Refused)
}

// tookRouterNotice: the router's notice about the system's package reached its incoming list and
// the system confirmed it (SMDO-NOTICE).
func (w *World) tookRouterNotice() error {
	var seen []msg.Text
	found := false
	eventually(w.suite.timing.Poll+w.suite.timing.Poll/2, func() bool {
		seen, found = nil, false
		for _, p := range w.contour.Router.Packages() {
			d, toSUT := delivery(p, w.sut.ID)
			if !p.Router || !toSUT || parse(p).Message == "" {
				continue
			}
			seen = append(seen, msg.F("notice %s about %s: offered %d times, confirmed %v", p.ID, p.ParentID, len(d.Offered), !d.Confirmed.IsZero()))
			found = found || !d.Confirmed.IsZero()
		}
		return found
	})
	w.packages() // the evidence
	return w.evidence.Check("SMDO-NOTICE", msg.F("the router's notice (from ROUTER, parentId the system's package) taken and confirmed"),
		msg.F("notices: %s%s", list(seen), w.reported()), found)
}
