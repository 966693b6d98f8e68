package shep

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/fixtures"
	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/forms"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
	"github.com/shepconf/shepconf/simulators/shep/portal"
)

// The systems of the portal scenarios.
const (
	portalOwnerSys = "OWNER_SYS"
	portalInitSys  = "INITIATOR_SYS"
)

// portalWorld is the state of a procedure scenario: the portal on its virtual clock, the two gateway
// environments the operator grants access to, and the application being followed.
type portalWorld struct {
	*World
	clock      *clock.Virtual
	calendar   *clock.Calendar
	portal     *portal.Portal
	env        map[string]gatewayEnv
	ownerURL   string
	ownerParty portal.Party
	initParty  portal.Party
	app        string
	act        []byte // the test act as last signed
	refused    error  // the portal's answer to an action a scenario expects to be refused
}

type gatewayEnv struct {
	registry *gateway.Registry
	url      string
}

func init() { stepSets = append(stepSets, registerPortalSteps) }

func registerPortalSteps(w *World, sc *godog.ScenarioContext) {
	p := &portalWorld{World: w}
	sc.Step(`^the portal runs on a virtual clock from "([^"]*)"$`, p.portalRuns)
	sc.Step(`^the initiator asks the service integrator which owner holds the data for "([^"]*)"$`, p.asksRecommendation)
	sc.Step(`^the initiator asks the service integrator which owner holds the data for "([^"]*)" again$`, p.asksAgain)
	sc.Step(`^the owner applies to publish "([^"]*)"( naming the initiator as its client)?$`, p.ownerApplies)
	sc.Step(`^"([^"]*)" is published on the owner's initiative$`, p.publishedByOwner)
	sc.Step(`^the initiator applies for connection to "([^"]*)"$`, p.appliesForConnection)
	sc.Step(`^after (\d+) working days? the (service integrator|initiator|owner|operator) (.+)$`, p.afterWorkingDays)
	sc.Step(`^after (\d+) calendar days? the (service integrator|initiator|owner|operator) (.+)$`, p.afterCalendarDays)
	sc.Step(`^the (service integrator|initiator|owner|operator) (.+) without giving a reason$`, p.triesWithoutReason)
	sc.Step(`^the initiator applies for connection to the unpublished "([^"]*)"$`, p.appliesUnpublished)
	sc.Step(`^the (service integrator|initiator|owner|operator) wrongly (.+)$`, p.triesTo)
	sc.Step(`^the portal refuses it, citing "([^"]*)"$`, p.refusedCiting)
	sc.Step(`^the portal refuses it, citing "([^"]*)" and naming "([^"]*)"$`, p.refusedCitingField)
	sc.Step(`^the owner applies to publish "([^"]*)" with (.+)$`, p.ownerAppliesBroken)
	sc.Step(`^the initiator applies for connection to "([^"]*)" with (.+)$`, p.appliesBroken)
	sc.Step(`^(\d+) working days pass$`, p.workingDaysPass)
	sc.Step(`^the application stands at "([^"]*)"$`, p.standsAt)
	sc.Step(`^the deadline of "([^"]*)" was kept$`, p.deadlineKept)
	sc.Step(`^the deadline of "([^"]*)" was missed with (\d+) working days elapsed$`, p.deadlineMissed)
	sc.Step(`^the portal reports the deadline of "([^"]*)" overrun with (\d+) working days elapsed$`, p.overdue)
	sc.Step(`^the history records each step with its time, actor and clause$`, p.historyComplete)
	sc.Step(`^the (authorized body|service integrator) was notified under "([^"]*)"$`, p.notified)
	sc.Step(`^the service "([^"]*)" is (not )?found in the registry$`, p.foundInRegistry)
	sc.Step(`^the initiator calls "([^"]*)" in the (test|production) environment$`, p.callsIn)
	sc.Step(`^the owner calls "([^"]*)" in the (test|production) environment$`, p.ownerCallsIn)
}

// ---- actors ----

