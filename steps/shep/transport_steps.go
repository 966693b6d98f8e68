package shep

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/tamper"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// gatewaySystem names the gateway's own certificate among a scenario's identities.
const gatewaySystem = "SHEP_GATEWAY"

// binOf is the BIN a system's organisation has in the simulation: derived from its ID, so each
// system has its own and the scenario text stays free of numbers.
func binOf(systemID string) string {
	h := fnv.New64a()
	h.Write([]byte(systemID))
	return fmt.Sprintf("%012d", h.Sum64()%1_000_000_000_000)
}

// issue gives a system its EDS registration certificate from the run's NCA.
func (w *World) issue(systemID string, k pki.KeyType) (*pki.Identity, error) {
	id, err := w.suite.NCA.Issue(nca.Subject{CommonName: systemID, BIN: binOf(systemID), Organization: systemID + " owner organisation"}, k)
	if err != nil {
		return nil, err
	}
	w.identities[systemID] = id
	return id, nil
}

func init() { stepSets = append(stepSets, registerTransportSteps) }

func registerTransportSteps(w *World, sc *godog.ScenarioContext) {
	sc.Step(`^"([^"]*)" signs with an? (RSA-2048|ECDSA P-256|GOST 34\.310-2004) certificate$`, w.signsWith)
	sc.Step(`^the certificate of "([^"]*)" is revoked$`, w.revoked)
	sc.Step(`^the certificate of "([^"]*)" has expired$`, w.expired)
	sc.Step(`^"([^"]*)" signs with a certificate of another organisation$`, w.signsAsAnother)
	sc.Step(`^"([^"]*)" signs with a certificate from an unknown certification authority$`, w.signsWithStranger)
	sc.Step(`^the NCA's OCSP responder is down$`, w.ocspDown)
	sc.Step(`^the owner does not sign its answers$`, func() { w.owner.Identity = nil })
	sc.Step(`^the owner signs its answers with the certificate of "([^"]*)"$`, w.ownerSignsAs)

	sc.Step(`^"([^"]*)" sends an unsigned request to "([^"]*)"$`, w.sendsUnsigned)
	sc.Step(`^"([^"]*)" sends a signed request to "([^"]*)" altered after signing$`, w.sendsAltered)
	sc.Step(`^"([^"]*)" sends a signed request to "([^"]*)" with a timestamp in the signature header$`, w.sendsWithTimestamp)
	sc.Step(`^"([^"]*)" sends a signed request to "([^"]*)" wrapped around a forged body$`, w.sendsWrapped)
	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" signed with GOST R 34\.10-2015$`, w.sendsGOST2015)

	sc.Step(`^the journal shows the signature of "([^"]*)" checked by (OCSP|CRL)$`, w.journalShowsSignature)
	sc.Step(`^the owner received the request signed by the gateway$`, w.ownerGotGatewaySignature)
	sc.Step(`^the answer carries the gateway's valid transport signature$`, w.answerSignedByGateway)
	sc.Step(`^the fault says "([^"]*)"$`, w.faultSays)

	sc.Step(`^an external gateway relays "([^"]*)" to the owner system "([^"]*)"$`, w.externalGateway)
	sc.Step(`^the external gateway accepted the request on the gateway's signature$`, w.externalAccepted)

	sc.After(func(ctx context.Context, _ *godog.Scenario, _ error) (context.Context, error) {
		w.suite.NCA.SetOCSPAvailable(true) // the NCA is the run's: leave it as found
		return ctx, nil
	})
}

// ---- certificates ----

func (w *World) signsWith(systemID, keyType string) error {
	k := pki.RSA2048
	for _, t := range []pki.KeyType{pki.ECDSAP256, pki.GOST2004} {
		if keyType == t.String() {
			k = t
		}
	}
	if _, err := w.issue(systemID, k); err != nil {
		return err
	}
	w.registerCertificate(systemID) // the system's registration certificate is now this one
	return nil
}

func (w *World) revoked(systemID string) error {
	id, ok := w.identities[systemID]
	if !ok {
		return msg.Errorf("%s has no certificate", systemID)
	}
	return w.suite.NCA.Revoke(id.Certificate)
}

func (w *World) expired(systemID string) error {
	now := time.Now()
	id, err := w.suite.NCA.IssueValid(nca.Subject{CommonName: systemID, BIN: binOf(systemID)}, w.suite.Key, now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1))
	if err != nil {
		return err
	}
	w.identities[systemID] = id
	return nil
}

func (w *World) signsAsAnother(systemID string) error {
	id, err := w.suite.NCA.Issue(nca.Subject{CommonName: "Another organisation's system", BIN: binOf("ANOTHER_ORG")}, w.suite.Key)
	if err != nil {
		return err
	}
	w.identities[systemID] = id
	return nil
}

