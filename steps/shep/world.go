// Package steps holds the godog step definitions of the conformance suite and the runner that
// turns a run into reports. Each scenario gets its own World with its own actors; steps are short
// and delegate real work to simulators/ and internal/.
package shep

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
	"github.com/shepconf/shepconf/steps"
)

// Suite is what all scenarios of one run share: the limits in force, the run's journal and the
// compiled schemas used to check answers. Scenario state lives in World, never here.
type Suite struct {
	Limits    rule.Limits
	OwnerOmit []string // a deliberately broken reference owner (see owner.New)
	Journal   *journal.Journal
	SyncXSD   *schema.XSD
	// NCA issues every actor's certificate and answers OCSP and CRL requests for the whole run;
	// each scenario gets certificates of its own.
	NCA *nca.Authority
	// Key is the key algorithm of the certificates the run issues for its systems (Options).
	Key                pki.KeyType
	SignatureChecksOff []xsig.Problem
	SUT                *sut.Launcher // the system under test, for the scenarios of its roles

	mu        sync.Mutex
	exercised map[sut.Role][]string // the services the system under test was exercised on, per role

	// What the load scenarios measured, for the report's charts (scenarios run one at a time).
	measurements    []reports.Measurement
	loadCompression float64
}

// checker judges certificates against the run's NCA.
func (s *Suite) checker() *xsig.Checker {
	return &xsig.Checker{Roots: s.NCA.Roots(), Intermediates: s.NCA.Intermediates()}
}

// World is one scenario's state: its actors and the evidence it gathers.
type World struct {
	suite *Suite

	registry        *gateway.Registry
	gatewayURL      string
	owner           *owner.Owner
	ownerURL        string
	servers         []*server.Server
	passwords       map[string]string
	identities      map[string]*pki.Identity        // each system's EDS registration certificate, by system ID
	companions      map[*pki.Identity]*pki.Identity // JOSE and TLS certificates beside GOST ones (joseCompanion)
	externalJournal *journal.Journal                // the external gateway's, when a scenario has one (A6-S1)

	sent     envelope.SendMessage // the request as built, before any alteration
	exchange *owner.Exchange
	answer   *envelope.SendMessageResponse
	fault    *envelope.Fault

	roles       []sut.Role // the roles of the system under test this scenario certifies (its @role- tags)
	targetShown bool       // the system under test's description is attached

	evidence steps.Evidence         // attached to the current step when it ends
	remarks  map[string]xsig.Remark // the remarks this scenario recorded, by code
	cleanups []func(context.Context)
}

// onClose registers what to stop or remove when the scenario ends.
func (w *World) onClose(f func(context.Context)) { w.cleanups = append(w.cleanups, f) }

// verify records a verdict and fails the step with the breach when the check did not hold. What
// was expected and observed are messages, so that the report explains the verdict in its reader's
// language; a value among them (an identifier, a code, what a system sent) is a parameter.
func (w *World) verify(ruleID string, expected, observed msg.Text, ok bool) error {
	return w.evidence.Check(ruleID, expected, observed, ok)
}

// remark records what a signature did that the real gateway tolerates but the Rules do not ask
// for: the scenario does not fail, and the report lists each remark apart from failures. A remark
// is recorded once per scenario, on the step that observed it.
func (w *World) remark(rs ...xsig.Remark) {
	for _, r := range rs {
		if _, seen := w.remarks[r.Code]; seen {
			continue
		}
		if w.remarks == nil {
			w.remarks = map[string]xsig.Remark{}
		}
		w.remarks[r.Code] = r
		body, _ := json.Marshal(reports.Remark{Code: r.Code, Rule: r.Rule, Reason: r.Reason.String(), ReasonIn: r.Reason.Translations()})
		w.evidence.Add(godog.Attachment{Body: body, FileName: "remark " + r.Code, MediaType: reports.RemarkMediaType})
	}
}

// signatureChecks reads the gateway's transport signature checks from an exchange's journal
// events (the evidence of the ACCEPTED entry) and records the remarks they carry.
func (w *World) signatureChecks(events []journal.Event) []xsig.Report {
	var out []xsig.Report
	for _, e := range events {
		_, evidence, found := strings.Cut(e.Detail, "transport signature ")
		var r xsig.Report
		if !found || json.Unmarshal([]byte(evidence), &r) != nil {
			continue
		}
		w.remark(r.Remarks...)
		out = append(out, r)
	}
	return out
}

// attach adds evidence (an envelope, journal events) to the current step.
func (w *World) attach(name, mediaType string, body []byte) { w.evidence.Attach(name, mediaType, body) }

func (w *World) attachJSON(name string, v any) { w.evidence.AttachJSON(name, v) }

func (w *World) close(ctx context.Context) {
	for _, s := range w.servers {
		_ = s.Close(ctx)
	}
	for i := len(w.cleanups) - 1; i >= 0; i-- {
		w.cleanups[i](ctx)
	}
}

// sessionID is the gateway session of the last exchange, as the gateway's answer states it.
func (w *World) sessionID() (string, error) {
	switch {
	case w.answer != nil:
		return w.answer.Response.ResponseInfo.SessionID, nil
	case w.fault != nil:
		return w.fault.Detail.SessionID, nil
	}
	return "", msg.Errorf("no answer from the gateway yet")
}

// journalExchange reads the last exchange from the journal and attaches its events as evidence.
func (w *World) journalExchange(ctx context.Context) (journal.Exchange, error) {
	sid, err := w.sessionID()
	if err != nil {
		return journal.Exchange{}, err
	}
	x, err := w.suite.Journal.Exchange(ctx, sid)
	if err != nil {
		return x, err
	}
	w.attachJSON("journal "+sid, x.Events)
	w.signatureChecks(x.Events)
	return x, nil
}
