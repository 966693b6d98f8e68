package gateway

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/jose"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
	"github.com/shepconf/shepconf/internal/xsig"
)

// RESTPath is where the gateway serves REST services. The Rules give no URL layout (O-21); the
// gateway takes POST /bip-rest, or POST /bip-rest/{serviceid} whose last segment must then equal the
// body's serviceid (see fixtures/README.md).
const RESTPath = "/bip-rest"

// REST configures the REST channel (Appendix 1 section 3, R-53(2), A6-S3).
type REST struct {
	// TLS is the gateway's HTTPS server certificate, issued by the NCA.
	TLS *pki.Identity
	// Identity is the gateway's own certificate: sealed messages (A6-S3) are encrypted to it, and
	// the gateway presents it as client certificate when it calls an owner over HTTPS. Its key is
	// RSA or ECDSA, never GOST 34.310, which neither JOSE nor crypto/tls has: with GOST transport
	// signatures it is a second certificate of the gateway, of type pki.TLSKeyType.
	Identity *pki.Identity
	// Checker judges client certificates and the signers of sealed messages: IIN/BIN of the
	// registered system, chain to the NCA, validity, OCSP then CRL (A6-S3 step 4, R-58 2).
	Checker *xsig.Checker
	// RequireClientCertificate refuses a request whose TLS connection carries no client certificate.
	// Without it a client certificate is optional, and checked when given.
	RequireClientCertificate bool
	// OwnerClient reaches owners' REST endpoints (it must trust the NCA's root for HTTPS owners).
	OwnerClient *http.Client
	// Off switches named checks off, only so that a test can prove each negative scenario fails
	// without its check; a conformance run never sets it.
	Off []xsig.Problem

	request, response *schema.JSON
}

// WithREST opens the REST channel on the gateway's handler. Its requests are refused unless they
// arrive over TLS: serve the handler with TLSConfig (internal/server.StartTLS).
func WithREST(r REST) Option {
	var err error
	if r.request, err = schema.CompileJSON(shepfixtures.REST(), "request.schema.json"); err == nil {
		r.response, err = schema.CompileJSON(shepfixtures.REST(), "response.schema.json")
	}
	if err != nil { // the schemas are embedded: only a broken build gets here
		panic(fmt.Sprintf("REST schemas: %v", err))
	}
	return func(g *Gateway) { g.rest = &r }
}

// check refuses certificates the REST channel cannot use: JOSE (internal/jose) and crypto/tls have
// no GOST 34.310 algorithm, so a GOST Identity could neither open a sealed message nor be presented
// to an owner, and a GOST TLS certificate could not be served.
func (r *REST) check() error {
	for _, c := range []struct {
		name string
		id   *pki.Identity
	}{{"Identity", r.Identity}, {"TLS", r.TLS}} {
		if c.id == nil {
			continue
		}
		if c.id.HasGOSTKey() {
			return fmt.Errorf("REST channel: the %s certificate %q has a GOST 34.310 key, which JOSE (A6-S3) and TLS (R-2.7) cannot use; issue it with an RSA or ECDSA key (pki.TLSKeyType)",
				c.name, c.id.Certificate.Subject.CommonName)
		}
	}
	return nil
}

// TLSConfig is the HTTPS configuration of the REST channel. Client certificates are requested but
// not verified by the handshake, so that a wrong certificate gets a fault that names the rule rather
// than a bare TLS alert; the handler judges them.
func (g *Gateway) TLSConfig() *tls.Config {
	if g.rest == nil || g.rest.TLS == nil {
		return nil
	}
	return &tls.Config{
		Certificates: []tls.Certificate{g.rest.TLS.TLSCertificate()},
		ClientAuth:   tls.RequestClientCert,
		MinVersion:   tls.VersionTLS12,
	}
}

// restHandler is the REST channel, or not found when it is not open.
func (g *Gateway) restHandler() http.Handler {
	if g.rest == nil {
		return http.NotFoundHandler()
	}
	return http.HandlerFunc(g.serveREST)
}

// RESTFault is the body of every REST refusal: the fields of the synchronous channel's ErrorInfo
// (A1-T21) under "error", plus the rule broken and where. The Rules define no REST error format.
type RESTFault struct {
	Error RESTError `json:"error"`
}

// RESTError is ErrorInfo in JSON, with the breach's rule, field and line.
type RESTError struct {
	ErrorCode    string            `json:"errorCode"`
	ErrorMessage string            `json:"errorMessage"`
	ErrorData    string            `json:"errorData"`
	ErrorDate    envelope.DateTime `json:"errorDate"`
	SessionID    string            `json:"sessionId"`
	Rule         string            `json:"rule"`
	Field        string            `json:"field,omitempty"`
	Line         int               `json:"line,omitempty"`
}

