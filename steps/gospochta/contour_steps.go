package gospochta

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/cucumber/godog"

	gp "github.com/shepconf/shepconf/assembly/gospochta"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// register binds the sentences of features/gospochta to the World's methods.
func (w *World) register(sc *godog.ScenarioContext) {
	sc.Step(`^the Gospochta contour runs with its recipients$`, w.contourRuns)
	sc.Step(`^Gospochta signs its acts of acceptance with a certificate of another CA$`, w.foreignReceipts)
	sc.Step(`^the system under test is registered with the roles operator, head and client$`, func() error {
		return w.registerSystem(wire.RoleOperator, wire.RoleHead, wire.RoleClient)
	})
	sc.Step(`^the system under test is registered with the role (client|operator) only$`, func(role string) error {
		return w.registerSystem(role)
	})
	sc.Step(`^the organisation's Gospochta holds (\d+) notices of yesterday and (\d+) of the day before$`, w.fillMailbox)
	sc.Step(`^the organisation has used its searches of today$`, w.quotaUsed)
	sc.Step(`^Gospochta's next search for the organisation ends in ERROR$`, w.nextSearchFails)
	sc.Step(`^ESIA lets the tokens of the system under test expire$`, w.expireTokens)

	sc.Step(`^the system under test is made to send a "([^"]+)" to recipient "([^"]+)"$`, w.send)
	sc.Step(`^the recipient reads the message$`, w.recipientReads)
	sc.Step(`^the system under test is made to read its Gospochta over the last (\d+) days?$`, w.read)
	sc.Step(`^the system under test is made to send (\d+) messages at (\d+) a second$`, w.sendMany)

	w.registerSenderJudgements(sc)
	w.registerReaderJudgements(sc)
}

func (w *World) contourRuns() error { return w.startContour(nil) }

// foreignReceipts restarts the scenario's contour (before anything is registered in it) with acts
// of acceptance signed by a CA the system does not trust (GP-W-RECEIPT).
func (w *World) foreignReceipts(ctx context.Context) error {
	other, err := nca.New("Another CA")
	if err != nil {
		return err
	}
	signer, err := other.Issue(nca.Subject{CommonName: gp.ServiceName, Organization: gp.ServiceName}, w.suite.opts.KeyAlgorithm)
	if err != nil {
		return err
	}
	w.contour.Close(ctx)
	return w.startContour(signer)
}

func (w *World) startContour(receiptSigner *pki.Identity) error {
	s := w.suite
	t := s.timing
	c, err := gp.Start(gp.Config{NCA: s.ca, Key: s.opts.KeyAlgorithm, Trust: s.opts.SUT.Chain, ReceiptSigner: receiptSigner,
		SearchWait: t.SearchWait, DeliveryDelay: t.Delivery, ReadDelay: t.Read, RetryPause: t.Retry})
	if err != nil {
		return err
	}
	w.contour = c
	if err := c.AddRecipients(); err != nil {
		return err
	}
	w.evidence.AttachJSON("contour.json", map[string]string{"contour": c.URL, "sending API": c.URL + wire.SendBase,
		"reading API": c.URL + wire.ReadBase, "ESIA": c.URL})
	return nil
}

// registerSystem enters the system in ESIA and Gospochta with its employee's roles.
func (w *World) registerSystem(roles ...string) error {
	s := w.suite
	cert := s.opts.SUT.Certificate
	if s.opts.SUT.Demonstration() {
		cert = s.identity.Certificate
	}
	reg, err := w.contour.Register(gp.SystemSpec{Mnemonic: s.opts.SUT.mnemonic(), Certificate: cert, Roles: roles})
	if err != nil {
		return msg.Errorf("register the system under test: %w", err)
	}
	w.reg = reg
	w.evidence.AttachJSON("registration.json", map[string]any{"mnemonic": reg.Mnemonic, "organisation": reg.OrgOID, "roles": roles})
	return nil
}

// fillMailbox puts notices in the organisation's mailbox: recent ones within the last day and older
// ones within the day before, so that a read over two days needs two searches (GP-R-RANGE).
func (w *World) fillMailbox(recent, older int) error {
	now := time.Now()
	for _, batch := range []struct {
		start time.Time
		n     int
	}{{now.Add(-47 * time.Hour), older}, {now.Add(-23 * time.Hour), recent}} {
		msgs, err := w.contour.SampleMail(w.reg.OrgOID, batch.start, batch.n)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			mm := mailed{thread: m.ThreadUUID, message: m.MessageUUID, created: m.Created}
			for _, f := range m.Attachments {
				mm.files = append(mm.files, mailFile{uuid: f.UUID, ready: f.Status == wire.AttachmentReady, signed: f.Signature != nil,
					forged: strings.HasPrefix(f.Name, gp.ForgedPrefix), deleted: f.Status == wire.AttachmentDeleted})
			}
			w.mail = append(w.mail, mm)
		}
	}
	return nil
}

func (w *World) quotaUsed() error {
	w.contour.GEPS.UseQuota(w.reg.OrgOID, wire.SearchesPerDay, 0)
	return nil
}