func (p *portalWorld) portalRuns(start string) error {
	t, err := time.ParseInLocation("2006-01-02 15:04", start, clock.Astana)
	if err != nil {
		return err
	}
	if p.calendar, err = clock.LoadCalendar(fixtures.Calendar()); err != nil {
		return err
	}
	p.clock = clock.NewVirtual(t)
	// Two gateway environments, each a real gateway: production first, then test, which stays the
	// World's current gateway.
	p.env = map[string]gatewayEnv{}
	for _, name := range []string{"production", "test"} {
		if err := p.gatewayRuns(); err != nil {
			return err
		}
		p.env[name] = gatewayEnv{registry: p.registry, url: p.gatewayURL}
	}
	for _, sys := range []string{portalOwnerSys, portalInitSys} {
		if _, err := p.issue(sys, p.suite.Key); err != nil {
			return err
		}
	}
	// The reference owner system runs but is in no registry until the procedure publishes it.
	p.owner = owner.New(portalOwnerSys, p.suite.OwnerOmit...)
	p.owner.Checker, p.owner.GatewayID = p.suite.checker(), binOf(gatewaySystem)
	p.owner.Identity = p.identities[portalOwnerSys]
	srv, err := server.Start("127.0.0.1:0", p.owner)
	if err != nil {
		return err
	}
	p.servers = append(p.servers, srv)
	p.ownerURL = srv.URL() + "/sync"
	p.ownerParty = portal.Party{Name: "Owner agency", BIN: binOf(portalOwnerSys), System: portalOwnerSys, PasswordTest: randomPassword(), PasswordProd: randomPassword()}
	p.initParty = portal.Party{Name: "Initiator agency", BIN: binOf(portalInitSys), System: portalInitSys, PasswordTest: randomPassword(), PasswordProd: randomPassword()}
	// The initiator's system already works with the gateway (A5 field 20) but has no access to the
	// service: the gateway must refuse it with SCE003 until the operator grants access.
	p.env["test"].registry.AddSystem(gateway.System{ID: portalInitSys, Password: p.initParty.PasswordTest, Identifier: p.initParty.BIN})
	p.env["production"].registry.AddSystem(gateway.System{ID: portalInitSys, Password: p.initParty.PasswordProd, Identifier: p.initParty.BIN})
	p.portal = portal.New(portal.Config{Clock: p.clock, Calendar: p.calendar, Test: p.env["test"].registry,
		Production: p.env["production"].registry, Roots: p.suite.NCA.Roots()})
	p.attachJSON("working calendar", map[string]any{"years": p.calendar.Years(), "to confirm": p.calendar.ToConfirm()})
	return nil
}

func (p *portalWorld) cert(sys string) *x509.Certificate { return p.identities[sys].Certificate }

func (p *portalWorld) requirements(key string) forms.Requirements {
	return portal.ReferenceRequirements(key, p.ownerParty)
}

func (p *portalWorld) publication(key string) forms.Publication {
	return portal.ReferencePublication(key, p.ownerParty, p.ownerURL, p.ownerURL, p.cert(portalOwnerSys))
}

func (p *portalWorld) asksRecommendation(key string) error {
	id, err := p.portal.RequestRecommendation(p.initParty, key)
	p.app = id
	return err
}

func (p *portalWorld) asksAgain(key string) {
	_, p.refused = p.portal.RequestRecommendation(p.initParty, key)
}

func (p *portalWorld) ownerApplies(key, client string) error {
	pub := p.publication(key)
	if client != "" {
		pub.Client = p.initParty.Name + ", BIN " + p.initParty.BIN
	}
	id, err := p.portal.SubmitOwnerPublication(p.requirements(key), pub)
	if err != nil {
		return err
	}
	p.app = id
	if client != "" {
		return p.portal.SetInitiatorSystem(id, p.initParty)
	}
	return nil
}