func (w *World) signsWithStranger(systemID string) error {
	stranger, err := nca.New("Unknown CA")
	if err != nil {
		return err
	}
	id, err := stranger.Issue(nca.Subject{CommonName: systemID, BIN: binOf(systemID)}, w.suite.Key)
	if err != nil {
		return err
	}
	w.identities[systemID] = id
	return nil
}

func (w *World) ocspDown() { w.suite.NCA.SetOCSPAvailable(false) }

func (w *World) ownerSignsAs(systemID string) error {
	id, ok := w.identities[systemID]
	if !ok {
		return msg.Errorf("%s has no certificate", systemID)
	}
	w.owner.Identity = id
	return nil
}

// ---- requests ----

func (w *World) sendsUnsigned(ctx context.Context, systemID, serviceID string) error {
	in := w.initiator(systemID, w.passwords[systemID])
	w.sent = in.Request(serviceID, envelope.StringData("ping"))
	body, err := envelope.Marshal(w.sent)
	if err != nil {
		return err
	}
	return w.deliver(ctx, in, body)
}

// signed builds a request for serviceID and signs it as systemID, with extra signature options.
func (w *World) signed(systemID, serviceID string, opts ...xsig.Option) (*owner.Initiator, []byte, error) {
	in := w.initiator(systemID, w.passwords[systemID])
	w.sent = in.Request(serviceID, envelope.StringData("ping"))
	body, err := envelope.Marshal(w.sent)
	if err != nil {
		return nil, nil, err
	}
	body, err = xsig.Sign(body, w.identities[systemID], opts...)
	return in, body, err
}

func (w *World) sendsAltered(ctx context.Context, systemID, serviceID string) error {
	in, body, err := w.signed(systemID, serviceID)
	if err != nil {
		return err
	}
	if body, err = tamper.Apply(body, tamper.SetText("request/requestData/data", "altered in transit")); err != nil {
		return err
	}
	return w.deliver(ctx, in, body)
}

func (w *World) sendsWithTimestamp(ctx context.Context, systemID, serviceID string) error {
	in, body, err := w.signed(systemID, serviceID, xsig.WithTimestamp(5*time.Minute))
	if err != nil {
		return err
	}
	return w.deliver(ctx, in, body)
}

// sendsWrapped performs the classic signature wrapping attack: the signed Body moves into the
// header, a forged Body with another Id takes its place, the signature still verifies over the
// moved copy.
func (w *World) sendsWrapped(ctx context.Context, systemID, serviceID string) error {
	in, body, err := w.signed(systemID, serviceID)
	if err != nil {
		return err
	}
	if body, err = tamper.Wrap(body, "request/requestData/data", "forged data"); err != nil {
		return err
	}
	return w.deliver(ctx, in, body)
}

// sendsGOST labels a signature with the GOST 34.310 algorithm URI of the real gateway's samples:
// the simulator cannot check it and must say so rather than call it valid or forged. The method
// replaced is the one of the run's key algorithm.
// sendsGOST2015 sends a request whose signature names GOST R 34.10-2015 with 512-bit keys, as the
// national CA's library writes it: the gateway must say it does not support the algorithm, not
// judge the signature (A6-S2).
func (w *World) sendsGOST2015(ctx context.Context, systemID, serviceID string) error {
	in, body, err := w.signed(systemID, serviceID)
	if err != nil {
		return err
	}
	const gost2015 = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512"
	signed := regexp.MustCompile(`(<ds:SignatureMethod Algorithm=")[^"]*`).ReplaceAllString(string(body), "${1}"+gost2015)
	return w.deliver(ctx, in, []byte(signed))
}

// ---- checks ----

func (w *World) journalShowsSignature(ctx context.Context, systemID, method string) error {
	x, err := w.journalExchange(ctx)
	if err != nil {
		return err
	}
	var accepted journal.Event
	for _, e := range x.Events {
		if e.Kind == journal.Accepted {
			accepted = e
		}
	}
	var r xsig.Report
	if checks := w.signatureChecks([]journal.Event{accepted}); len(checks) > 0 {
		r = checks[0]
	}
	w.attachJSON("transport signature check", r)
	ok := r.Certificate.BIN == binOf(systemID) && strings.HasPrefix(r.Certificate.Revocation, method)
	return w.verify("R-58", msg.F("the gateway checked the signature of %s (BIN %s) and its status by %s", systemID, binOf(systemID), method),
		msg.F("signer BIN %q, revocation %q", r.Certificate.BIN, r.Certificate.Revocation), ok)
}

func (w *World) ownerGotGatewaySignature() error {
	got := w.owner.Received()
	if len(got) == 0 {
		return w.verify("A6-S1", msg.F("the owner received the request re-signed by the gateway"), msg.F("the owner received nothing"), false)
	}
	r := got[len(got)-1]
	w.attachJSON("owner's check of the gateway's signature", r.Signature)
	observed := msg.F("signed by BIN %q (%q)", r.Signature.Certificate.BIN, r.Signature.Certificate.Revocation)
	if r.Err != nil {
		observed = msg.Of(r.Err)
	}
	return w.verify("A6-S1", msg.F("a request signed by the gateway (BIN %s), valid", binOf(gatewaySystem)), observed,
		r.Err == nil && r.Signature.Certificate.BIN == binOf(gatewaySystem))
}