func (w *World) nextSearchFails() error {
	w.contour.GEPS.FailNextSearch(w.reg.OrgOID)
	return nil
}

func (w *World) expireTokens() error {
	w.contour.ESIA.ExpireTokens(w.reg.Mnemonic)
	w.expiredAt = time.Now()
	return nil
}

// request is a trigger request on the Gospochta channel for the scenario's contour.
func (w *World) request(action string) trigger.Request {
	s := w.suite
	return trigger.Request{Action: action, Channel: trigger.Gospochta, Gateway: w.contour.URL, Auth: w.contour.URL,
		CA:        string(pki.PEM(s.ca.Intermediate(), s.ca.Root())),
		Gospochta: &trigger.GospochtaRequest{Mnemonic: w.reg.Mnemonic}}
}

// sampleDocument is the document of every message the harness asks for: its name and bytes.
const sampleDocument = "izveshchenie.pdf"

func documentBytes(kind, recipient string, n int) []byte {
	return []byte(fmt.Sprintf("%%PDF-1.4\n%% %s № %d для %s\n%%%%EOF\n", kind, n, recipient))
}

// personalData are the clear personal-data fields of a recipient, which the system must encrypt.
func personalData(recipient string) map[string]string {
	for _, r := range gp.Recipients {
		if r.ID == recipient && r.Kind == "organisation" {
			return map[string]string{wire.FieldFullName: r.Name, "inn": "7701234567", "address": "г. Москва, ул. Тверская, д. 1"}
		}
		if r.ID == recipient {
			return map[string]string{wire.FieldFullName: r.Name, "snils": "112-233-445 95", "birthDate": "1980-01-31"}
		}
	}
	return map[string]string{wire.FieldFullName: "Получатель " + recipient}
}

// sendRequest asks the system to send a message of kind to recipient; it waits for the act of
// acceptance, which comes within the 5 minutes (GP-W-DELIVERY) when all goes well.
func (w *World) sendRequest(kind, recipient string, n int) trigger.Request {
	r := w.request(trigger.Send)
	r.Files = map[string]string{sampleDocument: base64.StdEncoding.EncodeToString(documentBytes(kind, recipient, n))}
	g := r.Gospochta
	g.HMACKey = base64.StdEncoding.EncodeToString(w.reg.HMACKey)
	g.Kind, g.Recipient, g.Document = kind, recipient, sampleDocument
	g.Subject = fmt.Sprintf("Извещение № %d", n)
	g.PersonalData = personalData(recipient)
	r.Timeout = (w.suite.timing.Confirm + time.Minute).String()
	return r
}

func (w *World) send(ctx context.Context, kind, recipient string) error {
	return w.fire(ctx, w.sendRequest(kind, recipient, len(w.fired)+1))
}

// recipientReads waits until the recipient has read the last message sent (Gospochta's read delay)
// and Gospochta has pushed that state, or given up pushing it.
func (w *World) recipientReads(ctx context.Context) error {
	id := w.last().result.MessageID
	if id == "" {
		return nil // nothing was sent to read: the judgement of the pushes says so, naming its rule
	}
	t := w.suite.timing
	deadline := time.Now().Add(t.Read + 6*t.Retry + 10*time.Second)
	for time.Now().Before(deadline) {
		if m, ok := w.contour.Post.Message(id); ok && pushSettled(m, wire.StateRead) {
			return nil
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil // the judgement says what was (not) pushed
}

// read asks the system to read its organisation's Gospochta over the last days.
func (w *World) read(ctx context.Context, days int) error {
	now := time.Now().In(wire.Moscow)
	r := w.request(trigger.Receive)
	r.APIKey = string(w.reg.APIKey)
	g := r.Gospochta
	g.From = now.Add(-time.Duration(days) * 24 * time.Hour).Format(wire.TimeLayout)
	g.To = now.Format(wire.TimeLayout)
	g.StatusFilter = wire.FilterAny
	// A reader may follow the published advice and fetch a search's list an hour after ordering it:
	// the harness waits that long for each day (shrunk with the time scale), though its lists are
	// ready sooner.
	t := w.suite.timing
	hour := time.Duration(float64(wire.DefaultSearchWait) * t.Scale)
	r.Timeout = (time.Duration(days+1)*(hour+t.SearchWait) + time.Minute).String()
	return w.fire(ctx, r)
}

func (w *World) fire(ctx context.Context, r trigger.Request) error {
	w.evidence.AttachJSON(fmt.Sprintf("trigger request %d.json", len(w.fired)+1), steps.RedactedTrigger(r))
	timeout, _ := time.ParseDuration(r.Timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	f := firing{request: r, at: time.Now()}
	f.result, f.err = w.suite.trigger.Fire(ctx, r)
	f.end = time.Now()
	w.fired = append(w.fired, f)
	if f.err != nil {
		return msg.Errorf("the system under test could not be made to act: %w", f.err)
	}
	w.evidence.AttachJSON(fmt.Sprintf("system under test's result %d.json", len(w.fired)), f.result)
	return nil
}