func (p *portalWorld) publishedByOwner(key string) error {
	if err := p.ownerApplies(key, ""); err != nil {
		return err
	}
	for _, a := range []portal.Action{portal.ApprovePublication, portal.Publish} {
		if err := p.portal.Act(p.app, portal.Operator, a, portal.Input{}); err != nil {
			return err
		}
	}
	return nil
}

func (p *portalWorld) connection(key string) forms.Connection {
	return portal.ReferenceConnection(key, p.ownerParty, p.initParty, p.cert(portalInitSys))
}

func (p *portalWorld) appliesForConnection(key string) error {
	id, err := p.portal.ApplyForConnection(p.connection(key))
	p.app = id
	return err
}

// ---- broken documents ----

func (p *portalWorld) ownerAppliesBroken(key, defect string) error {
	req, pub := p.requirements(key), p.publication(key)
	switch defect {
	case "a request sample that breaks its own XSD":
		pub.RequestSample = []byte(`<request xmlns="urn:shepconf:reference"><uin>not-an-iin</uin></request>`)
	case "no response sample":
		pub.ResponseSample = nil
	case "a maximum processing time of 45 seconds":
		req.Performance.MaxProcessing = 45 * time.Second
	case "a peak load of 1000 requests per hour":
		req.Performance.PeakPerHour = 1000
	case "a service of a certification centre":
		pub.Exclusion = forms.CertificationAuth
	case "an open-data REST service":
		pub.Exclusion = forms.OpenDataREST
	case "the integration conditions not accepted":
		pub.AcceptsConditions = false
	case "nothing changed":
	case "a different service key in Appendix 2":
		req.ServiceKey = key + "_OTHER"
	default:
		return godog.ErrPending
	}
	_, p.refused = p.portal.SubmitOwnerPublication(req, pub)
	return nil
}

func (p *portalWorld) appliesUnpublished(key string) {
	_, p.refused = p.portal.ApplyForConnection(p.connection(key))
}

func (p *portalWorld) appliesBroken(key, defect string) error {
	c := p.connection(key)
	switch defect {
	case "the security act as a .txt file":
		c.SecurityAct = "act.txt"
	case "the integration conditions not accepted":
		c.AcceptsConditions = false
	case "an IIN/BIN of 11 digits":
		c.InitiatorIINBIN = "12345678901"
	default:
		return godog.ErrPending
	}
	_, p.refused = p.portal.ApplyForConnection(c)
	return nil
}

// ---- time and actions ----

func (p *portalWorld) workingDaysPass(n int) error {
	now := p.clock.Now()
	day, err := p.calendar.WorkingDaysAfter(now, n)
	if err != nil {
		return err
	}
	p.clock.AdvanceTo(day.Add(now.Sub(clock.Date(now))))
	return nil
}

func (p *portalWorld) afterWorkingDays(ctx context.Context, n int, actor, action string) error {
	if err := p.workingDaysPass(n); err != nil {
		return err
	}
	return p.do(ctx, actor, action, "see the remarks attached")
}

func (p *portalWorld) afterCalendarDays(ctx context.Context, n int, actor, action string) error {
	p.clock.Advance(time.Duration(n) * 24 * time.Hour)
	return p.do(ctx, actor, action, "see the remarks attached")
}

func (p *portalWorld) triesTo(ctx context.Context, actor, action string) error {
	p.refused = p.do(ctx, actor, action, "see the remarks attached")
	return nil
}

func (p *portalWorld) triesWithoutReason(ctx context.Context, actor, action string) error {
	p.refused = p.do(ctx, actor, action, "")
	return nil
}

