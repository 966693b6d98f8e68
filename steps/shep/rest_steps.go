package shep

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cucumber/godog"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/jose"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// restWorld is the state of a REST scenario (Appendix 1 section 3, R-2.7, R-53, A6-S3).
type restWorld struct {
	*World
	// gatewayID is the gateway's certificate that sealed messages are encrypted to and that it
	// presents to owners: its EDS certificate, or in a GOST run its companion (joseIdentity).
	gatewayID *pki.Identity
	httpsURL  string
	owner     *owner.RESTOwner
	plain     []byte // the last request's JSON, before sealing when sealed
	x         *owner.RESTExchange
	fault     *gateway.RESTFault
	answer    *envelope.RESTResponse
	response  *schema.JSON
}

func init() { stepSets = append(stepSets, registerRESTSteps) }

func registerRESTSteps(w *World, sc *godog.ScenarioContext) {
	r := &restWorld{World: w}
	sc.Step(`^the gateway serves REST services over HTTPS with a certificate from the NCA$`, r.gatewayServes)
	sc.Step(`^the owner system "([^"]*)" serves "([^"]*)" in the REST style over HTTPS$`, r.ownerServes)
	sc.Step(`^the REST owner answers "([^"]*)" after (\d+) seconds$`, r.ownerAnswersAfter)
	sc.Step(`^the REST owner answers "([^"]*)" without "([^"]*)"$`, r.ownerAnswersWithout)

	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS with the data (.+)$`, r.callsData)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS$`, r.calls)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS with the password "([^"]*)"$`, r.callsPassword)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS with HTTP Basic authentication and no password in the body$`, r.callsBasic)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS with HTTP Basic authentication and the password "([^"]*)"$`, r.callsBasicPassword)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS presenting its own NCA certificate$`, r.callsWithOwnCert)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS presenting the certificate of another organisation$`, r.callsWithOtherCert)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over plain HTTP$`, r.callsPlain)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS without "([^"]*)"$`, r.callsWithout)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS with "([^"]*)" set to the number (\d+)$`, r.callsWithNumber)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS with the extra field "([^"]*)"$`, r.callsWithExtra)
	sc.Step(`^"([^"]*)" calls "([^"]*)" over HTTPS with "([^"]*)" renamed to "([^"]*)"$`, r.callsRenamed)

	sc.Step(`^"([^"]*)" sends "([^"]*)" signed and encrypted for the gateway$`, r.sendsSealed)
	sc.Step(`^"([^"]*)" sends "([^"]*)" signed and encrypted for another certificate$`, r.sendsSealedForOther)
	sc.Step(`^"([^"]*)" sends "([^"]*)" signed and encrypted for the gateway with the ciphertext altered$`, r.sendsSealedAltered)
	sc.Step(`^"([^"]*)" sends "([^"]*)" signed, altered after signing, and encrypted for the gateway$`, r.sendsSignedAltered)
	sc.Step(`^"([^"]*)" sends "([^"]*)" encrypted for the gateway but not signed$`, r.sendsUnsignedSealed)
	sc.Step(`^"([^"]*)" sends "([^"]*)" signed with the certificate of another organisation and encrypted for the gateway$`, r.sendsSealedByOther)

	sc.Step(`^the initiator receives the owner's REST answer$`, r.receivesAnswer)
	sc.Step(`^the REST answer is valid against the A1-T23 schema$`, r.answerValid)
	sc.Step(`^the REST owner received the request with the business data unaltered and without the password$`, r.ownerGotData)
	sc.Step(`^the REST owner received the gateway's client certificate$`, r.ownerGotGatewayCert)
	sc.Step(`^the REST owner received no request$`, r.ownerGotNothing)
	sc.Step(`^the initiator receives a REST error with code "([^"]*)" and HTTP status (\d+)$`, r.receivesFault)
	sc.Step(`^the REST error cites "([^"]*)"$`, r.faultCites)
	sc.Step(`^the REST error cites "([^"]*)" and names the field "([^"]*)"$`, r.faultCitesField)
	sc.Step(`^the REST error says "([^"]*)"$`, r.faultSays)
	sc.Step(`^the REST error is valid against the documented error format$`, r.faultWellFormed)
	sc.Step(`^the journal records the REST exchange as "([^"]*)"$`, r.journalOutcome)
	sc.Step(`^the journal records the REST exchange as "([^"]*)" with code "([^"]*)" and rule "([^"]*)"$`, r.journalOutcomeCode)
	sc.Step(`^the journal shows the signature of "([^"]*)" in the sealed message checked by (OCSP|CRL)$`, r.journalShowsSealedSigner)
	sc.Step(`^the journal shows the owner's REST processing time of at least (\d+) seconds$`, r.ownerTimeAtLeast)
}

