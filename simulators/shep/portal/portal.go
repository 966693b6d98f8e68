package portal

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/forms"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// Environment is a gateway environment the operator grants access to: test or
// production. *gateway.Registry is one.
type Environment interface {
	AddSystem(gateway.System)
	AddService(gateway.Service)
	Grant(serviceID, systemID string) bool
	Service(id string) (gateway.Service, bool)
}

// Config is what a portal runs on.
type Config struct {
	Clock      clock.Clock
	Calendar   *clock.Calendar
	Test       Environment
	Production Environment
	Roots      *x509.CertPool // the NCA: test acts must be signed with its certificates
}

// Party is an organisation and its information system as the procedures know them. For the §1
// initiator there is no form: the party is stated with the request of R-10.
type Party struct {
	Name, BIN, System          string
	PasswordTest, PasswordProd string
}

// Passport is a service's entry in the published registry.
type Passport struct {
	Key          string
	Mode         forms.Mode
	Owner        Party
	Publication  forms.Publication
	Requirements forms.Requirements
	PublishedAt  time.Time
}

// Event is one entry of an application's history: evidence of who did what, when, under which clause.
type Event struct {
	Time        time.Time
	Actor       Actor
	Action      Action
	Clause      string
	From, To    State
	WorkingDays int      // working days the actor took in the waiting state
	Note        msg.Text // reasons, findings, the hand-over of R-31
}

// Missed is a deadline that ran out: reported with the working days elapsed, never hidden.
type Missed struct {
	Clause      string
	Actor       Actor
	State       State
	Since       time.Time // notification: the wait began
	Deadline    time.Time // the end of the last day allowed
	At          time.Time // when the actor acted, or when the overrun was observed
	Limit       msg.Text  // "2 working days", "3 months"
	WorkingDays int       // working days elapsed
}

func (m Missed) String() string { return m.Text().String() }

// Text is the missed deadline as an explanation, in the reader's language.
func (m Missed) Text() msg.Text {
	return msg.F("%s: the %s had %s from %s (due by the end of %s) and took %d working days",
		m.Clause, m.Actor, m.Limit, m.Since.Format(time.DateOnly), m.Deadline.AddDate(0, 0, -1).Format(time.DateOnly), m.WorkingDays)
}

// Notification is a portal notification.
type Notification struct {
	Time   time.Time
	To     Actor
	Clause string
	Text   msg.Text
}

// Application is one procedure in progress.
type Application struct {
	ID             string
	Machine        *Machine
	State          State
	Entered        time.Time // the notification that started the current wait
	TestingStarted time.Time // the grant of test access
	Key            string
	Initiator      Party
	Owner          Party
	Requirements   *forms.Requirements
	Publication    *forms.Publication
	Connection     *forms.Connection
	Act            []byte // the test act as last signed
	Confirmed      []journal.Exchange
	History        []Event
	Missed         []Missed
	Notifications  []Notification
}

// Input is what an action carries.
type Input struct {
	Reason       string // a return or a refusal states its reasons
	Requirements *forms.Requirements
	Publication  *forms.Publication
	Connection   *forms.Connection
	SignedAct    []byte
	Exchange     *journal.Exchange
}

// Portal is the simulated portal. It is safe for concurrent use.
type Portal struct {
	cfg       Config
	mu        sync.Mutex
	apps      map[string]*Application
	passports map[string]*Passport
	seq       int
}

// New returns a portal with an empty published registry.
func New(cfg Config) *Portal {
	return &Portal{cfg: cfg, apps: map[string]*Application{}, passports: map[string]*Passport{}}
}

// Now is the portal's time.
func (p *Portal) Now() time.Time { return p.cfg.Clock.Now() }

// Search finds a published service by key: services not yet published are not found.
func (p *Portal) Search(key string) (Passport, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pp, ok := p.passports[key]
	if !ok {
		return Passport{}, false
	}
	return *pp, true
}

// Application returns a copy of an application.
func (p *Portal) Application(id string) (Application, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.apps[id]
	if !ok {
		return Application{}, false
	}
	c := *a
	c.History = append([]Event(nil), a.History...)
	c.Missed = append([]Missed(nil), a.Missed...)
	c.Notifications = append([]Notification(nil), a.Notifications...)
	return c, true
}

func (p *Portal) newApp(m *Machine, key string) *Application {
	p.seq++
	a := &Application{ID: fmt.Sprintf("APP-%04d", p.seq), Machine: m, State: m.Start, Entered: p.Now(), Key: key}
	p.apps[a.ID] = a
	return a
}

func (a *Application) event(at time.Time, by Actor, act Action, clause string, from, to State, wd int, note msg.Text) {
	a.History = append(a.History, Event{Time: at, Actor: by, Action: act, Clause: clause, From: from, To: to, WorkingDays: wd, Note: note})
}

