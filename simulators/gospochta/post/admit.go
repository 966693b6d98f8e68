package post

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// endpoints names the routes for the audit log.
var endpoints = map[string]string{
	"GET " + wire.PathRecipient: "recipient",
	"POST " + wire.PathMessages: "send",
	"GET " + wire.PathMessage:   "message",
	"GET " + wire.PathReceipt:   "receipt",
	"GET " + wire.PathRegistry:  "registry",
}

func (s *Service) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET "+wire.PathRecipient, s.recipient)
	m.HandleFunc("POST "+wire.PathMessages, s.send)
	m.HandleFunc("GET "+wire.PathMessage, s.message)
	m.HandleFunc("GET "+wire.PathReceipt, s.receipt)
	m.HandleFunc("GET "+wire.PathRegistry, s.registryEntry)
	// Every other path or method is answered with the wire's error body too: a client's log must
	// say what was wrong whatever it called.
	m.HandleFunc("/", s.unknown)
	s.mux = m
}

// Handler is the sending API: the paths wire.PathRecipient … wire.PathRegistry.
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// serveHTTP admits a request (the five checks), serves it and audits it. A panic is answered 500
// with the error body and logged with its stack: it must take down neither the server nor the
// request's audit entry.
func (s *Service) serveHTTP(w http.ResponseWriter, req *http.Request) {
	e := &AuditEntry{RequestID: req.Header.Get(wire.HeaderRequestID), Time: s.now(), Direction: DirectionIn,
		Method: req.Method, Path: req.URL.RequestURI()}
	if _, pattern := s.mux.Handler(req); pattern != "" {
		e.Endpoint = endpoints[pattern]
	}
	c := &call{entry: e}
	req = withCall(req, c)
	sw := &server.StatusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			s.recovered(sw, req, v)
		}
		e.Status = sw.Status
		if e.Status == 0 {
			e.Status = http.StatusOK
		}
		s.audit.Add(bounded(*e))
	}()
	if !s.admit(sw, req, c) {
		return
	}
	s.mux.ServeHTTP(sw, req)
}

// admit runs the checks every request passes, in the order a refusal is most useful to the client
// in: the channel, the request's identity, the token, its role, the packet. Each refusal is
// answered here; admit says whether the request goes on.
func (s *Service) admit(w http.ResponseWriter, req *http.Request, c *call) bool {
	e := c.entry

	// GP-W-MTLS: TLS 1.3 and the client certificate of a registered system. The certificate is
	// compared with the registered ones byte for byte: a certificate of the same CA for the same
	// name is another system's, or nobody's.
	sys, problem := s.systemOf(req.TLS)
	if sys == nil {
		refuse(w, req, http.StatusUnauthorized, wire.CodeClientCert, breach("GP-W-MTLS", "TLS",
			msg.F("TLS 1.3 with the client certificate registered for the system"), problem,
			msg.F("connect with TLS 1.3 and present the system's registered certificate (and its chain) as the client certificate")))
		return false
	}
	c.system, e.System = sys, sys.Mnemonic

	// GP-W-AUDIT: every request carries a UUID of its own, so the two sides' logs of a transfer
	// can be matched. An id is spent by the first request carrying it, refused or not.
	id := req.Header.Get(wire.HeaderRequestID)
	key := strings.ToLower(id)
	s.mu.Lock()
	seen := sys.requestIDs.has(key)
	if !seen && canonicalUUID(id) {
		sys.requestIDs.add(key)
	}
	s.mu.Unlock()
	switch {
	case id == "":
		refuse(w, req, http.StatusBadRequest, wire.CodeRequestID, breach("GP-W-AUDIT", wire.HeaderRequestID,
			msg.F("a UUID unique to this request"), msg.F("no %s", wire.HeaderRequestID), msg.F("send a new UUID (e.g. 8-4-4-4-12 hex) in %s with every request", wire.HeaderRequestID)))
		return false
	case !canonicalUUID(id):
		refuse(w, req, http.StatusBadRequest, wire.CodeRequestID, breach("GP-W-AUDIT", wire.HeaderRequestID,
			msg.F("a UUID in its 36-character form (8-4-4-4-12 hex)"), quoteOrNone(id), msg.F("send a new UUID in %s", wire.HeaderRequestID)))
		return false
	case seen:
		refuse(w, req, http.StatusBadRequest, wire.CodeRequestID, breach("GP-W-AUDIT", wire.HeaderRequestID,
			msg.F("a request id this system has not sent before"), msg.F("%s, sent before", quoteOrNone(id)),
			msg.F("make a new UUID for every request, a retry included (and compute its %s with it)", wire.HeaderHMAC)))
		return false
	}

	// GP-W-AUTH: an access token ESIA issued to this very system (the one whose certificate
	// opened the channel). An expired token is answered token.expired: the client is to refresh it
	// (GP-W-REFRESH), which is why that refusal names GP-W-REFRESH.
	raw, ok := server.Bearer(req)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		refuse(w, req, http.StatusUnauthorized, wire.CodeUnauthorized, breach("GP-W-AUTH", "Authorization",
			msg.F("Authorization: Bearer <an access token ESIA issued to the system>"), describeAuthorization(req),
			msg.F("get an access token from ESIA (grant_type jwt-bearer with an assertion signed by the system's key) and send it as Bearer")))
		return false
	}
	e.TokenID = fingerprint(raw)
	caller, err := s.auth(raw)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		if errors.Is(err, wire.ErrTokenExpired) {
			refuse(w, req, http.StatusUnauthorized, wire.CodeTokenExpired, breach("GP-W-REFRESH", "Authorization",
				msg.F("a live access token"), msg.F("an expired token: %s", msg.Of(err)),
				msg.F("refresh the token (grant_type=refresh_token with the refresh token ESIA gave) and repeat the request with the new one and a new request id")))
			return false
		}
		refuse(w, req, http.StatusUnauthorized, wire.CodeUnauthorized, breach("GP-W-AUTH", "Authorization",
			msg.F("an access token ESIA issued to the system"), msg.Of(err),
			msg.F("get an access token from ESIA (grant_type jwt-bearer with an assertion signed by the system's key)")))
		return false
	}
	e.TokenRole = strings.Join(caller.Roles, ",")
	if caller.System != sys.Mnemonic {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		refuse(w, req, http.StatusUnauthorized, wire.CodeUnauthorized, breach("GP-W-AUTH", "Authorization",
			msg.F("a token of system %s, whose certificate opened the connection", sys.Mnemonic), msg.F("a token of system %s", quoteOrNone(caller.System)),
			msg.F("use the token ESIA issued to the system whose certificate the client presents")))
		return false
	}

	// GP-W-ROLE: sending needs the operator's or the administrator's role; a client's is refused.
	if !caller.HasRole(wire.RoleOperator, wire.RoleAdministrator) {
		refuse(w, req, http.StatusForbidden, wire.CodeAccessDenied, breach("GP-W-ROLE", "Authorization",
			msg.F("a token with role %s or %s", wire.RoleOperator, wire.RoleAdministrator), msg.F("roles %s", quoteOrNone(e.TokenRole)),
			msg.F("ask ESIA for the token with role=%s (a role the system is registered for)", wire.RoleOperator)))
		return false
	}

	// GP-W-HMAC: the packet (method, path and query, request id, body) under the system's key, so
	// that no part of it is changed on the way or moved to another request.
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, s.limits.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			refuse(w, req, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, breach("GP-W-KIND", "body",
				msg.F("a body of at most %d bytes", s.limits.MaxBodyBytes), msg.F("more"), msg.F("send a smaller document")))
			return false
		}
		refuse(w, req, http.StatusBadRequest, wire.CodeInvalid, breach("GP-W-HMAC", "body",
			msg.F("the whole body"), msg.F("a body that could not be read: %s", msg.Of(err)), msg.F("send the body whole, with its Content-Length or chunked")))
		return false
	}
	c.body = body
	s.mu.Lock()
	macKey := sys.HMACKey
	s.mu.Unlock()
	if !wire.VerifyPacket(macKey, req, body) {
		observed := msg.F("no %s", wire.HeaderHMAC)
		if req.Header.Get(wire.HeaderHMAC) != "" {
			observed = msg.F("%s, not the HMAC of this packet under the system's key", quoteOrNone(req.Header.Get(wire.HeaderHMAC)))
		}
		b := breach("GP-W-HMAC", wire.HeaderHMAC, msg.F("base64 of HMAC-SHA-256 under the system's key over METHOD \\n PATH?QUERY \\n X-Request-Id \\n BODY"),
			observed, msg.F("compute the HMAC over the exact bytes sent (the path with its query as sent, this request's id, the body as sent) with the key registered for the system"))
		b.Note = msg.F("signed here: %s %s, request id %s, %d bytes of body", req.Method, quoteOrNone(req.URL.RequestURI()), quoteOrNone(id), len(body))
		refuse(w, req, http.StatusUnauthorized, wire.CodeHMAC, b)
		return false
	}
	return true
}