// ---- actors ----

// tlsClient trusts the run's NCA and, when id is given, presents id for mutual TLS.
func (r *restWorld) tlsClient(id *pki.Identity) *http.Client {
	cfg := &tls.Config{RootCAs: r.suite.NCA.Roots(), MinVersion: tls.VersionTLS12}
	if id != nil {
		cfg.Certificates = []tls.Certificate{id.TLSCertificate()}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: time.Minute}
}

// gatewayServes starts the gateway with the REST channel: plain HTTP (where REST is refused) and
// HTTPS with a server certificate from the run's NCA. Client certificates are optional and checked
// when presented.
func (r *restWorld) gatewayServes() error {
	if r.registry == nil {
		r.registry = gateway.NewRegistry()
		r.passwords = map[string]string{}
		r.identities = map[string]*pki.Identity{}
	}
	signing, err := r.issue(gatewaySystem, r.suite.Key)
	if err != nil {
		return err
	}
	if r.gatewayID, err = r.joseIdentity(gatewaySystem); err != nil {
		return err
	}
	tlsID, err := r.suite.NCA.IssueServer(nca.Subject{CommonName: "gateway", BIN: binOf(gatewaySystem)}, r.suite.Key, "127.0.0.1", "localhost")
	if err != nil {
		return err
	}
	rest := gateway.REST{TLS: tlsID, Identity: r.gatewayID, Checker: r.suite.checker(), OwnerClient: r.tlsClient(r.gatewayID), Off: r.suite.SignatureChecksOff}
	gw, err := gateway.New(r.registry, r.suite.Journal, gateway.WithLimits(r.suite.Limits), gateway.WithREST(rest),
		gateway.WithSignatures(gateway.Signatures{Identity: signing, Checker: r.suite.checker(), Off: r.suite.SignatureChecksOff}))
	if err != nil {
		return err
	}
	plain, err := server.Start("127.0.0.1:0", gw.Handler())
	if err != nil {
		return err
	}
	secure, err := server.StartTLS("127.0.0.1:0", gw.Handler(), gw.TLSConfig())
	if err != nil {
		_ = plain.Close(context.Background())
		return err
	}
	r.servers = append(r.servers, plain, secure.Server)
	r.gatewayURL, r.httpsURL = plain.URL(), secure.URL()
	if r.response, err = schema.CompileJSON(shepfixtures.REST(), "response.schema.json"); err != nil {
		return err
	}
	r.attach("gateway HTTPS certificate.pem", "application/x-pem-file", pki.PEM(tlsID.Certificate))
	r.attachJSON("limits in force", r.suite.Limits)
	return nil
}

