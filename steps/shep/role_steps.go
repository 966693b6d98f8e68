package shep

import (
	"context"
	"slices"
	"strings"

	"github.com/beevik/etree"
	"github.com/cucumber/godog"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/trigger"
)

// What every role's steps share: the system under test as the run started it, the services it was
// exercised on, and how the harness makes it act. A role's scenarios are tagged @role-<name> and
// talk to the system under test only (sut.Role).

func init() { stepSets = append(stepSets, registerRoleHooks) }

// registerRoleHooks notes the roles a scenario certifies, from its tags.
func registerRoleHooks(w *World, sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
		for _, t := range s.Tags {
			if r, ok := sut.RoleOfTag(t.Name); ok && !slices.Contains(w.roles, r) {
				w.roles = append(w.roles, r)
			}
		}
		return ctx, nil
	})
}

// target is the system under test, started on first use; its description is attached as evidence
// once per scenario.
func (w *World) target(ctx context.Context) (sut.Target, error) {
	t, err := w.suite.SUT.Target(ctx)
	if err != nil {
		return t, msg.Errorf("the system under test: %w", err)
	}
	if !w.targetShown {
		w.attachJSON("system under test", t)
		w.targetShown = true
	}
	return t, nil
}

// exercise records that the system under test was exercised on serviceID in the scenario's roles,
// for run.json and the act.
func (w *World) exercise(serviceID string) {
	w.suite.mu.Lock()
	defer w.suite.mu.Unlock()
	for _, r := range w.roles {
		if !slices.Contains(w.suite.exercised[r], serviceID) {
			w.suite.exercised[r] = append(w.suite.exercised[r], serviceID)
		}
	}
}

// fire makes the system under test act through its trigger and keeps the request and what the
// system reported as evidence. The error is about reaching the system; what it did is in the result.
func (w *World) fire(ctx context.Context, req trigger.Request) (trigger.Result, error) {
	t, err := w.target(ctx)
	if err != nil {
		return trigger.Result{}, err
	}
	if t.Trigger == nil {
		return trigger.Result{}, msg.Errorf("the system under test has no trigger, so the harness cannot make it %s on the %s channel: configure sut.trigger (url, command or operator)", req.Action, req.Channel)
	}
	w.attachJSON("trigger request ("+t.Trigger.Describe()+")", req)
	res, err := t.Trigger.Fire(ctx, req)
	if err != nil {
		return res, err
	}
	w.attachJSON("what the system under test reported", res)
	return res, nil
}

// businessData is the business data a data element carries, in either encoding a system may use:
// escaped text typed xs:string (as the gateway's sample client sends it) or XML elements inside
// data. The Rules leave the encoding open (A1-T19 row 16 types data xsd:anyType), so the two count
// as the same; XML is compared in exclusive C14N, where prefixes and spacing between attributes do
// not matter.
func businessData(d envelope.Data) string {
	e, err := d.Element()
	if err != nil || e == nil {
		return ""
	}
	if kids := e.ChildElements(); len(kids) == 1 {
		if c, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(kids[0]); err == nil {
			return string(c)
		}
	}
	return canonicalXML(e.Text())
}

// canonicalXML is s in exclusive C14N when it is one XML element, s itself otherwise.
func canonicalXML(s string) string {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil || doc.Root() == nil {
		return s
	}
	for _, tok := range doc.Child {
		if cd, ok := tok.(*etree.CharData); ok && strings.TrimSpace(cd.Data) != "" {
			return s // text beside the element: not one XML element
		}
	}
	c, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(doc.Root())
	if err != nil {
		return s
	}
	return string(c)
}