// restStatus is the HTTP status of each refusal.
var restStatus = map[string]int{
	envelope.SCE001.ID: http.StatusBadRequest, envelope.SCE006.ID: http.StatusBadRequest,
	envelope.SCE007.ID: http.StatusBadRequest, envelope.SCE012.ID: http.StatusBadRequest, envelope.SCE030.ID: http.StatusBadRequest,
	envelope.SCE002.ID: http.StatusUnauthorized,
	envelope.SCE003.ID: http.StatusForbidden, envelope.SCE005.ID: http.StatusForbidden,
	envelope.SCE011.ID: http.StatusForbidden, envelope.SCE013.ID: http.StatusForbidden,
	envelope.SCE004.ID: http.StatusNotFound,
	envelope.SCE022.ID: http.StatusConflict, // a replay
	envelope.SCE031.ID: http.StatusUpgradeRequired,
	envelope.SCE008.ID: http.StatusGatewayTimeout,
	envelope.SCE009.ID: http.StatusBadGateway, envelope.SCE010.ID: http.StatusBadGateway,
	envelope.SCE014.ID: http.StatusServiceUnavailable,
}

func (x *exchange) writeRESTFault(w http.ResponseWriter, f failure) {
	status, ok := restStatus[f.code.ID]
	if !ok {
		status = http.StatusInternalServerError
	}
	if f.code == envelope.SCE002 {
		w.Header().Set("WWW-Authenticate", `Basic realm="bip-rest", charset="UTF-8"`)
	}
	if f.code == envelope.SCE031 {
		w.Header().Set("Upgrade", "TLS/1.2, HTTP/1.1")
		w.Header().Set("Connection", "Upgrade")
	}
	explained.remember(f.breach)
	body, _ := json.Marshal(RESTFault{RESTError{
		ErrorCode: f.code.ID, ErrorMessage: f.code.Message, ErrorData: f.breach.Error(), ErrorDate: envelope.Now(),
		SessionID: x.sessionID, Rule: f.breach.Rule, Field: f.breach.Field.String(), Line: f.breach.Line,
	}})
	writeJSON(w, status, x.sessionID, body)
}

func writeJSON(w http.ResponseWriter, status int, sessionID string, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if sessionID != "" {
		w.Header().Set("Bip-Session-Id", sessionID)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// serveREST is a REST service call: check, route, answer (Appendix 1 section 3, A1-T22, A1-T23).
func (g *Gateway) serveREST(w http.ResponseWriter, r *http.Request) {
	x := &exchange{g: g, channel: "rest", sessionID: envelope.NewGUID()}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		x.writeRESTFault(w, failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T22 row 1", Expected: msg.F("POST with a JSON body (A1-T22)"), Observed: msg.Raw(r.Method + " " + r.URL.Path),
			Fix: msg.F("POST the request to %s", RESTPath)}})
		return
	}
	ctx := r.Context()
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxMessageSize))
	// the acceptance clock starts when the message is read.
	if err := x.record(ctx, journal.Received, "", "", said(msg.F("%d bytes from %s over %s", len(body), r.RemoteAddr, transportOf(r)))); err != nil {
		x.writeRESTFault(w, journalFailure(err))
		return
	}
	req, to, evidence, f := g.admitREST(ctx, x, r, body, readErr)
	if f != nil {
		_ = x.record(ctx, journal.Rejected, f.code.ID, f.breach.Rule, said(f.breach.Text()))
		x.writeRESTFault(w, *f)
		return
	}
	// the ACCEPTED record is the replay check, in one transaction: a messageId the
	// sender used before is refused, and of copies sent at once exactly one is accepted and routed.
	if f := x.acceptOnce(ctx, "request/requestInfo/messageId", said(msg.F("checks passed, routing to %s%s", to.endpoint, evidence)), time.Time{}); f != nil {
		if f.code == envelope.SCE022 {
			_ = x.record(ctx, journal.Rejected, f.code.ID, f.breach.Rule, said(f.breach.Text()))
		}
		x.writeRESTFault(w, *f)
		return
	}
	out, f := g.routeREST(ctx, x, req, to)
	if f != nil {
		_ = x.record(ctx, journal.Faulted, f.code.ID, f.breach.Rule, said(f.breach.Text()))
		x.writeRESTFault(w, *f)
		return
	}
	// The answer leaves only once its outcome is journalled: no exchange is acknowledged unrecorded.
	if err := x.record(ctx, journal.Answered, "", "", "owner's answer sent to the initiator"); err != nil {
		x.writeRESTFault(w, journalFailure(err))
		return
	}
	writeJSON(w, http.StatusOK, x.sessionID, out)
}