func (r *restWorld) ownerServes(ownerID, serviceID string) error {
	if r.owner != nil {
		return msg.Errorf("this scenario already has a REST owner system, %s", r.owner.SystemID)
	}
	r.owner = owner.NewREST(ownerID, r.suite.OwnerOmit...)
	r.owner.Checker, r.owner.GatewayID = r.suite.checker(), binOf(gatewaySystem)
	tlsID, err := r.suite.NCA.IssueServer(nca.Subject{CommonName: ownerID, BIN: binOf(ownerID)}, r.suite.Key, "127.0.0.1")
	if err != nil {
		return err
	}
	srv, err := server.StartTLS("127.0.0.1:0", r.owner, &tls.Config{Certificates: []tls.Certificate{tlsID.TLSCertificate()},
		ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	r.servers = append(r.servers, srv.Server)
	if err := r.systemRegistered(ownerID, randomPassword()); err != nil {
		return err
	}
	r.registry.AddService(gateway.Service{ID: serviceID, Owner: ownerID, Endpoint: srv.URL() + "/rest"})
	return nil
}

func (r *restWorld) ownerAnswersAfter(serviceID string, seconds int) {
	r.owner.Handle(serviceID, owner.Behaviour{Latency: r.suite.Limits.Scaled(time.Duration(seconds) * time.Second)})
}

func (r *restWorld) ownerAnswersWithout(serviceID, path string) {
	r.owner.Handle(serviceID, owner.Behaviour{Omit: []string{path}})
}

// ---- the initiator calls ----

// initiator is a reference REST initiator presenting cert over mutual TLS (none when nil). It seals
// nothing until sendSealed gives it the system's JOSE certificate.
func (r *restWorld) initiator(systemID, password string, cert *pki.Identity) *owner.RESTInitiator {
	return &owner.RESTInitiator{SystemID: systemID, Password: password, Gateway: r.httpsURL, HTTP: r.tlsClient(cert)}
}

// request is the A1-T22 body systemID sends to serviceID, with one business-data element.
func (r *restWorld) request(in *owner.RESTInitiator, serviceID, data string) []byte {
	body, _ := json.MarshalIndent(in.Request(serviceID, json.RawMessage(data)), "", "  ")
	return body
}

// send posts body and keeps what came back as evidence.
func (r *restWorld) send(ctx context.Context, in *owner.RESTInitiator, base, contentType string, body []byte) error {
	x := in.Send(ctx, base, contentType, body)
	r.x, r.fault, r.answer = &x, nil, nil
	if contentType != jose.MediaType {
		r.plain = body
	}
	r.attach("REST request sent ("+contentType+")", contentType, body)
	if x.Err != nil {
		return nil // no HTTP answer: the checks say so
	}
	r.attach(fmt.Sprintf("REST answer, HTTP %d", x.Status), "application/json", x.Response)
	if x.Status == http.StatusOK {
		var a envelope.RESTResponse
		if json.Unmarshal(x.Response, &a) == nil {
			r.answer = &a
		}
		return nil
	}
	var f gateway.RESTFault
	if json.Unmarshal(x.Response, &f) == nil && f.Error.ErrorCode != "" {
		r.fault = &f
	}
	return nil
}

const defaultData = `{"iin": "990101300123"}`

func (r *restWorld) calls(ctx context.Context, systemID, serviceID string) error {
	in := r.initiator(systemID, r.passwords[systemID], nil)
	return r.send(ctx, in, r.httpsURL, "application/json", r.request(in, serviceID, defaultData))
}

func (r *restWorld) callsData(ctx context.Context, systemID, serviceID, data string) error {
	in := r.initiator(systemID, r.passwords[systemID], nil)
	return r.send(ctx, in, r.httpsURL, "application/json", r.request(in, serviceID, data))
}

func (r *restWorld) callsPassword(ctx context.Context, systemID, serviceID, password string) error {
	in := r.initiator(systemID, password, nil)
	return r.send(ctx, in, r.httpsURL, "application/json", r.request(in, serviceID, defaultData))
}

func (r *restWorld) callsBasic(ctx context.Context, systemID, serviceID string) error {
	in := r.initiator(systemID, r.passwords[systemID], nil)
	in.Basic = true
	in.Password = "" // in the body; the Basic header carries it
	body := r.request(in, serviceID, defaultData)
	in.Password = r.passwords[systemID]
	return r.send(ctx, in, r.httpsURL, "application/json", body)
}

func (r *restWorld) callsBasicPassword(ctx context.Context, systemID, serviceID, password string) error {
	in := r.initiator(systemID, "", nil)
	in.Basic = true
	body := r.request(in, serviceID, defaultData)
	in.Password = password
	return r.send(ctx, in, r.httpsURL, "application/json", body)
}

func (r *restWorld) callsWithOwnCert(ctx context.Context, systemID, serviceID string) error {
	cert, err := r.joseIdentity(systemID) // crypto/tls presents no GOST key
	if err != nil {
		return err
	}
	in := r.initiator(systemID, r.passwords[systemID], cert)
	return r.send(ctx, in, r.httpsURL, "application/json", r.request(in, serviceID, defaultData))
}

func (r *restWorld) callsWithOtherCert(ctx context.Context, systemID, serviceID string) error {
	// Presented over TLS only, so of a key type crypto/tls can present (joseKey).
	other, err := r.suite.NCA.Issue(nca.Subject{CommonName: "Another organisation's system", BIN: binOf("ANOTHER_ORG")}, r.joseKey())
	if err != nil {
		return err
	}
	in := r.initiator(systemID, r.passwords[systemID], other)
	return r.send(ctx, in, r.httpsURL, "application/json", r.request(in, serviceID, defaultData))
}

func (r *restWorld) callsPlain(ctx context.Context, systemID, serviceID string) error {
	in := r.initiator(systemID, r.passwords[systemID], nil)
	return r.send(ctx, in, r.gatewayURL, "application/json", r.request(in, serviceID, defaultData))
}

// edited sends the request of systemID after a programmed defect.
func (r *restWorld) edited(ctx context.Context, systemID, serviceID, path string, value any, remove bool) error {
	in := r.initiator(systemID, r.passwords[systemID], nil)
	body, err := owner.EditJSON(r.request(in, serviceID, defaultData), path, value, remove)
	if err != nil {
		return err
	}
	return r.send(ctx, in, r.httpsURL, "application/json", body)
}

func (r *restWorld) callsWithout(ctx context.Context, systemID, serviceID, path string) error {
	return r.edited(ctx, systemID, serviceID, path, nil, true)
}

func (r *restWorld) callsWithNumber(ctx context.Context, systemID, serviceID, path string, n int) error {
	return r.edited(ctx, systemID, serviceID, path, n, false)
}

func (r *restWorld) callsWithExtra(ctx context.Context, systemID, serviceID, path string) error {
	return r.edited(ctx, systemID, serviceID, path, "an extra value", false)
}

func (r *restWorld) callsRenamed(ctx context.Context, systemID, serviceID, path, name string) error {
	in := r.initiator(systemID, r.passwords[systemID], nil)
	var doc map[string]any
	_ = json.Unmarshal(r.request(in, serviceID, defaultData), &doc)
	keys := strings.Split(path, "/")
	m := doc
	for _, k := range keys[:len(keys)-1] {
		m, _ = m[k].(map[string]any)
	}
	if m == nil || m[keys[len(keys)-1]] == nil {
		return msg.Errorf("no field %s in the request", path)
	}
	m[name] = m[keys[len(keys)-1]]
	delete(m, keys[len(keys)-1])
	body, _ := json.MarshalIndent(doc, "", "  ")
	return r.send(ctx, in, r.httpsURL, "application/json", body)
}

// ---- sealed messages (A6-S3) ----

func (r *restWorld) sendSealed(ctx context.Context, systemID, serviceID string, seal func(in *owner.RESTInitiator, body []byte) (string, error)) error {
	in := r.initiator(systemID, r.passwords[systemID], nil)
	var err error
	if in.Identity, err = r.joseIdentity(systemID); err != nil {
		return err
	}
	body := r.request(in, serviceID, defaultData)
	r.attach("REST request before sealing", "application/json", body)
	r.plain = body
	sealed, err := seal(in, body)
	if err != nil {
		return err
	}
	return r.send(ctx, in, r.httpsURL, jose.MediaType, []byte(sealed))
}

func (r *restWorld) sendsSealed(ctx context.Context, systemID, serviceID string) error {
	return r.sendSealed(ctx, systemID, serviceID, func(in *owner.RESTInitiator, body []byte) (string, error) {
		b, err := in.Seal(body, r.gatewayID)
		return string(b), err
	})
}

func (r *restWorld) sendsSealedForOther(ctx context.Context, systemID, serviceID string) error {
	// Encrypted to only, so of a key type JOSE can encrypt to (joseKey).
	other, err := r.suite.NCA.Issue(nca.Subject{CommonName: "not the gateway", BIN: binOf("NOT_THE_GATEWAY")}, r.joseKey())
	if err != nil {
		return err
	}
	return r.sendSealed(ctx, systemID, serviceID, func(in *owner.RESTInitiator, body []byte) (string, error) {
		b, err := in.Seal(body, other)
		return string(b), err
	})
}

// alter flips one byte in the middle of part i of a compact JOSE object.
func alter(compact string, part int) string {
	parts := strings.Split(compact, ".")
	b := []byte(parts[part])
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	parts[part] = string(b)
	return strings.Join(parts, ".")
}

func (r *restWorld) sendsSealedAltered(ctx context.Context, systemID, serviceID string) error {
	return r.sendSealed(ctx, systemID, serviceID, func(in *owner.RESTInitiator, body []byte) (string, error) {
		b, err := in.Seal(body, r.gatewayID)
		return alter(string(b), 3), err
	})
}

func (r *restWorld) sendsSignedAltered(ctx context.Context, systemID, serviceID string) error {
	return r.sendSealed(ctx, systemID, serviceID, func(in *owner.RESTInitiator, body []byte) (string, error) {
		id := in.Identity
		jws, err := jose.Sign(body, id.Key, append([]*x509.Certificate{id.Certificate}, id.Chain...))
		if err != nil {
			return "", err
		}
		// The payload changes after signing: another business value, same length, same signature.
		parts := strings.Split(jws, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		payload = bytes.Replace(payload, []byte("990101300123"), []byte("990101300999"), 1)
		parts[1] = base64.RawURLEncoding.EncodeToString(payload)
		return jose.Encrypt([]byte(strings.Join(parts, ".")), r.gatewayID.Certificate)
	})
}

func (r *restWorld) sendsUnsignedSealed(ctx context.Context, systemID, serviceID string) error {
	return r.sendSealed(ctx, systemID, serviceID, func(_ *owner.RESTInitiator, body []byte) (string, error) {
		return jose.Encrypt(body, r.gatewayID.Certificate)
	})
}

func (r *restWorld) sendsSealedByOther(ctx context.Context, systemID, serviceID string) error {
	// Sealed with only, so of a key type JOSE can sign with (joseKey).
	other, err := r.suite.NCA.Issue(nca.Subject{CommonName: "Another organisation's system", BIN: binOf("ANOTHER_ORG")}, r.joseKey())
	if err != nil {
		return err
	}
	return r.sendSealed(ctx, systemID, serviceID, func(in *owner.RESTInitiator, body []byte) (string, error) {
		in.Identity = other
		b, err := in.Seal(body, r.gatewayID)
		return string(b), err
	})
}

// ---- checks ----

// observed is what came back to the last REST request.
func (r *restWorld) observed() msg.Text {
	switch {
	case r.x == nil:
		return msg.F("nothing was sent")
	case r.x.Err != nil:
		return msg.F("no HTTP answer: %s", msg.Of(r.x.Err))
	case r.fault != nil:
		return msg.F("HTTP %d: %s", r.x.Status, restFaultText(r.fault))
	}
	return msg.F("HTTP %d: %s", r.x.Status, quotedBody(r.x.Response, 400))
}

func (r *restWorld) receivesAnswer() error {
	return r.verify("A1-T23", msg.F("HTTP 200 with the owner's REST answer"), r.observed(), r.answer != nil)
}

func (r *restWorld) answerValid() error {
	if r.x == nil || r.x.Err != nil {
		return r.verify("A1-T23", msg.F("a REST answer"), r.observed(), false)
	}
	v := r.response.Validate(r.x.Response)
	observed := msg.F("valid")
	if len(v) > 0 {
		observed = envelope.Explain(v[0], envelope.RESTResponseMsg).Text()
	}
	return r.verify("A1-T23", msg.F("an answer valid against %s", "fixtures/shep/rest/response.schema.json"), observed, len(v) == 0)
}

func (r *restWorld) lastReceived() (owner.RESTReceived, bool) {
	got := r.owner.Received()
	if len(got) == 0 {
		return owner.RESTReceived{}, false
	}
	return got[len(got)-1], true
}

func (r *restWorld) ownerGotData() error {
	got, ok := r.lastReceived()
	if !ok {
		return r.verify("R-2.5", msg.F("the owner received the request"), msg.F("the owner received nothing"), false)
	}
	r.attach("request as the owner received it", "application/json", got.Body)
	var sent envelope.RESTRequest
	_ = json.Unmarshal(r.plain, &sent)
	same := jsonEqual(sent.Request.RequestData.Data, got.Request.Request.RequestData.Data)
	pw := got.Request.Request.RequestInfo.Sender.Password
	if err := r.verify("R-2.5", msg.F("the business data as sent: %s", string(sent.Request.RequestData.Data)),
		msg.F("the owner received %s", string(got.Request.Request.RequestData.Data)), same); err != nil {
		return err
	}
	return r.verify("R-53", msg.F("no password forwarded to the owner"), msg.F("password %q", pw), pw == "")
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func (r *restWorld) ownerGotGatewayCert() error {
	got, ok := r.lastReceived()
	observed := msg.F("the owner received nothing")
	if ok {
		observed = msg.F("client certificate %q", got.Gateway)
	}
	return r.verify("R-2.7", msg.F("the gateway called the owner over HTTPS presenting its NCA certificate (BIN %s)", binOf(gatewaySystem)),
		observed, ok && got.Err == nil && strings.Contains(got.Gateway, "BIN"+binOf(gatewaySystem)))
}

func (r *restWorld) ownerGotNothing() error {
	n := len(r.owner.Received())
	return r.verify("R-53", msg.F("the owner received no request"), msg.F("the owner received %d", n), n == 0)
}

func (r *restWorld) receivesFault(code string, status int) error {
	ok := r.fault != nil && r.fault.Error.ErrorCode == code && r.x.Status == status
	return r.verify("R-53", msg.F("HTTP %d with a REST error %s", status, code), r.observed(), ok)
}

func (r *restWorld) faultCites(ruleID string) error {
	observed := msg.F("no REST error")
	if r.fault != nil {
		observed = msg.F("rule %s: %s", r.fault.Error.Rule, gateway.Explain(r.fault.Error.ErrorData))
	}
	return r.verify(ruleID, msg.F("a REST error citing %s", ruleID), observed, r.fault != nil && r.fault.Error.Rule == ruleID)
}

func (r *restWorld) faultCitesField(ruleID, field string) error {
	if err := r.faultCites(ruleID); err != nil {
		return err
	}
	return r.verify(ruleID, msg.F("a REST error naming the field %s", msg.Quoted(field)), msg.F("field %s", quoted(r.fault.Error.Field)), r.fault.Error.Field == field)
}

func (r *restWorld) faultSays(text string) error {
	observed := msg.F("no REST error")
	if r.fault != nil {
		observed = gateway.Explain(r.fault.Error.ErrorData)
	}
	return r.verify("R-53", msg.F("a REST error explaining %s", msg.Quoted(text)), observed, r.fault != nil && strings.Contains(r.fault.Error.ErrorData, text))
}

// faultWellFormed checks the error body against the format fixtures/README.md documents.
func (r *restWorld) faultWellFormed() error {
	var raw map[string]map[string]any
	ok := r.x != nil && json.Unmarshal(r.x.Response, &raw) == nil && len(raw) == 1
	for _, k := range []string{"errorCode", "errorMessage", "errorData", "errorDate", "sessionId", "rule"} {
		ok = ok && raw["error"][k] != nil && raw["error"][k] != ""
	}
	if ok {
		_, err := time.Parse(time.RFC3339, raw["error"]["errorDate"].(string))
		ok = err == nil
	}
	return r.verify("O-13", msg.Quoted(`{"error": {errorCode, errorMessage, errorData, errorDate, sessionId, rule}}`), r.observed(), ok)
}

func (r *restWorld) sessionOfLast() (string, error) {
	switch {
	case r.fault != nil:
		return r.fault.Error.SessionID, nil
	case r.x != nil && r.x.SessionID != "":
		return r.x.SessionID, nil
	}
	return "", msg.Errorf("no answer from the gateway yet")
}

func (r *restWorld) journal(ctx context.Context) (journal.Exchange, error) {
	sid, err := r.sessionOfLast()
	if err != nil {
		return journal.Exchange{}, err
	}
	x, err := r.suite.Journal.Exchange(ctx, sid)
	if err == nil {
		r.attachJSON("journal "+sid, x.Events)
	}
	return x, err
}

func (r *restWorld) journalOutcome(ctx context.Context, kind string) error {
	x, err := r.journal(ctx)
	if err != nil {
		return r.verify("R-53", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	return r.verify("R-53", msg.F("journal outcome %s", kind), msg.F("outcome %s", x.Outcome), string(x.Outcome) == kind)
}

func (r *restWorld) journalOutcomeCode(ctx context.Context, kind, code, ruleID string) error {
	x, err := r.journal(ctx)
	if err != nil {
		return r.verify("R-53", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	return r.verify("R-53", msg.F("journal outcome %s with code %s and rule %s", kind, code, ruleID),
		msg.F("outcome %s with code %s and rule %s", x.Outcome, x.Code, x.Rule),
		string(x.Outcome) == kind && x.Code == code && x.Rule == ruleID)
}

func (r *restWorld) journalShowsSealedSigner(ctx context.Context, systemID, method string) error {
	x, err := r.journal(ctx)
	if err != nil {
		return r.verify("A6-S3", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	var detail string
	for _, e := range x.Events {
		if e.Kind == journal.Accepted {
			detail = e.Detail
		}
	}
	ok := strings.Contains(detail, "A6-S3 sealed message") && strings.Contains(detail, `"bin":"`+binOf(systemID)+`"`) &&
		strings.Contains(detail, `"revocation":"`+method)
	return r.verify("A6-S3", msg.F("the gateway decrypted the message and checked the signature of %s (BIN %s) by %s", systemID, binOf(systemID), method),
		gateway.Explain(detail), ok)
}

func (r *restWorld) ownerTimeAtLeast(ctx context.Context, seconds int) error {
	x, err := r.journal(ctx)
	if err != nil {
		return r.verify("A2-T1", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	took := x.OwnerAnswered.Sub(x.SentToOwner)
	limit := r.suite.Limits.Scaled(time.Duration(seconds) * time.Second)
	return r.verify("A2-T1 row 1", msg.F("the owner's processing time at least %s", r.suite.Limits.Describe(time.Duration(seconds)*time.Second)),
		msg.F("%s (Rules time %s)", took, r.suite.Limits.InRulesTime(took)), !x.OwnerAnswered.IsZero() && took >= limit)
}
