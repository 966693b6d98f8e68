package portal

import (
	"bytes"
	"strconv"
	"time"

	"github.com/shepconf/shepconf/internal/forms"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// guard checks the input an action needs and keeps it on the application. It returns a note for
// the history.
func (p *Portal) guard(a *Application, t Transition, in Input, now time.Time) (msg.Text, error) {
	switch t.Action {
	case ReturnCreation, RefuseCreation, ReturnPublication, ReturnConnection, RefuseConnection, ReturnAct:
		// a return or a refusal states its reasons.
		if in.Reason == "" {
			return msg.Text{}, &rule.Breach{Rule: t.Clause, Field: msg.F("reason"), Expected: msg.F("the reasons why the %s %s", t.By, t.Action),
				Observed: msg.F("no reason given"), Fix: msg.F("state the reasons")}
		}
		return msg.F("reason: %s", in.Reason), nil

	case SendCreation, ResendCreation, AgreeCreation, Recommend:
		return msg.Raw(in.Reason), nil

	case SendPublication, ResendPublication:
		req, pub := in.Requirements, in.Publication
		if req == nil {
			req = a.Requirements
		}
		if pub == nil {
			pub = a.Publication
		}
		if req == nil || pub == nil {
			return msg.Text{}, &rule.Breach{Rule: "R-14", Field: msg.Raw("A2-F, A3-F"), Expected: msg.F("the requirements for interaction and the application for publication"),
				Observed: msg.F("missing"), Fix: msg.F("fill in Appendices 2 and 3")}
		}
		if err := checkPublication(req, pub); err != nil {
			return msg.Text{}, err
		}
		if a.Key != "" && pub.ServiceKey != a.Key {
			return msg.Text{}, &rule.Breach{Rule: t.Clause, Field: forms.Field("A3-F", "22"), Expected: msg.F("the key the procedure is about, %s", a.Key),
				Observed: msg.Raw(pub.ServiceKey), Fix: msg.F("keep the service key")}
		}
		a.Requirements, a.Publication, a.Key = req, pub, pub.ServiceKey
		a.Owner = ownerOf(*pub)
		if t.Action == SendPublication {
			// the authorized body is notified of the application.
			a.notify(now, Authority, "R-14", msg.F("application for publication of %s sent", pub.ServiceKey))
		}
		return msg.Text{}, nil

	case ApprovePublication:
		// the operator checks completeness and correct filling; an incomplete
		// application cannot be approved, only returned.
		if err := checkPublication(a.Requirements, a.Publication); err != nil {
			return msg.Text{}, err
		}
		return msg.Text{}, nil

	case ResendConnection:
		c := in.Connection
		if c == nil {
			c = a.Connection
		}
		pp := p.passports[a.Key]
		if err := checkConnection(c, pp); err != nil {
			return msg.Text{}, err
		}
		a.Connection, a.Initiator = c, initiatorOf(*c)
		return msg.Text{}, nil

	case ApproveConnection:
		if err := checkConnection(a.Connection, p.passports[a.Key]); err != nil {
			return msg.Text{}, err
		}
		return msg.Text{}, nil

	case ConfirmExchange:
		return p.confirm(a, t, in.Exchange)

	case ReportNegative:
		return msg.F("testing continues until a positive result"), nil

	case FormAct, ResendAct:
		// the implementation is confirmed by the gateway journal before the act.
		if len(a.Confirmed) == 0 {
			return msg.Text{}, &rule.Breach{Rule: confirmClause(a), Expected: msg.F("an answered exchange of the initiator with the service in the gateway journal"),
				Observed: msg.F("none confirmed"), Fix: msg.F("send a real request through the gateway's test environment first")}
		}
		former := a.Owner // in §1 the owner forms the act
		if a.Machine == Connection {
			former = a.Initiator // in §3 the initiator does
		}
		return msg.Text{}, p.takeAct(a, t, in.SignedAct, now, former)

	case SignAct:
		second := a.Initiator
		if a.Machine == Connection {
			second = a.Owner
		}
		return msg.Text{}, p.takeAct(a, t, in.SignedAct, now, second)
	}
	return msg.Text{}, nil
}

func confirmClause(a *Application) string {
	if a.Machine == Connection {
		return "R-40"
	}
	return "R-22"
}

// confirm accepts an exchange from the gateway journal as the confirmation of: a
// synchronous answer delivered to the initiator for this service.
func (p *Portal) confirm(a *Application, t Transition, x *journal.Exchange) (msg.Text, error) {
	if x == nil {
		return msg.Text{}, &rule.Breach{Rule: t.Clause, Expected: msg.F("an exchange read from the gateway journal"), Observed: msg.F("none"), Fix: msg.F("send a request through the gateway")}
	}
	var sender, service string
	for _, e := range x.Events {
		if e.SenderID != "" {
			sender = e.SenderID
		}
		if e.ServiceID != "" {
			service = e.ServiceID
		}
	}
	if x.Outcome != journal.Answered || sender != a.Initiator.System || service != a.Key {
		return msg.Text{}, &rule.Breach{Rule: t.Clause,
			Expected: msg.F("outcome %s for %s calling %s", journal.Answered, a.Initiator.System, a.Key),
			Observed: msg.F("in the gateway journal, session %s: outcome %s (code %s, rule %s) for %s calling %s", x.SessionID, x.Outcome, x.Code, x.Rule, sender, service),
			Fix:      msg.F("the exchange must be answered by the owner through the gateway")}
	}
	a.Confirmed = append(a.Confirmed, *x)
	return msg.F("journal session %s", x.SessionID), nil
}

// takeAct verifies a signed test act. The act formed (FormAct, ResendAct) carries one signature, by
// the party forming it; the act agreed (SignAct) carries that one and the other party's, over the
// same content. Every certificate must chain to the NCA and name the party's BIN.
func (p *Portal) takeAct(a *Application, t Transition, signed []byte, now time.Time, signer Party) error {
	act, signers, err := forms.VerifyAct(signed, p.cfg.Roots, time.Now())
	if err != nil {
		return err
	}
	if err := act.Validate(); err != nil {
		return err
	}
	if !act.Covers(a.Key) {
		return &rule.Breach{Rule: t.Clause, Field: forms.Field("A4-F", "3.2"), Expected: msg.F("the service %s", a.Key), Observed: msg.F("not listed"), Fix: msg.F("list the service tested")}
	}
	want := 1
	if t.Action == SignAct {
		want = 2
		prev, _, err := forms.VerifyAct(a.Act, p.cfg.Roots, time.Now())
		if err != nil {
			return err
		}
		pb, _ := prev.Marshal()
		ab, _ := act.Marshal()
		if !bytes.Equal(pb, ab) {
			return &rule.Breach{Rule: t.Clause, Field: msg.Raw("A4-F"), Expected: msg.F("the act as the other party signed it"), Observed: msg.F("different content"), Fix: msg.F("sign the act received, unchanged")}
		}
	}
	if len(signers) != want {
		return &rule.Breach{Rule: t.Clause, Field: msg.F("A4-F signatures"), Expected: msg.F("%d EDS", want), Observed: msg.Raw(strconv.Itoa(len(signers))), Fix: msg.F("sign the act")}
	}
	_, bin := pki.IdentifiersOf(signers[want-1].Certificate)
	if bin != signer.BIN {
		return &rule.Breach{Rule: t.Clause, Field: msg.F("A4-F signature %d", want),
			Expected: msg.F("the EDS of %s (BIN %s)", signer.Name, signer.BIN), Observed: msg.F("signed by BIN %q", bin),
			Fix: msg.F("sign with the party's own EDS")}
	}
	if want == 2 {
		_, first := pki.IdentifiersOf(signers[0].Certificate)
		other := a.Owner
		if a.Machine == Connection {
			other = a.Initiator
		}
		if first != other.BIN {
			return &rule.Breach{Rule: t.Clause, Field: msg.F("A4-F signature %d", 1), Expected: msg.F("the EDS of %s", other.Name), Observed: msg.F("BIN %s", first), Fix: msg.F("keep the first party's signature")}
		}
	}
	a.Act = signed
	return nil
}

// effect is what a transition does beyond the application: access in the gateway environments, the
// published registry and the notifications to the authorized body and the service integrator.
func (p *Portal) effect(a *Application, t Transition, now time.Time) error {
	if t.Action == GrantTestAccess {
		a.TestingStarted = now // the testing period runs from the grant of test access
	}
	switch {
	case t.Action == GrantTestAccess && a.Machine == PublicationByInitiator:
		env := p.cfg.Test
		env.AddSystem(system(a.Owner, a.Owner.PasswordTest))
		env.AddService(gateway.Service{ID: a.Key, Owner: a.Owner.System, Endpoint: a.Publication.TestURL})
		return p.grant(env, a, a.Initiator.PasswordTest, t.Clause)
	case t.Action == GrantTestAccess:
		return p.grant(p.cfg.Test, a, a.Initiator.PasswordTest, t.Clause)
	case t.Action == ApproveAct && a.Machine == PublicationByInitiator:
		env := p.cfg.Production
		env.AddSystem(system(a.Owner, a.Owner.PasswordProd))
		env.AddService(gateway.Service{ID: a.Key, Owner: a.Owner.System, Endpoint: a.Publication.ProductionURL})
		p.register(a, now)
		a.notify(now, Authority, "R-27", msg.F("service %s published", a.Key))
		a.notify(now, Integrator, "R-27", msg.F("service %s published", a.Key))
		return p.grant(env, a, a.Initiator.PasswordProd, t.Clause)
	case t.Action == ApproveAct:
		a.notify(now, Authority, "R-45", msg.F("%s connected to %s", a.Initiator.Name, a.Key))
		a.notify(now, Integrator, "R-45", msg.F("%s connected to %s", a.Initiator.Name, a.Key))
		return p.grant(p.cfg.Production, a, a.Initiator.PasswordProd, t.Clause)
	case t.Action == Publish: // the owner gets the test and production environments
		for _, e := range []struct {
			env     Environment
			pw, url string
		}{{p.cfg.Test, a.Owner.PasswordTest, a.Publication.TestURL}, {p.cfg.Production, a.Owner.PasswordProd, a.Publication.ProductionURL}} {
			e.env.AddSystem(system(a.Owner, e.pw))
			e.env.AddService(gateway.Service{ID: a.Key, Owner: a.Owner.System, Endpoint: e.url})
		}
		p.register(a, now)
		a.notify(now, Authority, "R-30", msg.F("service %s published", a.Key))
		a.notify(now, Integrator, "R-30", msg.F("service %s published", a.Key))
	}
	return nil
}

func (p *Portal) grant(env Environment, a *Application, password, clause string) error {
	if a.Initiator.System == "" {
		return &rule.Breach{Rule: clause, Field: msg.F("initiator system"), Expected: msg.F("the initiator's system to grant access to"), Observed: msg.F("none named"), Fix: msg.F("name the initiator's system")}
	}
	env.AddSystem(system(a.Initiator, password))
	if !env.Grant(a.Key, a.Initiator.System) {
		return msg.Errorf("%s: service %s is not in the environment", clause, a.Key)
	}
	return nil
}

func (p *Portal) register(a *Application, now time.Time) {
	p.passports[a.Key] = &Passport{Key: a.Key, Mode: a.Publication.Mode, Owner: a.Owner,
		Publication: *a.Publication, Requirements: *a.Requirements, PublishedAt: now}
}

// system is a party's system as the gateway registers it: the BIN its transport certificate must
// carry comes from the form (A3 field 2, A5 field 4; A6-S2).
func system(p Party, password string) gateway.System {
	return gateway.System{ID: p.System, Password: password, Identifier: p.BIN}
}