func transportOf(r *http.Request) msg.Text {
	if r.TLS == nil {
		return msg.F("plain HTTP")
	}
	if len(r.TLS.PeerCertificates) > 0 {
		return msg.F("%s with client certificate %s", tls.VersionName(r.TLS.Version), r.TLS.PeerCertificates[0].Subject.CommonName)
	}
	return msg.Raw(tls.VersionName(r.TLS.Version))
}

// admitREST checks a REST request before routing: HTTPS, the sealed message if it is one
// (A6-S3), the body against A1-T22, the user's authentication (R-53(2)), the service and access.
// The evidence it returns goes into the journal's ACCEPTED entry.
func (g *Gateway) admitREST(ctx context.Context, x *exchange, r *http.Request, body []byte, readErr error) (envelope.RESTRequest, target, msg.Text, *failure) {
	var req envelope.RESTRequest
	var to target
	var evidence []msg.Text
	// R-53(2): REST is secured by HTTPS and user authentication instead of the transport
	// signature, so a request over plain HTTP has neither and is refused before it is read further.
	if r.TLS == nil {
		return req, to, msg.Text{}, &failure{code: envelope.SCE031, client: true, breach: &rule.Breach{
			Rule: "R-2.7", Expected: msg.F("a REST request over HTTPS (clauses 2.7 and 53: REST services are secured by HTTPS and user authentication)"),
			Observed: msg.F("the request came over plain HTTP"), Fix: msg.F("send REST requests to the gateway's https:// address")}}
	}
	if readErr != nil {
		return req, to, msg.Text{}, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T22 row 1", Expected: msg.F("a message of at most %d bytes", MaxMessageSize),
			Observed: msg.Of(readErr), Fix: msg.F("send a smaller message")}}
	}

	// A6-S3 steps 3-4: a sealed message is decrypted, then its signature verified; the signer is
	// judged once the sender is known.
	var opened *jose.Opened
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == jose.MediaType {
		o, err := jose.Open(string(body), g.rest.Identity.Key, g.rest.Identity.Certificate)
		if err != nil && !(jose.ProblemOf(err) == jose.Invalid && skipped(g.rest.Off, xsig.Invalid)) {
			return req, to, msg.Text{}, sealFailure(err)
		}
		opened, body = &o, o.Payload
		evidence = append(evidence, msg.F("; A6-S3 sealed message: %s/%s, signed %s by %q", o.KeyAlgorithm, o.ContentEncryption, o.SignatureAlgorithm, o.Signer.Subject.String()))
	}

	// R-53(2): the user is authenticated before the body is validated, as on the SOAP channels (see
	// admitSync): reading the request is one linear pass, the schema validation is the heavier one.
	// A body that does not read as a request, or carries no credentials, is left to the schema.
	var sys System
	authenticated := false
	if err := json.Unmarshal(body, &req); err == nil && req.Request.RequestInfo.Sender.SenderID != "" {
		if _, _, basic := r.BasicAuth(); basic || req.Request.RequestInfo.Sender.Password != "" {
			x.senderID = req.Request.RequestInfo.Sender.SenderID
			var f *failure
			if sys, f = g.authenticateREST(ctx, x, r, req.Request.RequestInfo.Sender); f != nil {
				return req, to, msg.Text{}, f
			}
			authenticated = true
		}
	}

	// A1-T22: the body follows the REST format of Appendix 1.
	g.validating()
	if v := g.rest.request.Validate(body); len(v) > 0 {
		return req, to, msg.Text{}, &failure{code: envelope.SCE001, client: true, breach: envelope.Explain(v[0], envelope.RESTRequestMsg)}
	}
	req = envelope.RESTRequest{}
	if err := json.Unmarshal(body, &req); err != nil {
		return req, to, msg.Text{}, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T22 row 1", Expected: envelope.RESTRequestMsg.Desc, Observed: msg.Of(err), Fix: msg.F("send %s", envelope.RESTRequestMsg.Desc)}}
	}
	info := req.Request.RequestInfo
	x.messageID, x.senderID, x.serviceID = info.MessageID, info.Sender.SenderID, info.ServiceID
	if rest, ok := strings.CutPrefix(r.URL.Path, RESTPath+"/"); ok && rest != "" && rest != info.ServiceID {
		return req, to, msg.Text{}, &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
			Rule: "A1-T22 row 4", Field: msg.Raw("request/requestInfo/serviceid"),
			Expected: msg.F("the serviceid named in the URL, %s", rest), Observed: msg.F("serviceid %q", info.ServiceID),
			Fix: msg.F("POST to %s or to %s/{serviceid} of the service called", RESTPath, RESTPath)}}
	}

	if !authenticated {
		var f *failure
		if sys, f = g.authenticateREST(ctx, x, r, info.Sender); f != nil {
			return req, to, msg.Text{}, f
		}
	}
	if len(r.TLS.PeerCertificates) > 0 {
		evidence = append(evidence, msg.F("; client certificate %q", r.TLS.PeerCertificates[0].Subject.String()))
	}
	if opened != nil {
		st, err := g.rest.Checker.Judge(ctx, opened.Signer, info.Sender.SenderID, sys.Identifier, g.rest.Off...)
		report, _ := json.Marshal(st)
		evidence = append(evidence, msg.F("; transport signature %s", report))
		if err != nil {
			f := signatureFailure(err, msg.F("in the sealed message"))
			f.breach.Field, f.breach.Expected = msg.Raw("JWS x5c"), msg.F("the signature of the registered sender with a valid certificate (A6-S3 step 4)")
			return req, to, msg.Text{}, f
		}
	}

	to, f := g.restService(info, sys)
	return req, to, msg.Join(evidence, ""), f
}

