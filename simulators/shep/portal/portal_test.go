package portal_test

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/fixtures"
	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/forms"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/portal"
)

const key = "REFERENCE_SERVICE"

var (
	ownerParty = portal.Party{Name: "Owner agency", BIN: "100140000001", System: "OWNER_SYS", PasswordTest: "o-t", PasswordProd: "o-p"}
	initParty  = portal.Party{Name: "Initiator agency", BIN: "100140000002", System: "INIT_SYS", PasswordTest: "i-t", PasswordProd: "i-p"}
)

type bench struct {
	clock      *clock.Virtual
	cal        *clock.Calendar
	portal     *portal.Portal
	test, prod *gateway.Registry
	owner, ini *pki.Identity
}

var (
	authority  *nca.Authority
	ownerID    *pki.Identity
	initID     *pki.Identity
	calendarKZ *clock.Calendar
)

func setup(tb testing.TB) *bench {
	tb.Helper()
	if authority == nil {
		var err error
		if authority, err = nca.New("test NCA"); err != nil {
			tb.Fatal(err)
		}
		if ownerID, err = authority.Issue(nca.Subject{CommonName: "owner", BIN: ownerParty.BIN, Organization: ownerParty.Name}, pki.ECDSAP256); err != nil {
			tb.Fatal(err)
		}
		if initID, err = authority.Issue(nca.Subject{CommonName: "initiator", BIN: initParty.BIN, Organization: initParty.Name}, pki.RSA2048); err != nil {
			tb.Fatal(err)
		}
		if calendarKZ, err = clock.LoadCalendar(fixtures.Calendar()); err != nil {
			tb.Fatal(err)
		}
	}
	b := &bench{clock: clock.NewVirtual(time.Date(2025, 3, 3, 9, 0, 0, 0, clock.Astana)), cal: calendarKZ,
		test: gateway.NewRegistry(), prod: gateway.NewRegistry(), owner: ownerID, ini: initID}
	b.portal = portal.New(portal.Config{Clock: b.clock, Calendar: b.cal, Test: b.test, Production: b.prod, Roots: authority.Roots()})
	return b
}

// wait moves the virtual clock to the same time n working days later.
func (b *bench) wait(tb testing.TB, n int) {
	now := b.clock.Now()
	day, err := b.cal.WorkingDaysAfter(now, n)
	if err != nil {
		tb.Fatal(err)
	}
	b.clock.AdvanceTo(day.Add(now.Sub(clock.Date(now))))
}

func (b *bench) must(tb testing.TB, id string, by portal.Actor, a portal.Action, in portal.Input) {
	tb.Helper()
	if err := b.portal.Act(id, by, a, in); err != nil {
		tb.Fatalf("%s %s: %v", by, a, err)
	}
}