func (a *Application) notify(at time.Time, to Actor, clause string, text msg.Text) {
	a.Notifications = append(a.Notifications, Notification{Time: at, To: to, Clause: clause, Text: text})
}

// RequestRecommendation starts §1: the initiator asks the service integrator which owner
// holds the data, only when no published service has that key.
func (p *Portal) RequestRecommendation(init Party, key string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.passports[key]; ok {
		return "", &rule.Breach{Rule: "R-10", Field: msg.F("service key"), Expected: msg.F("a service absent from the registry"),
			Observed: msg.F("%s is published", key), Fix: msg.F("apply for connection to it instead (clauses 32-45)")}
	}
	a := p.newApp(PublicationByInitiator, key)
	a.Initiator = init
	a.event(a.Entered, Initiator, AskRecommendation, "R-10", "", a.State, 0, msg.F("service key %s", key))
	a.notify(a.Entered, Integrator, "R-11", msg.F("a request for a recommendation awaits review"))
	return a.ID, nil
}

// SubmitOwnerPublication starts §2: the owner checks the service is absent from the registry,
// fills Appendices 2 and 3, attaches XSD and samples and accepts the integration conditions. When
// the application names a client (A3 field 34), it continues under clauses 14-27.
func (p *Portal) SubmitOwnerPublication(req forms.Requirements, pub forms.Publication) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.passports[pub.ServiceKey]; ok {
		return "", &rule.Breach{Rule: "R-28", Field: forms.Field("A3-F", "22"), Expected: msg.F("a service absent from the published registry"),
			Observed: msg.F("%s is already published", pub.ServiceKey), Fix: msg.F("choose another key or modify the published service")}
	}
	if !pub.AcceptsConditions {
		return "", &rule.Breach{Rule: "R-28", Field: msg.F("integration conditions"), Expected: msg.F("accepted"), Observed: msg.F("not accepted"), Fix: msg.F("accept the integration conditions")}
	}
	if err := checkPublication(&req, &pub); err != nil {
		return "", err
	}
	a := p.newApp(PublicationByOwner, pub.ServiceKey)
	a.Requirements, a.Publication = &req, &pub
	a.Owner = ownerOf(pub)
	a.event(a.Entered, Owner, SendPublication, "R-28", "", a.State, 0, msg.Text{})
	if pub.Client != "" {
		// a named client makes this the procedure of clauses 14-27, from the operator's check.
		from := a.State
		a.Machine, a.State = PublicationByInitiator, OperatorChecksPub
		a.Initiator = Party{Name: pub.Client}
		a.event(a.Entered, Owner, SendPublication, "R-31", from, a.State, 0, msg.F("client named in A3 field 34: continues under clauses 14-27"))
	}
	a.notify(a.Entered, Operator, a.Machine.Waits[a.State].Clause, msg.F("an application for publication awaits checking"))
	return a.ID, nil
}

// SetInitiatorSystem names the client's system on an R-31 application (A3 field 34 names only the
// organisation); the operator needs it to grant access under R-19.
func (p *Portal) SetInitiatorSystem(id string, init Party) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.apps[id]
	if !ok {
		return msg.Errorf("no application %s", id)
	}
	a.Initiator = init
	return nil
}

// ApplyForConnection starts §3: the initiator fills Appendix 5 for a published service.
func (p *Portal) ApplyForConnection(conn forms.Connection) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pp, ok := p.passports[conn.ServiceKey]
	if !ok {
		return "", &rule.Breach{Rule: "R-32", Field: forms.Field("A5-F", "24"), Expected: msg.F("the key of a published service"),
			Observed: msg.F("%q is not in the registry", conn.ServiceKey), Fix: msg.F("search the registry; an unpublished service needs publication first (clauses 10-31)")}
	}
	if err := checkConnection(&conn, pp); err != nil {
		return "", err
	}
	a := p.newApp(Connection, conn.ServiceKey)
	a.Connection = &conn
	a.Owner = pp.Owner
	a.Initiator = initiatorOf(conn)
	a.event(a.Entered, Initiator, SendConnection, "R-33", "", a.State, 0, msg.Text{})
	a.notify(a.Entered, Owner, "R-34", msg.F("an application for connection awaits review"))
	return a.ID, nil
}

