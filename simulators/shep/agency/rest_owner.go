package agency

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// RESTPath is where the system serves its REST services on its HTTPS address (TLSHandler).
const RESTPath = "/rest"

func init() {
	addRole("rest-owner", map[string]string{
		"rest-omit-response-field": "its REST answers lack responseDate (A1-T23 row 4)",
		"rest-accept-any-client":   "it serves a REST call that does not come from the gateway (R-2.7)",
		"rest-slow":                "it answers a REST call after more than 30 s (A2-T1 row 1)",
	}, setupRESTOwner)
}

// setupRESTOwner serves A1-T22 requests at RESTPath over HTTPS with the reference REST owner: it
// answers A1-T23, and serves only the gateway, which presents its NCA certificate with the gateway's
// BIN over mutual TLS (R-2.7: REST is secured by HTTPS, not by the transport signature).
func setupRESTOwner(s *System) error {
	var omit []string
	if s.Defect("rest-omit-response-field") {
		omit = append(omit, "response/responseInfo/responseDate")
	}
	o := owner.NewREST(s.cfg.SystemID, omit...)
	if !s.Defect("rest-accept-any-client") {
		o.Checker, o.GatewayID = s.cfg.Checker, s.cfg.GatewayBIN
	}
	var h http.Handler = o
	if s.Defect("rest-slow") {
		h = answerLate(h)
	}
	s.tlsMux.Handle(RESTPath, h)
	return nil
}

// answerLate holds every call past the owner's 30 s of A2-T1 row 1, or until the caller gives up:
// the system does not know the harness's time scale, but the gateway's limit is scaled, so the
// gateway gives up first in any run.
func answerLate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices the caller hanging up only once the body is read.
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		select {
		case <-r.Context().Done():
			return
		case <-time.After(rule.SyncMaxProcessing + time.Second):
		}
		next.ServeHTTP(w, r)
	})
}
