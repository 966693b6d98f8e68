package epgu

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/assembly/epgu"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/epgu/api"
	"github.com/shepconf/shepconf/steps"
)

// register binds the sentences of features/epgu to the World's methods.
func (w *World) register(sc *godog.ScenarioContext) {
	sc.Step(`^the EPGU test contour runs with the demonstration service$`, w.contourRuns)
	sc.Step(`^the system under test is registered in ESIA with its certificate and holds its API key$`, w.registered)
	sc.Step(`^the EPGU API answers the next call of the system under test with HTTP (\d+)$`, w.nextCallAnswered)
	sc.Step(`^the EPGU API answers the next (\d+) calls of the system under test with HTTP (\d+) and Retry-After (\d+) seconds$`, w.nextCallsAnswered)
	sc.Step(`^the agency answers orders of the demonstration service after (\d+) seconds$`, w.agencyAnswersAfter)
	sc.Step(`^the agency keeps orders of the demonstration service cancellable for (\d+) seconds$`, w.agencyKeepsCancellable)

	sc.Step(`^the system under test is made to submit an order for the demonstration service in a single call$`, w.submitSingle)
	sc.Step(`^the system under test is made to submit an order for the demonstration service with a (\d+)-byte attachment in chunks$`, w.submitChunked)
	sc.Step(`^the system under test is made to submit an invalid business XML for the demonstration service$`, w.submitInvalid)
	sc.Step(`^the system under test is made to submit an order for the demonstration service and follow it to its result$`, w.submitAndFollow)
	sc.Step(`^the system under test is made to submit an order for the demonstration service and cancel it$`, w.submitAndCancel)

	w.registerJudgements(sc)
	w.registerLogin(sc)
}

func (w *World) contourRuns() error {
	s := w.suite
	script := s.script
	c, err := epgu.Start(epgu.Config{NCA: s.ca, Services: []epgu.Service{s.service}, Script: &script, Key: s.opts.KeyAlgorithm,
		Limits: s.limits, Trust: s.opts.SUT.Chain})
	if err != nil {
		return err
	}
	w.contour = c
	w.evidence.AttachJSON("contour.json", map[string]string{"esia": c.ESIAURL, "api": c.APIURL, "service": s.service.API.Code})
	return nil
}

func (w *World) registered() error {
	cert := w.suite.opts.SUT.Certificate
	if w.suite.opts.SUT.Demonstration() {
		cert = w.suite.identity.Certificate
	}
	key, err := w.contour.Register(w.suite.opts.SUT.mnemonic(), cert, w.suite.opts.SUT.RedirectURIs...)
	if err != nil {
		return msg.Errorf("register the system under test in ESIA: %w", err)
	}
	w.apiKey = key
	w.evidence.Attach("api-key.csv", "text/csv", key)
	return nil
}

func (w *World) nextCallAnswered(status int) error { return w.nextCallsAnswered(1, status, 0) }

func (w *World) nextCallsAnswered(times, status, retryAfter int) error {
	w.retryAfter = time.Duration(retryAfter) * time.Second
	w.contour.API.Inject(api.Fault{PathPrefix: "/api/gusmev/", Status: status, Times: times,
		RetryAfter: time.Duration(retryAfter) * time.Second})
	return nil
}

// agencyAnswersAfter makes the agency give its result the given real time after the order was
// processed: long enough for a client that polls too fast to show it, at any time scale.
func (w *World) agencyAnswersAfter(seconds int) error {
	script := w.suite.script
	steps := append([]api.Step(nil), script.Steps...)
	var sum time.Duration
	for _, s := range steps[:len(steps)-1] {
		sum += s.Delay
	}
	steps[len(steps)-1].Delay = max(time.Duration(seconds)*time.Second-sum, 0)
	script.Steps = steps
	w.contour.API.SetScript(script)
	return nil
}

// agencyKeepsCancellable holds an order in its first status, which allows a cancel, for the given
// real time: a client that reads the status at a sane pace sees it.
func (w *World) agencyKeepsCancellable(seconds int) error {
	script := w.suite.script
	steps := append([]api.Step(nil), script.Steps...)
	if len(steps) < 2 || !steps[0].CancelAllowed {
		return msg.Errorf("the agency script's first status does not allow a cancel")
	}
	steps[1].Delay = time.Duration(seconds) * time.Second
	script.Steps = steps
	w.contour.API.SetScript(script)
	return nil
}

// request is the trigger request for the demonstration service with its sample files.
func (w *World) request(data []byte) trigger.Request {
	s := w.suite.service
	files := map[string]string{}
	for name, b := range w.suite.sampleFiles() {
		files[name] = base64.StdEncoding.EncodeToString(b)
	}
	return trigger.Request{Action: trigger.Submit, Channel: trigger.EPGU, Gateway: w.contour.APIURL, Auth: w.contour.ESIAURL,
		APIKey: string(w.apiKey), TSA: w.suite.tsaURL, CA: string(pki.PEM(w.suite.ca.Intermediate(), w.suite.ca.Root())), ServiceID: s.API.Code, TargetCode: s.API.TargetCode, Region: demoRegion, Data: string(data),
		Files: files, Timeout: "3m"}
}

// demoRegion is the OKATO code of the orders the harness asks for (Moscow).
const demoRegion = "45000000000"

func (w *World) fire(ctx context.Context, r trigger.Request) error {
	w.evidence.AttachJSON("trigger request.json", steps.RedactedTrigger(r))
	w.fired = time.Now()
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute+w.suite.limits.ChunkWindow)
	defer cancel()
	w.result, w.fireErr = w.suite.trigger.Fire(ctx, r)
	if w.fireErr != nil {
		return msg.Errorf("the system under test could not be made to act: %w", w.fireErr)
	}
	w.evidence.AttachJSON("system under test's result.json", w.result)
	return nil
}

func (w *World) submitSingle(ctx context.Context) error {
	return w.fire(ctx, w.request(w.suite.validBusinessXML()))
}

func (w *World) submitChunked(ctx context.Context, size int) error {
	r := w.request(w.suite.validBusinessXML())
	attachment := make([]byte, size)
	if _, err := rand.Read(attachment); err != nil { // random: the archive cannot shrink below the size
		return err
	}
	r.Files["attachment.bin"] = base64.StdEncoding.EncodeToString(attachment)
	r.Chunked = true
	return w.fire(ctx, r)
}

func (w *World) submitInvalid(ctx context.Context) error {
	return w.fire(ctx, w.request(w.suite.invalidBusinessXML()))
}

func (w *World) submitAndFollow(ctx context.Context) error {
	r := w.request(w.suite.validBusinessXML())
	r.Then = trigger.ThenResult
	return w.fire(ctx, r)
}

func (w *World) submitAndCancel(ctx context.Context) error {
	r := w.request(w.suite.validBusinessXML())
	r.Then = trigger.ThenCancel
	return w.fire(ctx, r)
}