func (w *World) answerSignedByGateway(ctx context.Context) error {
	if w.exchange == nil {
		return msg.Errorf("nothing was sent")
	}
	r, err := w.suite.checker().CheckMessage(ctx, w.exchange.Response, gatewaySystem, binOf(gatewaySystem))
	w.attachJSON("initiator's check of the gateway's signature", r)
	observed := msg.F("signed by BIN %q", r.Certificate.BIN)
	if err != nil {
		observed = msg.Of(err)
	}
	return w.verify("R-59", msg.F("the gateway's answer signed by the gateway, valid"), observed, err == nil)
}

func (w *World) faultSays(text string) error {
	observed := msg.F("no fault")
	if w.fault != nil {
		observed = gateway.Explain(w.fault.Detail.ErrorData)
	}
	return w.verify("R-58", msg.F("a fault explaining %s", msg.Quoted(text)), observed, w.fault != nil && strings.Contains(w.fault.Detail.ErrorData, text))
}

// ---- the external gateway (ЭҮСШ) ----

// externalGateway starts a second gateway, the external one, that the gateway relays serviceID to.
// The external gateway knows the gateway as a peer by its certificate and routes to its own owner.
func (w *World) externalGateway(serviceID, ownerID string) error {
	reg := gateway.NewRegistry()
	extID, err := w.issue("EXTERNAL_GATEWAY", w.suite.Key)
	if err != nil {
		return err
	}
	// The external gateway is another system with its own journal.
	dir, err := os.MkdirTemp("", "shepconf-external-gateway-")
	if err != nil {
		return err
	}
	if w.externalJournal, err = journal.Open(filepath.Join(dir, "journal.sqlite")); err != nil {
		return err
	}
	extJournal := w.externalJournal
	w.onClose(func(context.Context) { extJournal.Close(); os.RemoveAll(dir) })
	ext, err := gateway.New(reg, extJournal, gateway.WithLimits(w.suite.Limits),
		gateway.WithSignatures(gateway.Signatures{Identity: extID, Checker: w.suite.checker(), Off: w.suite.SignatureChecksOff}))
	if err != nil {
		return err
	}
	extSrv, err := server.Start("127.0.0.1:0", ext.Handler())
	if err != nil {
		return err
	}
	w.servers = append(w.servers, extSrv)

	w.owner = owner.New(ownerID, w.suite.OwnerOmit...)
	ownerCert, err := w.issue(ownerID, w.suite.Key)
	if err != nil {
		return err
	}
	w.owner.Identity, w.owner.Checker, w.owner.GatewayID = ownerCert, w.suite.checker(), binOf("EXTERNAL_GATEWAY")
	ownerSrv, err := server.Start("127.0.0.1:0", w.owner)
	if err != nil {
		return err
	}
	w.servers = append(w.servers, ownerSrv)

	reg.AddSystem(gateway.System{ID: "SHEP", Identifier: binOf(gatewaySystem), Peer: true})
	reg.AddSystem(gateway.System{ID: ownerID, Identifier: binOf(ownerID)})
	reg.AddService(gateway.Service{ID: serviceID, Owner: ownerID, Endpoint: ownerSrv.URL() + "/sync"})
	reg.Grant(serviceID, "SHEP")

	// In the gateway's registry the service is the external gateway's, reached on its real path.
	w.registry.AddSystem(gateway.System{ID: "EXTERNAL_GATEWAY", Identifier: binOf("EXTERNAL_GATEWAY"), Peer: true})
	w.registry.AddService(gateway.Service{ID: serviceID, Owner: "EXTERNAL_GATEWAY", Endpoint: extSrv.URL() + envelope.SyncPath})
	return nil
}

func (w *World) externalAccepted(ctx context.Context) error {
	sid, err := w.sessionID()
	if err != nil {
		return err
	}
	got := w.owner.Received()
	if len(got) == 0 {
		return w.verify("A6-S1", msg.F("the external gateway relayed the request"), msg.F("the owner received nothing"), false)
	}
	// The external gateway's session is its own; find it through what the owner received.
	extSession := got[len(got)-1].Request.Request.RequestInfo.SessionID
	x, err := w.externalJournal.Exchange(ctx, extSession)
	if err != nil {
		return err
	}
	w.attachJSON("external gateway journal "+extSession, x.Events)
	var detail string
	for _, e := range x.Events {
		if e.Kind == journal.Accepted {
			detail = e.Detail
		}
	}
	ok := strings.Contains(detail, `"bin":"`+binOf(gatewaySystem)+`"`) && extSession != sid
	return w.verify("A6-S1", msg.F("the external gateway accepted the request on the signature of the gateway (BIN %s)", binOf(gatewaySystem)),
		gateway.Explain(detail), ok)
}