// authenticateREST is the user authentication of and R-53(2): the login and password issued
// by the operator, sent in the body (A1-T22 rows 8-9) or by HTTP Basic over TLS, and, when the
// client presents a certificate, its IIN/BIN must be the registered system's and it must be valid.
// What the request alone shows is judged first; then the credentials, with one answer for an
// unknown system and a wrong password (checkCredentials). No header value is echoed: an
// Authorization header is named by its scheme only.
func (g *Gateway) authenticateREST(ctx context.Context, x *exchange, r *http.Request, s envelope.SenderInfo) (System, *failure) {
	refuse := func(ruleID string, field, expected, observed, fix msg.Text) (System, *failure) {
		return System{}, &failure{code: envelope.SCE002, client: true, breach: &rule.Breach{
			Rule: ruleID, Field: field, Expected: expected, Observed: observed, Fix: fix}}
	}
	user, basicPassword, basic := r.BasicAuth()
	if h := r.Header.Get("Authorization"); h != "" && !basic {
		return refuse("R-2.7", msg.Raw("Authorization"), msg.F("HTTP Basic credentials (RFC 7617) of the sending system"),
			msg.F("an Authorization header of %s", authScheme(h)), msg.F("send Authorization: Basic base64(senderId:password), or leave it out"))
	}
	if basic && user != s.SenderID {
		return refuse("R-53", msg.Raw("Authorization"), msg.F("the HTTP Basic user %.100q, the request's senderId", s.SenderID),
			msg.F("user %.100q", user), msg.F("authenticate as the system that sends the request"))
	}
	if s.Password == "" && !basic {
		return refuse("A1-T22 row 9", msg.Raw("request/requestInfo/sender/password"), msg.F("password (string, required)"),
			msg.F("no password in the body and no HTTP Basic credentials"), msg.F("send the password issued by the operator"))
	}
	client := hostOf(r.RemoteAddr)
	var sys System
	var f *failure
	if s.Password != "" {
		if sys, f = g.checkCredentials(ctx, x, claim{s.SenderID, s.Password, "request/requestInfo/sender", client}); f != nil {
			return sys, f
		}
	}
	if basic {
		if sys, f = g.checkCredentials(ctx, x, claim{s.SenderID, basicPassword, "Authorization", client}); f != nil {
			return sys, f
		}
	}

	certs := r.TLS.PeerCertificates
	if len(certs) == 0 {
		if g.rest.RequireClientCertificate {
			return refuse("R-2.7", msg.F("TLS client certificate"), msg.F("a client certificate of %s issued by the NCA (mutual TLS)", sys.ID),
				msg.F("no client certificate"), msg.F("present the system's NCA certificate in the TLS handshake"))
		}
		return sys, nil
	}
	if _, err := g.rest.Checker.Judge(ctx, certs[0], s.SenderID, sys.Identifier, g.rest.Off...); err != nil {
		p := xsig.ProblemOf(err)
		return refuse("R-2.7", msg.F("TLS client certificate"), msg.F("a valid NCA certificate of %s (BIN/IIN %s)", sys.ID, sys.Identifier),
			msg.F("%s: %s", p, msg.Of(err)), msg.F("present the system's own valid NCA certificate in the TLS handshake"))
	}
	return sys, nil
}

