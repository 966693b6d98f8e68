package shep

import (
	"context"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// roleAsyncWorld is the state of a scenario that certifies the system under test on the
// asynchronous channel (@role-async-sender, @role-async-receiver-pull, @role-async-receiver-push).
// It runs the scenario's own gateway as asyncWorld does, registers the system under test in it and
// judges what travelled from the gateway's journal and store; the system's trigger result only
// says what it did with what came back.
type roleAsyncWorld struct {
	*asyncWorld
	sut    sut.Target
	since  time.Time      // when the scenario's gateway started: the journal is the run's
	result trigger.Result // what the system under test reported
	follow string         // how it was asked to follow its delivery
	data   string         // the business data sent, by the system under test or to it

	messageID string // the message of the system under test, as the gateway's journal has it
	session   string // the gateway session that accepted it
	altered   int    // getMessages answers the altering proxy changed

	direct     []byte // the answer to something sent straight to the system under test
	directCode int
	directSID  string // the sessionId of a notification sent straight to it
}

func init() { stepSets = append(stepSets, registerRoleAsyncSteps) }

func registerRoleAsyncSteps(w *World, sc *godog.ScenarioContext) {
	r := &roleAsyncWorld{asyncWorld: &asyncWorld{World: w, endpoints: map[string]string{}}}
	sc.Step(`^the gateway runs its asynchronous channel for the system under test$`, r.gatewayRuns)
	sc.Step(`^the owner system "([^"]*)" serves "([^"]*)" and takes its messages by push$`, r.ownerServesByPush)
	sc.Step(`^the system under test may send to "([^"]*)"$`, r.sutGranted)
	sc.Step(`^the system under test takes its status notifications by push$`, r.sutNotifiedByPush)
	sc.Step(`^the system under test serves "([^"]*)" and takes its messages (with getMessages|by push)$`, r.sutServes)
	sc.Step(`^the reference initiator "([^"]*)" may send to "([^"]*)"$`, r.initiatorGranted)

	sc.Step(`^the system under test sends "([^"]*)" to "([^"]*)" and follows the delivery by (status|notification)$`, r.sutSends)
	sc.Step(`^the reference initiator sends "([^"]*)" to "([^"]*)"$`, r.referenceSends)
	sc.Step(`^the system under test takes its messages of "([^"]*)"$`, r.sutTakes)
	sc.Step(`^the system under test takes its messages of "([^"]*)" through a channel that alters the gateway's answers$`, r.sutTakesAltered)
	sc.Step(`^a sendMessage that the gateway did not sign is pushed straight to the system under test$`, r.unsignedPush)
	sc.Step(`^a changeMassageStatusNotification signed by the gateway is pushed to the system under test$`, r.notificationPushed)

	sc.Step(`^the gateway accepted the message of the system under test, signed and valid$`, r.sutMessageAccepted)
	sc.Step(`^the owner receives the message of the system under test with the data unaltered$`, r.ownerReceivedSUTMessage)
	sc.Step(`^the system under test learned the messageId the gateway gave the message$`, r.sutLearnedMessageID)
	sc.Step(`^the system under test asked the gateway for the message's state with getMessageStatus$`, r.sutAskedStatus)
	sc.Step(`^the gateway records that the system under test answered its changeMassageStatusNotification "([^"]*)", signed and valid$`, r.notificationAnswered)
	sc.Step(`^the system under test reports the state "([^"]*)"$`, r.sutReportsState)
	sc.Step(`^the gateway handed the message to the system under test by getMessages$`, r.pulled)
	sc.Step(`^the system under test acknowledged the message with MESSAGE_ACCEPTED$`, r.acknowledged)
	sc.Step(`^the system under test did not acknowledge the message as accepted$`, r.notAcknowledged)
	sc.Step(`^the system under test reports the message taken with the data unaltered$`, r.sutReportsTaken)
	sc.Step(`^the gateway records the push to the system under test answered, signed and valid$`, r.pushAnswered)
	sc.Step(`^the state of the message is (not )?"([^"]*)"$`, r.messageState)
	sc.Step(`^the system under test refuses the push with a SOAP fault$`, r.pushRefused)
	sc.Step(`^the system under test answers it with changeMassageStatusNotificationResponse, signed and valid, echoing the sessionId$`, r.notificationAnsweredDirect)
}

// ---- the scenario's parties ----

// gatewayRuns starts the scenario's gateway and registers the system under test in it with its
// senderId, password and the BIN of its certificate (R-53(2), R-54).
func (r *roleAsyncWorld) gatewayRuns(ctx context.Context) error {
	t, err := r.target(ctx)
	if err != nil {
		return err
	}
	r.sut, r.since = t, time.Now()
	if err := r.startGateway(); err != nil {
		return err
	}
	r.registry.AddSystem(gateway.System{ID: t.SystemID, Password: t.Password, Identifier: t.BIN})
	return nil
}

func (r *roleAsyncWorld) ownerServesByPush(systemID, serviceID string) error {
	if err := r.ownerServes(systemID, serviceID); err != nil {
		return err
	}
	srv, err := server.Start("127.0.0.1:0", r.owner)
	if err != nil {
		return err
	}
	r.servers = append(r.servers, srv)
	r.async.RegisterPush(systemID, srv.URL()+"/async-client")
	return nil
}

func (r *roleAsyncWorld) sutGranted(serviceID string) error {
	if !r.registry.Grant(serviceID, r.sut.SystemID) {
		return msg.Errorf("no service %s in the registry", serviceID)
	}
	r.exercise(serviceID)
	return nil
}

// sutNotifiedByPush registers the system's endpoint for the gateway's status notifications (A1-T16).
func (r *roleAsyncWorld) sutNotifiedByPush() error {
	if r.sut.AsyncURL == "" {
		return msg.Errorf("the system under test has no asynchronous endpoint for the gateway to push to: configure sut.async_path")
	}
	r.async.RegisterPush(r.sut.SystemID, r.sut.AsyncURL)
	return nil
}

// sutServes registers the system under test as the owner of serviceID, taking its messages by
// push on its asynchronous endpoint or with getMessages (Appendix 1 section 1.2).
func (r *roleAsyncWorld) sutServes(serviceID, how string) error {
	r.registry.AddService(gateway.Service{ID: serviceID, Owner: r.sut.SystemID})
	r.service = serviceID
	r.exercise(serviceID)
	if how == "by push" {
		return r.sutNotifiedByPush()
	}
	return nil
}

// ---- what the gateway saw ----

// sutEvents are the journal's events of every exchange the system under test started with the
// scenario's gateway, in order.
func (r *roleAsyncWorld) sutEvents(ctx context.Context) ([]journal.Event, error) {
	sessions, err := r.suite.Journal.SessionsOf(ctx, "async", r.sut.SystemID, r.since)
	if err != nil {
		return nil, err
	}
	var out []journal.Event
	for _, s := range sessions {
		events, err := r.suite.Journal.Events(ctx, s)
		if err != nil {
			return nil, err
		}
		out = append(out, events...)
	}
	r.signatureChecks(out) // the remarks on the system's signatures
	return out, nil
}

// sessionEvents waits until the journal of a session holds an event that matches, and returns the
// session's events either way.
func (r *roleAsyncWorld) sessionEvents(ctx context.Context, session string, match func(journal.Event) bool) []journal.Event {
	var events []journal.Event
	waitFor(func() bool {
		events, _ = r.suite.Journal.Events(ctx, session)
		for _, e := range events {
			if match(e) {
				return true
			}
		}
		return false
	})
	r.attachJSON("journal "+session, events)
	return events
}
