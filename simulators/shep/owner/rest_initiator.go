package owner

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/jose"
	"github.com/shepconf/shepconf/internal/pki"
)

// RESTPath is where the gateway serves REST services (see simulators/shep/gateway.RESTPath).
const RESTPath = "/bip-rest"

// RESTInitiator is the reference initiator calling REST services through the gateway over HTTPS.
type RESTInitiator struct {
	SystemID string
	Password string
	Gateway  string       // the gateway's base URL, https://…
	HTTP     *http.Client // trusts the NCA's root; carries the client certificate for mutual TLS
	// Basic sends the credentials by HTTP Basic as well as in the body.
	Basic bool
	// Identity signs sealed requests (A6-S3): an RSA or ECDSA certificate, JOSE having no GOST
	// 34.310 (a system with GOST signatures seals with a second certificate, see pki.TLSKeyType).
	Identity *pki.Identity
}

// Request builds a REST request (A1-T22) for serviceID carrying data, with a fresh message id.
func (i *RESTInitiator) Request(serviceID string, data json.RawMessage) envelope.RESTRequest {
	var m envelope.RESTRequest
	m.Request.RequestInfo = envelope.RESTRequestInfo{
		MessageID:   uuid.NewString(),
		ServiceID:   serviceID,
		MessageDate: envelope.Now().Time,
		Sender:      envelope.SenderInfo{SenderID: i.SystemID, Password: i.Password},
	}
	m.Request.RequestData.Data = data
	return m
}

// Seal signs body with the initiator's certificate and encrypts it to the gateway's (A6-S3 steps
// 1-2).
func (i *RESTInitiator) Seal(body []byte, gateway *pki.Identity) ([]byte, error) {
	chain := append([]*x509.Certificate{i.Identity.Certificate}, i.Identity.Chain...)
	s, err := jose.Seal(body, i.Identity.Key, chain, gateway.Certificate)
	return []byte(s), err
}

// RESTExchange is one REST request sent and what came back, with the gateway's session.
type RESTExchange struct {
	Exchange
	SessionID string // the gateway's Bip-Session-Id header
}

// Send posts body with the given Content-Type to the gateway's REST endpoint at base (an https
// or, to prove the refusal, an http URL) and reads the answer.
func (i *RESTInitiator) Send(ctx context.Context, base, contentType string, body []byte) RESTExchange {
	x := RESTExchange{Exchange: Exchange{Request: body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+RESTPath, bytes.NewReader(body))
	if err != nil {
		x.Err = err
		return x
	}
	req.Header.Set("Content-Type", contentType)
	if i.Basic {
		req.SetBasicAuth(i.SystemID, i.Password)
	}
	client := i.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		x.Err, x.Elapsed = err, time.Since(start)
		return x
	}
	defer resp.Body.Close()
	x.SessionID = resp.Header.Get("Bip-Session-Id")
	x.Response, x.Err = io.ReadAll(resp.Body)
	x.Status, x.Elapsed = resp.StatusCode, time.Since(start)
	return x
}