// do takes an action with the input it needs: the reference documents, a test act signed by the
// right party, the last exchange of the gateway journal.
func (p *portalWorld) do(ctx context.Context, actor, action, reason string) error {
	a := portal.Action(action)
	app, ok := p.portal.Application(p.app)
	if !ok {
		return msg.Errorf("no application yet")
	}
	in := portal.Input{Reason: reason}
	var err error
	switch a {
	case portal.SendPublication, portal.ResendPublication:
		req, pub := p.requirements(app.Key), p.publication(app.Key)
		in.Requirements, in.Publication = &req, &pub
	case portal.ResendConnection:
		c := p.connection(app.Key)
		in.Connection = &c
	case portal.ConfirmExchange:
		x, err := p.journalExchange(ctx)
		if err != nil {
			return err
		}
		in.Exchange = &x
	case portal.FormAct, portal.ResendAct:
		in.SignedAct, err = p.newAct(app, actor)
	case portal.SignAct:
		in.SignedAct, err = p.signAs(p.act, actor)
	}
	if err != nil {
		return err
	}
	if err := p.portal.Act(p.app, portal.Actor(actor), a, in); err != nil {
		return err
	}
	if in.SignedAct != nil {
		p.act = in.SignedAct
		p.attach("test act signed by the "+actor+".xml", "application/xml", in.SignedAct)
	}
	return nil
}

func (p *portalWorld) systemOf(actor string) string {
	if actor == string(portal.Owner) {
		return portalOwnerSys
	}
	return portalInitSys
}

// signAs signs the act with the EDS of the actor's organisation. internal/forms signs acts with
// goxmldsig, which has no GOST 34.310: in a GOST run the act is signed with the companion
// certificate of the same organisation (joseCompanion), whose BIN the portal checks alike.
func (p *portalWorld) signAs(doc []byte, actor string) ([]byte, error) {
	id, err := p.joseCompanion(p.identities[p.systemOf(actor)])
	if err != nil {
		return nil, err
	}
	return forms.SignAct(doc, id.Key, append([]*x509.Certificate{id.Certificate}, id.Chain...))
}

func (p *portalWorld) newAct(app portal.Application, actor string) ([]byte, error) {
	doc, err := portal.ReferenceAct("act-"+app.ID, app.Key, p.ownerParty, p.initParty, p.clock.Now()).Marshal()
	if err != nil {
		return nil, err
	}
	return p.signAs(doc, actor)
}

// ---- calls through the gateway environments ----

func (p *portalWorld) use(env string) {
	e := p.env[env]
	p.registry, p.gatewayURL = e.registry, e.url
	p.passwords[portalInitSys] = p.initParty.PasswordTest
	p.passwords[portalOwnerSys] = p.ownerParty.PasswordTest
	if env == "production" {
		p.passwords[portalInitSys] = p.initParty.PasswordProd
		p.passwords[portalOwnerSys] = p.ownerParty.PasswordProd
	}
}

func (p *portalWorld) callsIn(ctx context.Context, key, env string) error {
	p.use(env)
	return p.sends(ctx, portalInitSys, key)
}

func (p *portalWorld) ownerCallsIn(ctx context.Context, key, env string) error {
	p.use(env)
	return p.sends(ctx, portalOwnerSys, key)
}

// ---- what the portal shows ----

// refusal is the portal's answer to the last action a scenario expected refused: "accepted", or the
// refusal in the reader's language.
func (p *portalWorld) refusal() msg.Text {
	if p.refused == nil {
		return msg.F("accepted")
	}
	return msg.Of(p.refused)
}

func (p *portalWorld) refusedCiting(ruleID string) error {
	return p.verify(ruleID, msg.F("the portal refuses, citing %s", ruleID), p.refusal(),
		p.refused != nil && strings.Contains(p.refused.Error(), "breaks "+ruleID+":"))
}

func (p *portalWorld) refusedCitingField(ruleID, field string) error {
	// The field as the feature names it, in English; shown in the reader's language when the
	// portal's refusal names that very field.
	named := msg.Raw(field)
	var breaches forms.Problems
	var b *rule.Breach
	if errors.As(p.refused, &b) {
		breaches = forms.Problems{b}
	} else {
		errors.As(p.refused, &breaches)
	}
	for _, b := range breaches {
		if b.Field.String() == field {
			named = b.Field
		}
	}
	return p.verify(ruleID, msg.F("the portal refuses, citing %s for %s", ruleID, named), p.refusal(),
		p.refused != nil && strings.Contains(p.refused.Error(), field+": breaks "+ruleID+":"))
}

