package smdo

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/assembly/smdo"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/smdo/router"
	"github.com/shepconf/shepconf/steps"
)

// register binds the sentences of features/smdo to the World's methods.
func (w *World) register(sc *godog.ScenarioContext) {
	sc.Step(`^the SMDO router runs with a counterpart subscriber$`, w.routerRuns)
	sc.Step(`^the system under test is a subscriber of the router with its certificate and client credentials$`, w.subscribed)
	sc.Step(`^the counterpart sent the system under test a document with (\d+) files?(, asking for acknowledgement)?$`, w.counterpartSent)
	sc.Step(`^the counterpart sent the system under test (\d+) documents with 1 file each$`, w.counterpartSentMany)
	sc.Step(`^the counterpart refuses to register the documents it receives$`, w.counterpartRefuses)
	sc.Step(`^the router lets the token of the system under test expire after its next (\d+) calls$`, w.tokenExpiresAfter)
	sc.Step(`^the router answers the next signature of the system under test negatively$`, w.refuseNextSignature)
	sc.Step(`^the router finds a format fault in the next package of the system under test after accepting it$`, w.refuseNextRouting)

	sc.Step(`^the system under test took the counterpart's document$`, w.tookDocument)
	sc.Step(`^the system under test is made to send the counterpart a document with (\d+) files?(, asking for acknowledgement)?$`, w.sendDocument)
	sc.Step(`^the system under test is made to send the counterpart (\d+) documents together$`, w.sendTogether)
	sc.Step(`^the system under test is made to send the counterpart a reply to that document$`, w.sendReply)
	sc.Step(`^the system under test is made to send the counterpart a file replacing one of that document$`, w.sendReplacement)
	sc.Step(`^the system under test runs its receiving thread for (\d+) poll periods(, refusing to register what it takes)?$`, w.runReceiver)

	w.registerSenderJudgements(sc)
	w.registerReceiverJudgements(sc)
}

func (w *World) routerRuns() error {
	s := w.suite
	c, err := smdo.Start(smdo.Config{NCA: s.ca, Key: s.opts.KeyAlgorithm, Trust: s.opts.SUT.Chain})
	if err != nil {
		return err
	}
	w.contour = c
	script := smdo.CounterpartScript(s.timing.Scale, router.Registered, "")
	w.counterpart, err = c.Register(router.Subscriber{ID: smdo.CounterpartID, Code: smdo.CounterpartCode, Name: smdo.CounterpartName,
		Certificates: []*x509.Certificate{s.counterpart.Certificate}, Script: &script})
	if err != nil {
		return err
	}
	w.evidence.AttachJSON("router.json", map[string]string{"router": c.URL, "counterpart": smdo.CounterpartCode})
	return nil
}

func (w *World) subscribed() error {
	s := w.suite
	cert := s.opts.SUT.Certificate
	if s.opts.SUT.Demonstration() {
		cert = s.identity.Certificate
	}
	var err error
	w.sut, err = w.contour.Register(router.Subscriber{ID: sutID, Code: s.opts.SUT.code(), Name: "Система под испытанием",
		Certificates: []*x509.Certificate{cert}})
	if err != nil {
		return msg.Errorf("register the system under test as a subscriber: %w", err)
	}
	return nil
}

func (w *World) counterpartRefuses() error {
	return w.contour.Router.SetScript(smdo.CounterpartID, smdo.CounterpartScript(w.suite.timing.Scale, router.RegistrationRefused,
		"Отказ в регистрации: документ направлен не по адресу"))
}

func (w *World) tokenExpiresAfter(calls int) error {
	w.contour.Router.ExpireTokenAfter(sutID, calls)
	return nil
}

func (w *World) refuseNextSignature() error {
	w.contour.Router.RefuseNext(sutID, router.StageSigns, 1)
	return nil
}

func (w *World) refuseNextRouting() error {
	w.contour.Router.RefuseNext(sutID, router.StageRoute, 1)
	return nil
}

// request is a trigger request on the SMDO channel for the scenario's router.
func (w *World) request(action string) trigger.Request {
	s := w.suite
	return trigger.Request{Action: action, Channel: trigger.SMDO, Gateway: w.contour.URL,
		CA: string(pki.PEM(s.ca.Intermediate(), s.ca.Root())),
		SMDO: &trigger.SMDORequest{Credentials: w.sut.Username + ":" + w.sut.Password,
			Subscriber: trigger.Party{ID: w.sut.ID, Code: w.sut.Code, Name: w.sut.Name}}}
}