func sign(tb testing.TB, doc []byte, id *pki.Identity) []byte {
	out, err := forms.SignAct(doc, id.Key, append([]*x509.Certificate{id.Certificate}, id.Chain...))
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func answered(session, sender, service string) *journal.Exchange {
	return &journal.Exchange{SessionID: session, Outcome: journal.Answered,
		Events: []journal.Event{{Kind: journal.Received, SenderID: sender, ServiceID: service}, {Kind: journal.Answered}}}
}

// published runs §2 for the reference service, so connection can follow.
func (b *bench) published(tb testing.TB) {
	req := portal.ReferenceRequirements(key, ownerParty)
	pub := portal.ReferencePublication(key, ownerParty, "http://owner.test/sync", "http://owner.prod/sync", b.owner.Certificate)
	id, err := b.portal.SubmitOwnerPublication(req, pub)
	if err != nil {
		tb.Fatal(err)
	}
	b.wait(tb, 3)
	b.must(tb, id, portal.Operator, portal.ApprovePublication, portal.Input{})
	b.wait(tb, 10)
	b.must(tb, id, portal.Operator, portal.Publish, portal.Input{})
}

// connect runs §3 to the end with testing lasting testingDays calendar days.
func (b *bench) connect(tb testing.TB, testingDays int) portal.Application {
	id, err := b.portal.ApplyForConnection(portal.ReferenceConnection(key, ownerParty, initParty, b.ini.Certificate))
	if err != nil {
		tb.Fatal(err)
	}
	b.wait(tb, 2)
	b.must(tb, id, portal.Owner, portal.AgreeConnection, portal.Input{})
	b.wait(tb, 3)
	b.must(tb, id, portal.Operator, portal.ApproveConnection, portal.Input{})
	b.wait(tb, 10)
	b.must(tb, id, portal.Operator, portal.GrantTestAccess, portal.Input{})
	b.clock.Advance(time.Duration(testingDays) * 24 * time.Hour)
	b.must(tb, id, portal.Operator, portal.ConfirmExchange, portal.Input{Exchange: answered("{s1}", initParty.System, key)})
	doc, _ := portal.ReferenceAct("act-1", key, ownerParty, initParty, b.clock.Now()).Marshal()
	act := sign(tb, doc, b.ini)
	b.must(tb, id, portal.Initiator, portal.FormAct, portal.Input{SignedAct: act})
	b.wait(tb, 3)
	b.must(tb, id, portal.Owner, portal.SignAct, portal.Input{SignedAct: sign(tb, act, b.owner)})
	b.wait(tb, 3)
	b.must(tb, id, portal.Operator, portal.ApproveAct, portal.Input{})
	app, _ := b.portal.Application(id)
	return app
}

func TestConnectionGrantsAccessInBothEnvironments(t *testing.T) {
	b := setup(t)
	b.published(t)
	if _, ok := b.portal.Search(key); !ok {
		t.Fatal("R-32: the published service is not found")
	}
	app := b.connect(t, 60)
	if app.State != portal.Connected || len(app.Missed) != 0 {
		t.Fatalf("state %q, missed %v", app.State, app.Missed)
	}
	for name, reg := range map[string]*gateway.Registry{"test": b.test, "production": b.prod} {
		if s, ok := reg.Service(key); !ok || !s.Granted[initParty.System] {
			t.Errorf("%s environment: initiator not granted", name)
		}
	}
	if n := len(app.History); n != 8 {
		t.Errorf("history has %d events", n)
	}
}

func TestTestingLongerThanThreeMonthsIsReported(t *testing.T) {
	b := setup(t)
	b.published(t)
	app := b.connect(t, 100)
	if len(app.Missed) != 1 || app.Missed[0].Clause != "R-38" || app.Missed[0].WorkingDays < 60 {
		t.Fatalf("missed %+v, want one R-38 overrun", app.Missed)
	}
}

func TestOnlyTheRightActorActs(t *testing.T) {
	b := setup(t)
	b.published(t)
	id, err := b.portal.ApplyForConnection(portal.ReferenceConnection(key, ownerParty, initParty, b.ini.Certificate))
	if err != nil {
		t.Fatal(err)
	}
	err = b.portal.Act(id, portal.Operator, portal.AgreeConnection, portal.Input{})
	var br *rule.Breach
	if !errors.As(err, &br) || br.Rule != "R-34" || !strings.Contains(br.Error(), "only the owner") {
		t.Fatalf("operator agreeing for the owner: %v", err)
	}
	if err := b.portal.Act(id, portal.Owner, portal.RefuseConnection, portal.Input{}); err == nil || !strings.Contains(err.Error(), "R-34") {
		t.Fatalf("a refusal without reasons: %v", err)
	}
	b.must(t, id, portal.Owner, portal.RefuseConnection, portal.Input{Reason: "no legal basis"})
	if err := b.portal.Act(id, portal.Operator, portal.ApproveConnection, portal.Input{}); err == nil {
		t.Fatal("an action after the refusal was accepted")
	}
}

func TestMissedDeadlineCountsWorkingDays(t *testing.T) {
	b := setup(t)
	id, err := b.portal.RequestRecommendation(initParty, key)
	if err != nil {
		t.Fatal(err)
	}
	b.clock.AdvanceTo(time.Date(2025, 3, 19, 10, 0, 0, 0, clock.Astana)) // from Monday 3 March over 8 March and Nauryz
	m, late, err := b.portal.Overdue(id)
	if err != nil || !late || m.Clause != "R-11" || m.WorkingDays != 11 {
		t.Fatalf("overdue %+v late %v err %v", m, late, err)
	}
}

func TestActSignedByAnotherPartyIsRefused(t *testing.T) {
	b := setup(t)
	b.published(t)
	id, _ := b.portal.ApplyForConnection(portal.ReferenceConnection(key, ownerParty, initParty, b.ini.Certificate))
	b.must(t, id, portal.Owner, portal.AgreeConnection, portal.Input{})
	b.must(t, id, portal.Operator, portal.ApproveConnection, portal.Input{})
	b.must(t, id, portal.Operator, portal.GrantTestAccess, portal.Input{})
	doc, _ := portal.ReferenceAct("act-1", key, ownerParty, initParty, b.clock.Now()).Marshal()
	if err := b.portal.Act(id, portal.Initiator, portal.FormAct, portal.Input{SignedAct: sign(t, doc, b.ini)}); err == nil || !strings.Contains(err.Error(), "R-40") {
		t.Fatalf("act before any journal confirmation: %v", err)
	}
	b.must(t, id, portal.Operator, portal.ConfirmExchange, portal.Input{Exchange: answered("{s}", initParty.System, key)})
	if err := b.portal.Act(id, portal.Initiator, portal.FormAct, portal.Input{SignedAct: sign(t, doc, b.owner)}); err == nil || !strings.Contains(err.Error(), "BIN") {
		t.Fatalf("act signed by the owner in the initiator's place: %v", err)
	}
	tampered := strings.Replace(string(sign(t, doc, b.ini)), "put into production", "rejected", 1)
	if err := b.portal.Act(id, portal.Initiator, portal.FormAct, portal.Input{SignedAct: []byte(tampered)}); err == nil {
		t.Fatal("an act changed after signing was accepted")
	}
}

// A whole connection with three months of testing runs on the virtual clock in well under a second.
func BenchmarkConnectionWithThreeMonthsTesting(b *testing.B) {
	for b.Loop() {
		w := setup(b)
		w.published(b)
		if app := w.connect(b, 88); app.State != portal.Connected {
			b.Fatal(app.State)
		}
	}
}
