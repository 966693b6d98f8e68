package steps

import (
	"context"
	"encoding/json"
	"time"

	"github.com/shepconf/shepconf/internal/msg"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/redact"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/reports"
)

// Evidence is what a scenario's current step gathered (messages, checks, remarks), handed to godog
// when the step ends. Every profile's World holds one.
type Evidence struct {
	items []godog.Attachment
}

// Add keeps an attachment as it is.
func (e *Evidence) Add(a godog.Attachment) { e.items = append(e.items, a) }

// Attach keeps a copy of body under name; an empty body is left out.
func (e *Evidence) Attach(name, mediaType string, body []byte) {
	if len(body) == 0 {
		return
	}
	e.Add(godog.Attachment{Body: append([]byte(nil), body...), FileName: name, MediaType: mediaType})
}

// AttachJSON keeps v as indented JSON.
func (e *Evidence) AttachJSON(name string, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		body = []byte(err.Error())
	}
	e.Attach(name, "application/json", body)
}

// Check records a verdict and fails the step with the breach when the check did not hold. The
// record carries what was expected and observed in every language of the catalogue.
func (e *Evidence) Check(ruleID string, expected, observed msg.Text, ok bool) error {
	body, _ := json.Marshal(reports.Check{Rule: ruleID, Expected: expected.String(), Observed: observed.String(), Passed: ok,
		ExpectedIn: expected.Translations(), ObservedIn: observed.Translations()})
	e.Add(godog.Attachment{Body: body, FileName: "check " + ruleID, MediaType: reports.CheckMediaType})
	if !ok {
		return &rule.Breach{Rule: ruleID, Expected: expected, Observed: observed}
	}
	return nil
}

// explain attaches a failed step's error in every language of the catalogue, for the report's
// failures; an error built without a message identifier is shown as it is.
func (e *Evidence) explain(err error) {
	if err == nil {
		return
	}
	body, _ := json.Marshal(msg.Of(err).Translations())
	e.Add(godog.Attachment{Body: body, FileName: "failure", MediaType: reports.FailureMediaType})
}

// Flush hands the evidence gathered during a step to godog. R-53: every piece of it passes here,
// so each password it carries is redacted here, before the cucumber JSON and the report are
// written from it.
func (e *Evidence) Flush(ctx context.Context) context.Context {
	if len(e.items) == 0 {
		return ctx
	}
	for i := range e.items {
		e.items[i].Body = redact.Bytes(e.items[i].Body)
	}
	ctx = godog.Attach(ctx, e.items...)
	e.items = nil
	return ctx
}

// Hook hands a scenario's evidence to godog after each step and tears the scenario down after it,
// with a few seconds to do so. The hooks return no error of their own: godog would report the
// step's error a second time.
func Hook(sc *godog.ScenarioContext, e *Evidence, teardown func(context.Context)) {
	sc.StepContext().After(func(ctx context.Context, _ *godog.Step, _ godog.StepResultStatus, err error) (context.Context, error) {
		e.explain(err)
		return e.Flush(ctx), nil
	})
	sc.After(func(ctx context.Context, _ *godog.Scenario, _ error) (context.Context, error) {
		tctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		teardown(tctx)
		return ctx, nil
	})
}