func (p *portalWorld) application() portal.Application {
	a, _ := p.portal.Application(p.app)
	p.attachJSON("history of "+a.ID, a.History)
	return a
}

func (p *portalWorld) standsAt(state string) error {
	a := p.application()
	clause := a.Machine.Terminal[a.State]
	if w, ok := a.Machine.Waits[a.State]; ok {
		clause = w.Clause
	}
	if clause == "" {
		clause = a.Machine.Paragraph.String()
	}
	return p.verify(clause, msg.F("the application at %q", state), msg.F("at %q (%s)", a.State, a.Machine.Paragraph), string(a.State) == state)
}

func (p *portalWorld) missed(clause string) (portal.Missed, bool) {
	for _, m := range p.application().Missed {
		if m.Clause == clause {
			return m, true
		}
	}
	return portal.Missed{}, false
}

func (p *portalWorld) deadlineKept(clause string) error {
	a := p.application()
	acted := false
	for _, e := range a.History {
		acted = acted || e.Clause == clause
	}
	m, late := p.missed(clause)
	observed := msg.F("kept")
	if late {
		observed = missedText(m)
	}
	if !acted {
		observed = msg.F("no step under %s was taken", clause)
	}
	return p.verify(clause, msg.F("%s: the step taken within its deadline", clause), observed, acted && !late)
}

// missedText is a missed deadline as the portal states it; the portal's own text is a parameter,
// rendered in the reader's language once the portal gives it as a message.
func missedText(m portal.Missed) msg.Text { return msg.F("%s", m) }

func (p *portalWorld) deadlineMissed(clause string, wd int) error {
	m, late := p.missed(clause)
	observed := msg.F("no missed deadline recorded")
	if late {
		observed = missedText(m)
	}
	return p.verify(clause, msg.F("%s reported missed after %d working days", clause, wd), observed, late && m.WorkingDays == wd)
}

func (p *portalWorld) overdue(clause string, wd int) error {
	m, late, err := p.portal.Overdue(p.app)
	if err != nil {
		return err
	}
	observed := msg.F("not overdue")
	if late {
		observed = missedText(m)
	}
	return p.verify(clause, msg.F("%s overrun reported with %d working days elapsed", clause, wd), observed,
		late && m.Clause == clause && m.WorkingDays == wd)
}

func (p *portalWorld) historyComplete() error {
	a := p.application()
	ok := len(a.History) > 0
	for _, e := range a.History {
		ok = ok && !e.Time.IsZero() && e.Actor != "" && e.Clause != ""
	}
	return p.verify(a.Machine.Paragraph.String(), msg.F("every event with a time, an actor and a clause"), msg.F("%d events", len(a.History)), ok)
}

func (p *portalWorld) notified(who, clause string) error {
	a := p.application()
	got := []string{}
	for _, n := range a.Notifications {
		if string(n.To) == who && n.Clause == clause {
			return p.verify(clause, msg.F("%s notified", actorText(who)), n.Text, true)
		}
		got = append(got, fmt.Sprintf("%s (%s)", n.To, n.Clause))
	}
	return p.verify(clause, msg.F("%s notified under %s", actorText(who), clause), msg.Raw(strings.Join(got, ", ")), false)
}

// actorText names a party the portal notifies, as the scenario names it.
func actorText(who string) msg.Text {
	switch portal.Actor(who) {
	case portal.Authority:
		return msg.F("authorized body")
	case portal.Integrator:
		return msg.F("service integrator")
	}
	return msg.Raw(who)
}

func (p *portalWorld) foundInRegistry(key, not string) error {
	_, ok := p.portal.Search(key)
	want := not == ""
	return p.verify("R-32", msg.F("service %s found: %v", key, want), msg.F("found: %v", ok), ok == want)
}