// systemOf is the registered system whose certificate the client presented over TLS 1.3, or why
// there is none.
func (s *Service) systemOf(st *tls.ConnectionState) (*system, msg.Text) {
	switch {
	case st == nil:
		return nil, msg.F("plain HTTP, no TLS")
	case st.Version < tls.VersionTLS13:
		return nil, msg.Raw(tls.VersionName(st.Version))
	case len(st.PeerCertificates) == 0:
		return nil, msg.F("TLS 1.3 without a client certificate")
	}
	leaf := st.PeerCertificates[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	sys := s.systems[s.byCert[sha256.Sum256(leaf.Raw)]]
	if sys == nil {
		return nil, msg.F("client certificate %q (serial %s), registered for no system", leaf.Subject.String(), leaf.SerialNumber.Text(16))
	}
	now := s.now()
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, msg.F("client certificate %q valid from %s to %s, not now", leaf.Subject.String(),
			stamp(leaf.NotBefore), stamp(leaf.NotAfter))
	}
	return sys, msg.Text{}
}

// canonicalUUID says id is a UUID in its 36-character form (any version, either case).
func canonicalUUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	_, err := uuid.Parse(id)
	return err == nil
}

// describeAuthorization says what the Authorization header held, without the credentials.
func describeAuthorization(req *http.Request) msg.Text {
	h := strings.TrimSpace(req.Header.Get("Authorization"))
	if h == "" {
		return msg.F("no Authorization header")
	}
	scheme, _, _ := strings.Cut(h, " ")
	return msg.F("Authorization with scheme %s", quoteOrNone(scheme))
}

// unknown answers a path or method the API does not have.
func (s *Service) unknown(w http.ResponseWriter, req *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := req.Clone(req.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "/" && p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		refuse(w, req, http.StatusMethodNotAllowed, wire.CodeInvalid, breach("GP-W-KIND", "method",
			msg.F("%s for this path", msg.Or(allow...)), msg.F("%s %s", req.Method, quoteOrNone(req.URL.Path)), msg.F("send the request with %s", msg.Or(allow...))))
		return
	}
	refuse(w, req, http.StatusNotFound, wire.CodeInvalid, breach("GP-W-KIND", "path",
		msg.F("a path of the sending API (%s/recipients/{id}, /messages, /messages/{id}, /messages/{id}/receipt, /registry/{hash})", wire.SendBase),
		msg.F("%s %s", req.Method, quoteOrNone(req.URL.Path)), msg.F("check the path against the sending API")))
}
