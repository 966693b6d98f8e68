package steps

import (
	"context"
	"fmt"
	"slices"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/sut"
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
		return t, fmt.Errorf("the system under test: %w", err)
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
		return trigger.Result{}, fmt.Errorf("the system under test has no trigger, so the harness cannot make it %s on the %s channel: configure sut.trigger (url, command or operator)", req.Action, req.Channel)
	}
	w.attachJSON("trigger request ("+t.Trigger.Describe()+")", req)
	res, err := t.Trigger.Fire(ctx, req)
	if err != nil {
		return res, err
	}
	w.attachJSON("what the system under test reported", res)
	return res, nil
}