// sendRequest asks the system to send the counterpart a document of n files; the timeout covers
// the restart pause and two poll periods for the receipt and the registration notice.
func (w *World) sendRequest(n int, askAck bool) trigger.Request {
	t := w.suite.timing
	r := w.request(trigger.Send)
	r.Files = map[string]string{}
	for name, b := range sampleFiles(n) {
		r.Files[name] = base64.StdEncoding.EncodeToString(b)
	}
	r.SMDO.To = []trigger.Party{{ID: smdo.CounterpartID, Code: smdo.CounterpartCode, Name: smdo.CounterpartName}}
	r.SMDO.Kind, r.SMDO.AskAck = sampleKind, askAck
	r.SMDO.Title = "О проверке соответствия СЭД"
	r.SMDO.RegNumber = fmt.Sprintf("01-12/%d", len(w.fired)+1)
	r.Timeout = (t.Restart + 3*t.Poll + counterpartPace(t) + time.Minute).String()
	return r
}

func (w *World) sendDocument(ctx context.Context, n int, askAck string) error {
	return w.fire(ctx, w.sendRequest(n, askAck != ""))
}

// sendTogether asks for a multiple send of n one-file documents (SMDO-RESTART).
func (w *World) sendTogether(ctx context.Context, n int) error {
	r := w.sendRequest(1, false)
	r.SMDO.Documents = n
	t := w.suite.timing
	r.Timeout = (time.Duration(n)*(t.Restart+t.Poll) + counterpartPace(t) + time.Minute).String()
	return w.fire(ctx, r)
}

func (w *World) sendReply(ctx context.Context) error {
	if len(w.delivered) == 0 {
		return msg.Errorf("the scenario has no document of the counterpart to reply to")
	}
	r := w.sendRequest(1, false)
	r.SMDO.ReplyTo = w.delivered[0].ID
	r.SMDO.Title = "Ответ на письмо контрагента"
	return w.fire(ctx, r)
}

// sendReplacement asks for additional materials replacing a file of the document the scenario's
// previous send carried.
func (w *World) sendReplacement(ctx context.Context) error {
	prev := w.last()
	if prev.request.SMDO == nil || prev.request.Action != trigger.Send {
		return msg.Errorf("the scenario sent no document before the additional materials")
	}
	r := w.sendRequest(1, false)
	r.SMDO.AddType, r.SMDO.Referred = 2, prev.request.SMDO.RegNumber
	r.SMDO.RegNumber = prev.request.SMDO.RegNumber
	// The document's PDF again, in a new version, under its name.
	r.Files = map[string]string{samplePDF: base64.StdEncoding.EncodeToString(append(sampleFiles(1)[samplePDF], "\n% версия 2\n"...))}
	return w.fire(ctx, r)
}

func (w *World) tookDocument(ctx context.Context) error {
	return w.receive(ctx, 1, router.Registered)
}

func (w *World) runReceiver(ctx context.Context, periods int, refusing string) error {
	if refusing != "" {
		return w.receive(ctx, periods, router.RegistrationRefused)
	}
	return w.receive(ctx, periods, router.Registered)
}

// receive runs the system's receiving thread for the given poll periods and half a period more,
// registering what it takes as the registration errorcode says (SMDO-ACK).
func (w *World) receive(ctx context.Context, periods, registration int) error {
	t := w.suite.timing
	window := time.Duration(periods)*t.Poll + t.Poll/2
	r := w.request(trigger.Receive)
	r.SMDO.Window, r.SMDO.Registration = window.String(), registration
	r.Timeout = (window + time.Minute).String()
	start := time.Now()
	if err := w.fire(ctx, r); err != nil {
		return err
	}
	// A system that answers at once and keeps polling on its own is given the whole window.
	if rest := window - time.Since(start); rest > 0 {
		select {
		case <-time.After(rest):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (w *World) fire(ctx context.Context, r trigger.Request) error {
	w.evidence.AttachJSON(fmt.Sprintf("trigger request %d.json", len(w.fired)+1), steps.RedactedTrigger(r))
	timeout, _ := time.ParseDuration(r.Timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	f := firing{request: r, at: time.Now()}
	f.result, f.err = w.suite.trigger.Fire(ctx, r)
	w.fired = append(w.fired, f)
	if f.err != nil {
		return msg.Errorf("the system under test could not be made to act: %w", f.err)
	}
	w.evidence.AttachJSON(fmt.Sprintf("system under test's result %d.json", len(w.fired)), f.result)
	return nil
}

// counterpartPace is how long the counterpart takes to confirm and register at the run's time scale.
func counterpartPace(t Timing) time.Duration {
	return time.Duration(float64(smdo.CounterpartConfirms+smdo.CounterpartRegisters) * t.Scale)
}