// restService finds the service and checks the sender's access, as on the synchronous channel
// (R-6, R-61; A1-T22 row 6 for routeId).
func (g *Gateway) restService(info envelope.RESTRequestInfo, sys System) (target, *failure) {
	svc, published := g.registry.Service(info.ServiceID)
	if !published {
		return target{}, &failure{code: envelope.SCE004, client: true, breach: &rule.Breach{
			Rule: "R-6", Field: msg.Raw("request/requestInfo/serviceid"),
			Expected: msg.F("a service in the service registry"), Observed: msg.F("serviceid %q is not in the registry", info.ServiceID),
			Fix: msg.F("call a published service (publication follows clauses 10-31)")}}
	}
	to := target{endpoint: svc.Endpoint, owner: svc.Owner}
	if info.RouteID != "" {
		var ok bool
		if to.endpoint, ok = svc.Routes[info.RouteID]; !ok {
			return to, &failure{code: envelope.SCE004, client: true, breach: &rule.Breach{
				Rule: "A1-T22 row 6", Field: msg.Raw("request/requestInfo/routeId"),
				Expected: msg.F("a route of the service in the registry"), Observed: msg.F("routeId %q is not a route of %s", info.RouteID, svc.ID),
				Fix: msg.F("omit routeId or use one from the registry")}}
		}
	}
	if !svc.Granted[sys.ID] {
		return to, &failure{code: envelope.SCE003, client: true, breach: &rule.Breach{
			Rule: "R-61", Field: msg.Raw("request/requestInfo/serviceid"),
			Expected: msg.F("a sender granted access to %s", svc.ID), Observed: msg.F("%s has no access to %s", sys.ID, svc.ID),
			Fix: msg.F("apply for connection to the service (clauses 32-45)")}}
	}
	return to, nil
}

// sealCodes maps each problem of a sealed message to its fault code.
var sealCodes = map[jose.Problem]envelope.Code{
	jose.NotSealed:     envelope.SCE001,
	jose.WrongKey:      envelope.SCE030,
	jose.Undecryptable: envelope.SCE030,
	jose.Unsupported:   envelope.SCE012,
	jose.Unsigned:      envelope.SCE007,
	jose.Malformed:     envelope.SCE006,
	jose.Invalid:       envelope.SCE006,
}

var sealFixes = map[jose.Problem]msg.Text{
	jose.NotSealed:     msg.F("send %s bodies as a compact JWE, or send the plain JSON as application/json", jose.MediaType),
	jose.WrongKey:      msg.F("encrypt to the gateway's certificate, exported with the NCA material"),
	jose.Undecryptable: msg.F("encrypt to the gateway's certificate and send the JWE exactly as produced"),
	jose.Unsupported:   msg.F("encrypt with RSA-OAEP-256 or ECDH-ES+A256KW and A256GCM; sign with RS256, PS256 or ES256"),
	jose.Unsigned:      msg.F("sign the message (compact JWS with x5c) before encrypting it (A6-S3 steps 1-2)"),
	jose.Malformed:     msg.F("put the signer's NCA certificate chain in the JWS header x5c"),
	jose.Invalid:       msg.F("sign the message as finally sent; nothing may change it after signing"),
}

func sealFailure(err error) *failure {
	p := jose.ProblemOf(err)
	code, ok := sealCodes[p]
	if !ok {
		code = envelope.SCE909
	}
	return &failure{code: code, client: true, breach: &rule.Breach{
		Rule: "A6-S3", Field: msg.Raw("JWE"),
		Expected: msg.F("a message signed by the sender, then encrypted to the gateway (Appendix 6, scenario 3)"),
		Observed: msg.Of(err), Fix: sealFixes[p]}}
}

func skipped(off []xsig.Problem, p xsig.Problem) bool {
	for _, o := range off {
		if o == p {
			return true
		}
	}
	return false
}

// BasicAuth is the value of an HTTP Basic Authorization header, for clients and tests.
func BasicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// authSchemes are the registered HTTP authentication schemes (IANA), the only part of an
// Authorization header the gateway repeats.
var authSchemes = []string{"Basic", "Bearer", "Digest", "DPoP", "GNAP", "HOBA", "Mutual", "Negotiate", "NTLM",
	"OAuth", "PrivateToken", "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid", "AWS4-HMAC-SHA256"}

// authScheme names the scheme of an Authorization header, never its credentials.
func authScheme(h string) string {
	scheme, _, _ := strings.Cut(strings.TrimSpace(h), " ")
	for _, s := range authSchemes {
		if strings.EqualFold(s, scheme) {
			return "the " + s + " scheme"
		}
	}
	return "an unregistered scheme"
}
