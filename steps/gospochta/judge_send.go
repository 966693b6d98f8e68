package gospochta

import (
	"encoding/base64"
	"maps"
	"slices"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/gospochta/post"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// The judgements read what Gospochta and ESIA received from the system under test: each scenario
// has a contour of its own, so everything they received came from it. The system's own word (its
// trigger result) is judged only where the rule is about what it concludes.
func (w *World) registerSenderJudgements(sc *godog.ScenarioContext) {
	sc.Step(`^the system under test reported the message delivered, holding a verified act of acceptance$`, w.reportedDelivered)
	sc.Step(`^the system under test got its tokens with JWT assertions signed by its certificate, for the role operator or administrator$`, w.tokensByAssertion)
	sc.Step(`^every request of the system under test came over TLS 1\.3 with its registered certificate$`, w.mutualTLS)
	sc.Step(`^every packet of the system under test carried a valid HMAC and a request id of its own$`, w.packetsProtected)
	sc.Step(`^Gospochta accepted every message of the system under test as a "([^"]+)" to its recipient$`, w.acceptedAs)
	sc.Step(`^the document of every message is signed by the system under test and its hash is in the registry$`, w.documentsSigned)
	sc.Step(`^the personal data of every message decrypt with the recipient's key to what the system under test was given$`, w.personalDataSealed)
	sc.Step(`^the system under test took the act of acceptance of every message it sent$`, w.receiptsTaken)
	sc.Step(`^the audit log holds every request the system under test reported, with its time and status$`, w.auditComplete)
	sc.Step(`^Gospochta pushed the states delivered and read to the system under test, which acknowledged each$`, w.statesPushed)
	sc.Step(`^the system under test took the act of acceptance of every message within 5 minutes of sending$`, w.confirmedInTime)
	sc.Step(`^after its token expired the system under test renewed it with its refresh token, not a new assertion$`, w.refreshed)
	sc.Step(`^Gospochta holds no message of the system under test$`, w.noMessage)
	sc.Step(`^the system under test reported the send failed$`, func() error { return w.reportedFailed("GP-W-ROLE") })
	sc.Step(`^at most 0\.1 % of the sends failed$`, w.failRatio)
	sc.Step(`^the system under test refused the act of acceptance, not reporting the message delivered$`, w.receiptRefused)
}

// inbound is what the sending API answered, oldest first (pushes to the sender left out).
func (w *World) inbound() []post.AuditEntry {
	var out []post.AuditEntry
	for _, e := range w.contour.Post.Audit() {
		if e.Direction != "out" {
			out = append(out, e)
		}
	}
	return out
}

// refusals lists the answers that broke one of rules, as "METHOD path → status code: breach".
func refusals(entries []post.AuditEntry, rules ...string) []msg.Text {
	var out []msg.Text
	for _, e := range entries {
		if e.Status >= 400 && (len(rules) == 0 || slices.Contains(rules, e.Rule)) {
			if e.Breach != nil {
				out = append(out, msg.F("%s %s → %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Breach))
				continue
			}
			out = append(out, msg.F("%s %s → %d %s", e.Method, e.Path, e.Status, e.Code))
		}
	}
	return out
}

// list joins findings one after another, or says there were none.
func list(items []msg.Text) msg.Text {
	if len(items) == 0 {
		return msg.F("none")
	}
	const most = 8
	if len(items) > most {
		return msg.F("%s; and %d more", msg.Join(items[:most], "; "), len(items)-most)
	}
	return msg.Join(items, "; ")
}

// values are ids, names or codes, for a list: the same in every language.
func values(items []string) []msg.Text {
	out := make([]msg.Text, len(items))
	for i, s := range items {
		out[i] = msg.Raw(s)
	}
	return out
}

// sends are the scenario's send requests and what the system reported of each.
func (w *World) sends() []firing {
	var out []firing
	for _, f := range w.fired {
		if f.request.Action == trigger.Send {
			out = append(out, f)
		}
	}
	return out
}

func (w *World) reportedDelivered() error {
	f := w.last()
	r := f.result
	m, known := w.contour.Post.Message(r.MessageID)
	// Delivered before the system said so: a system that reports delivery it has not seen is wrong
	// even if the message is delivered by the time of judging.
	ok := r.Outcome == trigger.Accepted && known && (r.State == wire.StateDelivered || r.State == wire.StateRead) &&
		!m.DeliveredAt.IsZero() && !m.DeliveredAt.After(f.end)
	return w.evidence.Check("GP-W-RECEIPT", msg.F("outcome accepted, state delivered (or read), with the messageId Gospochta gave and delivered"),
		msg.F("outcome %q, state %q, messageId %q (%s)%s", r.Outcome, r.State, r.MessageID, knownText(known), errorText(r)), ok)
}

func knownText(known bool) msg.Text {
	if known {
		return msg.F("a message Gospochta holds")
	}
	return msg.F("not a message Gospochta holds")
}

func errorText(r trigger.Result) msg.Text {
	if r.Error == "" {
		return msg.Text{}
	}
	return msg.F("; error %q", r.Error)
}

// esiaEvents are ESIA's answers to the system, oldest first.
func (w *World) esiaEvents() []esia.Event {
	var out []esia.Event
	for _, e := range w.contour.ESIA.Events() {
		if e.Mnemonic == w.reg.Mnemonic {
			out = append(out, e)
		}
	}
	return out
}

// tokensByAssertion: GP-W-AUTH, the system got its tokens from ESIA with signed JWT assertions (or
// their refresh) and used them on every call; GP-W-ROLE, for a role that may send.
func (w *World) tokensByAssertion() error {
	var grants []string
	var refused []msg.Text
	assertions := 0
	for _, e := range w.esiaEvents() {
		switch {
		case e.Outcome == esia.Issued && e.Grant == esia.GrantJWTBearer:
			assertions++
		case e.Outcome != esia.Issued && e.Breach != nil:
			refused = append(refused, msg.F("%s %s %s: %s", e.Grant, e.Outcome, e.Code, e.Breach))
		case e.Outcome != esia.Issued:
			refused = append(refused, msg.F("%s %s %s", e.Grant, e.Outcome, e.Code))
		}
		grants = append(grants, e.Grant)
	}
	in := w.inbound()
	bad := refusals(in, "GP-W-AUTH", "GP-W-REFRESH")
	if err := w.evidence.Check("GP-W-AUTH", msg.F("tokens from ESIA by JWT assertions signed with the system's key, every call with one"),
		msg.F("%d assertions honoured (grants %s); ESIA refused: %s; Gospochta refused: %s", assertions, list(values(grants)), list(refused), list(bad)),
		assertions > 0 && len(refused) == 0 && len(bad) == 0); err != nil {
		return err
	}
	var roles []string
	for _, e := range in {
		if e.TokenRole != "" && !slices.Contains(roles, e.TokenRole) {
			roles = append(roles, e.TokenRole)
		}
	}
	forbidden := refusals(in, "GP-W-ROLE")
	ok := len(forbidden) == 0 && len(roles) > 0
	for _, r := range roles {
		ok = ok && (r == wire.RoleOperator || r == wire.RoleAdministrator)
	}
	return w.evidence.Check("GP-W-ROLE", msg.F("every call with a token of the role operator or administrator, none refused 403"),
		msg.F("roles of the tokens used: %s; refused: %s", list(values(roles)), list(forbidden)), ok)
}

func (w *World) mutualTLS() error {
	in := w.inbound()
	bad := refusals(in, "GP-W-MTLS")
	return w.evidence.Check("GP-W-MTLS", msg.F("every request over TLS 1.3 with the certificate registered for the system"),
		msg.F("%d requests; refused: %s", len(in), list(bad)), len(in) > 0 && len(bad) == 0)
}

// packetsProtected: GP-W-HMAC over every packet, GP-W-AUDIT a request id of its own on each.
func (w *World) packetsProtected() error {
	in := w.inbound()
	if err := w.evidence.Check("GP-W-HMAC", msg.F("every packet with X-Packet-HMAC, HMAC-SHA-256 with the system's key over method, path, request id and body"),
		msg.F("%d requests; refused: %s", len(in), list(refusals(in, "GP-W-HMAC"))), len(in) > 0 && len(refusals(in, "GP-W-HMAC")) == 0); err != nil {
		return err
	}
	return w.evidence.Check("GP-W-AUDIT", msg.F("every request with an X-Request-Id, a UUID used once"),
		msg.F("%d requests; refused: %s", len(in), list(refusals(in, "GP-W-AUDIT"))), len(refusals(in, "GP-W-AUDIT")) == 0)
}

// acceptedAs: GP-W-KIND, every send of the scenario became a message of the kind asked, to the
// recipient asked, and nothing was refused for its form.
func (w *World) acceptedAs(kind string) error {
	msgs := w.contour.Post.Messages()
	var bad []msg.Text
	for _, f := range w.sends() {
		g := f.request.Gospochta
		if !slices.ContainsFunc(msgs, func(m post.Message) bool {
			return m.ID == f.result.MessageID && m.Kind == kind && m.RecipientID == g.Recipient
		}) {
			bad = append(bad, msg.F("no %s to %s with messageId %q", kind, g.Recipient, f.result.MessageID))
		}
	}
	refused := refusals(w.inbound(), "GP-W-KIND")
	return w.evidence.Check("GP-W-KIND", msg.F("every message a %q to the recipient asked", kind),
		msg.F("%d messages accepted; missing: %s; refused: %s", len(msgs), list(bad), list(refused)),
		len(msgs) > 0 && len(bad) == 0 && len(refused) == 0)
}

// documentsSigned: GP-W-SIGN, Gospochta verified each document's signature (else it refuses the
// message), the registry holds its hash, and the document is the one the harness gave.
func (w *World) documentsSigned() error {
	var bad []msg.Text
	msgs := w.contour.Post.Messages()
	for _, m := range msgs {
		e, ok := w.contour.Post.Registry(m.DocumentHash)
		if !ok || e.MessageID != m.ID {
			bad = append(bad, msg.F("message %s: hash %s not in the registry", m.ID, m.DocumentHash))
		}
	}
	for _, f := range w.sends() {
		doc, _ := base64.StdEncoding.DecodeString(f.request.Files[f.request.Gospochta.Document])
		if m, ok := w.contour.Post.Message(f.result.MessageID); ok && m.DocumentHash != wire.DocumentHash(doc) {
			bad = append(bad, msg.F("message %s: the document sent is not the one given (hash %s, given %s)", m.ID, m.DocumentHash, wire.DocumentHash(doc)))
		}
	}
	refused := refusals(w.inbound(), "GP-W-SIGN")
	return w.evidence.Check("GP-W-SIGN", msg.F("every document signed (detached CMS) by the system's certificate, its SHA-256 in the registry"),
		msg.F("%d messages; wrong: %s; refused: %s", len(msgs), list(bad), list(refused)), len(w.inbound()) > 0 && len(bad) == 0 && len(refused) == 0)
}

// personalDataSealed: GP-W-ENC, the fields Gospochta decrypted with the recipient's key are the
// ones the harness gave in clear.
func (w *World) personalDataSealed() error {
	var bad []msg.Text
	for _, f := range w.sends() {
		m, ok := w.contour.Post.Message(f.result.MessageID)
		if !ok {
			continue // judged by the acceptance step
		}
		if want := f.request.Gospochta.PersonalData; !maps.Equal(m.Fields, want) {
			bad = append(bad, msg.F("message %s: decrypted %v, given %v", m.ID, m.Fields, want))
		}
	}
	refused := refusals(w.inbound(), "GP-W-ENC")
	return w.evidence.Check("GP-W-ENC", msg.F("every personal-data field sealed with AES-256-GCM under the recipient's key, decrypting to what was given"),
		msg.F("%d sends; wrong: %s; refused: %s", len(w.sends()), list(bad), list(refused)), len(w.inbound()) > 0 && len(bad) == 0 && len(refused) == 0)
}

func (w *World) receiptsTaken() error {
	var bad []msg.Text
	msgs := w.contour.Post.Messages()
	for _, m := range msgs {
		if m.ReceiptFetches == 0 {
			bad = append(bad, msg.F("message %s: act never fetched", m.ID))
		}
	}
	return w.evidence.Check("GP-W-RECEIPT", msg.F("the act of acceptance of every message fetched by its sender"),
		msg.F("%d messages; not taken: %s", len(msgs), list(bad)), len(msgs) > 0 && len(bad) == 0)
}

// auditComplete: GP-W-AUDIT, every request id the system reported is in Gospochta's audit log
// with its time and status, and every request the log holds carries one.
func (w *World) auditComplete() error {
	byID := map[string]post.AuditEntry{}
	in := w.inbound()
	for _, e := range in {
		byID[e.RequestID] = e
	}
	reported := 0
	var missing, incomplete []msg.Text
	for _, f := range w.fired {
		if f.result.Gospochta == nil {
			continue
		}
		for _, id := range f.result.Gospochta.RequestIDs {
			reported++
			e, ok := byID[id]
			switch {
			case !ok && !w.readingRequest(id):
				missing = append(missing, msg.Raw(id))
			case ok && (e.Time.IsZero() || e.Status == 0):
				incomplete = append(incomplete, msg.Raw(id))
			}
		}
	}
	for _, e := range in {
		if e.RequestID == "" {
			incomplete = append(incomplete, msg.F("%s %s without a request id", e.Method, e.Path))
		}
	}
	return w.evidence.Check("GP-W-AUDIT", msg.F("every request id the system reported in the audit log with its time and status, every logged request with one"),
		msg.F("%d request ids reported, %d requests logged; not in the log: %s; incomplete: %s", reported, len(in), list(missing), list(incomplete)),
		reported > 0 && len(missing) == 0 && len(incomplete) == 0)
}

// readingRequest says id is a request of the reading API (a system may list those too).
func (w *World) readingRequest(id string) bool {
	for _, r := range w.contour.GEPS.Requests() {
		if r.RequestID == id {
			return true
		}
	}
	return false
}

// pushSettled says Gospochta acknowledged or gave up pushing state to the sender.
func pushSettled(m post.Message, state string) bool {
	for _, n := range m.Notifications {
		if n.State == state && (n.Acknowledged || n.Attempts >= 5) {
			return true
		}
	}
	return false
}

func (w *World) statesPushed() error {
	var seen, bad []msg.Text
	msgs := w.contour.Post.Messages()
	for _, m := range msgs {
		for _, state := range []string{wire.StateDelivered, wire.StateRead} {
			i := slices.IndexFunc(m.Notifications, func(n post.Notification) bool { return n.State == state })
			switch {
			case i < 0:
				bad = append(bad, msg.F("%s: %s never pushed", m.ID, state))
			case !m.Notifications[i].Acknowledged:
				n := m.Notifications[i]
				bad = append(bad, msg.F("%s: %s pushed %d times, not acknowledged (last HTTP %d %s)", m.ID, state, n.Attempts, n.Status, n.Err))
			default:
				seen = append(seen, msg.F("%s %s", m.ID, state))
			}
		}
	}
	return w.evidence.Check("GP-W-STATES", msg.F("the states delivered and read of every message pushed to its notifyUrl and answered 2xx"),
		msg.F("acknowledged: %s; not: %s", list(seen), list(bad)), len(msgs) > 0 && len(bad) == 0)
}

// confirmedInTime: GP-W-DELIVERY, the sender held the act of acceptance of each message within
// 5 minutes of Gospochta accepting it.
func (w *World) confirmedInTime() error {
	limit := w.suite.timing.Confirm
	msgs := w.contour.Post.Messages()
	var late []msg.Text
	var longest time.Duration
	for _, m := range msgs {
		if m.FirstReceiptFetch.IsZero() {
			late = append(late, msg.F("%s: act never fetched", m.ID))
			continue
		}
		d := m.FirstReceiptFetch.Sub(m.AcceptedAt)
		longest = max(longest, d)
		if d > limit {
			late = append(late, msg.F("%s: %s", m.ID, d.Round(time.Millisecond)))
		}
	}
	return w.evidence.Check("GP-W-DELIVERY", msg.F("every act of acceptance held within %s of sending%s", limit, w.suite.timing.note()),
		msg.F("%d messages, the longest %s; late: %s", len(msgs), longest.Round(time.Millisecond), list(late)), len(msgs) > 0 && len(late) == 0)
}

// refreshed: GP-W-REFRESH, after ESIA expired its tokens the system met a 401 token.expired and its
// next token came from its refresh token, with no new assertion.
func (w *World) refreshed() error {
	if w.expiredAt.IsZero() {
		return msg.Errorf("the scenario did not expire the system's tokens")
	}
	var after []msg.Text
	refreshes, assertions := 0, 0
	for _, e := range w.esiaEvents() {
		if e.Time.Before(w.expiredAt) {
			continue
		}
		after = append(after, msg.F("%s %s", e.Grant, e.Outcome))
		switch {
		case e.Grant == esia.GrantRefreshToken && e.Outcome == esia.Issued:
			refreshes++
		case e.Grant == esia.GrantJWTBearer:
			assertions++
		}
	}
	expired := 0
	for _, e := range w.inbound() {
		if e.Code == wire.CodeTokenExpired {
			expired++
		}
	}
	return w.evidence.Check("GP-W-REFRESH", msg.F("after the expiry a 401 token.expired, then the token renewed by refresh_token, no new JWT assertion"),
		msg.F("%d answers token.expired; ESIA after the expiry: %s", expired, list(after)), expired > 0 && refreshes > 0 && assertions == 0)
}

// noMessage: GP-W-ROLE, a system whose employee holds only the role client tried to send (ESIA
// refused its assertion for a sending role, or Gospochta its token with 403) and no message of it
// was accepted.
func (w *World) noMessage() error {
	msgs := w.contour.Post.Messages()
	var ids []string
	var tried []msg.Text
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	for _, e := range w.esiaEvents() {
		if e.Outcome == esia.Refused && e.Breach != nil && e.Breach.Field.String() == "role" {
			tried = append(tried, msg.F("ESIA refused the assertion: %s", e.Breach))
		}
	}
	tried = append(tried, refusals(w.inbound(), "GP-W-ROLE")...)
	return w.evidence.Check("GP-W-ROLE", msg.F("the sending role refused (ESIA or 403) and no message accepted from a system whose employee holds only the role client"),
		msg.F("refusals: %s; messages: %s", list(tried), list(values(ids))), len(tried) > 0 && len(msgs) == 0)
}

// reportedFailed: the system told its user the action failed rather than claiming success.
func (w *World) reportedFailed(ruleID string) error {
	r := w.last().result
	return w.evidence.Check(ruleID, msg.F("outcome failed, with the refusal in error"),
		msg.F("outcome %q%s", r.Outcome, errorText(r)), r.Outcome == trigger.Failed && r.Error != "")
}

// receiptRefused: GP-W-RECEIPT, a sender that fetched an act of acceptance whose signature does
// not verify against the CA it trusts reports it refused, not the message delivered.
func (w *World) receiptRefused() error {
	r := w.last().result
	m, ok := w.contour.Post.Message(r.MessageID)
	if !ok && len(w.contour.Post.Messages()) > 0 {
		m, ok = w.contour.Post.Messages()[0], true
	}
	fetched := ok && m.ReceiptFetches > 0
	return w.evidence.Check("GP-W-RECEIPT", msg.F("the act fetched, its signature found not to verify, outcome refused"),
		msg.F("act fetched %t; outcome %q, state %q%s", fetched, r.Outcome, r.State, errorText(r)), fetched && r.Outcome == trigger.Refused)
}