// Act has actor by take action act on application id. It fails, changing nothing, when the procedure
// has ended, when the action is not open in the current state, when another actor must act, or
// when the input breaks a rule. A late action is taken and its missed deadline recorded.
func (p *Portal) Act(id string, by Actor, act Action, in Input) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.apps[id]
	if !ok {
		return msg.Errorf("no application %s", id)
	}
	if clause, done := a.Machine.Terminal[a.State]; done {
		return &rule.Breach{Rule: clause, Field: msg.Raw(a.ID), Expected: msg.F("no further action: the procedure has ended"),
			Observed: msg.F("the %s tried to %s in the final state %q", by, act, a.State), Fix: msg.F("start a new application")}
	}
	t, ok := a.Machine.find(a.State, act)
	if !ok {
		wait := a.Machine.Waits[a.State]
		return &rule.Breach{Rule: wait.Clause, Field: msg.Raw(a.ID), Expected: msg.F("one of: %s", describe(a.Machine.allowed(a.State))),
			Observed: msg.F("the %s tried to %s while %s", by, act, a.State), Fix: msg.F("take one of the actions open in this state")}
	}
	if t.By != by {
		return &rule.Breach{Rule: t.Clause, Field: msg.Raw(a.ID), Expected: msg.F("only the %s may %s (%s)", t.By, act, t.Clause),
			Observed: msg.F("the %s tried to", by), Fix: msg.F("wait for the %s", t.By)}
	}
	now := p.Now()
	note, err := p.guard(a, t, in, now)
	if err != nil {
		return err
	}
	wd, err := p.cfg.Calendar.WorkingDaysBetween(a.Entered, now)
	if err != nil {
		return err
	}
	if t.To != t.From {
		if m, late, err := p.deadline(a, now); err != nil {
			return err
		} else if late {
			a.Missed = append(a.Missed, m)
		}
	}
	if err := p.effect(a, t, now); err != nil {
		return err
	}
	a.event(now, by, act, t.Clause, t.From, t.To, wd, note)
	if t.To != t.From {
		a.State, a.Entered = t.To, now
		if w, ok := a.Machine.Waits[t.To]; ok {
			a.notify(now, w.Actor, w.Clause, msg.F("%s: action needed", t.To))
		}
	}
	return nil
}

// Overdue reports the current wait of an application when its deadline has run out by now.
func (p *Portal) Overdue(id string) (Missed, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.apps[id]
	if !ok {
		return Missed{}, false, msg.Errorf("no application %s", id)
	}
	return p.deadline(a, p.Now())
}

// deadline checks the current wait of a against at.
func (p *Portal) deadline(a *Application, at time.Time) (Missed, bool, error) {
	w, ok := a.Machine.Waits[a.State]
	if !ok || (w.WorkingDays == 0 && w.Months == 0) {
		return Missed{}, false, nil
	}
	m := Missed{Clause: w.Clause, Actor: w.Actor, State: a.State, Since: a.Entered, At: at}
	var err error
	if w.Months > 0 {
		m.Since = a.TestingStarted
		m.Deadline = clock.MonthsDeadline(a.TestingStarted, w.Months)
		m.Limit = msg.F("%d months", w.Months)
	} else if m.Deadline, err = p.cfg.Calendar.Deadline(a.Entered, w.WorkingDays); err != nil {
		return m, false, err
	} else {
		m.Limit = msg.F("%d working days", w.WorkingDays)
	}
	if m.WorkingDays, err = p.cfg.Calendar.WorkingDaysBetween(m.Since, at); err != nil {
		return m, false, err
	}
	return m, !at.Before(m.Deadline), nil
}

// describe lists transitions as "the operator approves ... (R-17)", in the order of their English.
func describe(ts []Transition) msg.Text {
	parts := make([]msg.Text, len(ts))
	for i, t := range ts {
		parts[i] = msg.F("the %s %s (%s)", t.By, t.Action, t.Clause)
	}
	slices.SortFunc(parts, func(a, b msg.Text) int { return strings.Compare(a.String(), b.String()) })
	return msg.Join(parts, "; ")
}

func ownerOf(pub forms.Publication) Party {
	return Party{Name: pub.OwnerName, BIN: pub.OwnerIINBIN, System: pub.SystemLogin, PasswordTest: pub.PasswordTest, PasswordProd: pub.PasswordProduction}
}

func initiatorOf(c forms.Connection) Party {
	return Party{Name: c.InitiatorName, BIN: c.InitiatorIINBIN, System: c.SystemLogin, PasswordTest: c.PasswordTest, PasswordProd: c.PasswordProduction}
}

func checkPublication(req *forms.Requirements, pub *forms.Publication) error {
	var all forms.Problems
	for _, err := range []error{req.Validate(), pub.Validate(), pub.ConsistentWith(*req)} {
		if p, ok := err.(forms.Problems); ok {
			all = append(all, p...)
		}
	}
	return all.Err()
}

func checkConnection(c *forms.Connection, pp *Passport) error {
	var all forms.Problems
	for _, err := range []error{c.Validate(), c.Matches(pp.Key, pp.Mode)} {
		if p, ok := err.(forms.Problems); ok {
			all = append(all, p...)
		}
	}
	return all.Err()
}
