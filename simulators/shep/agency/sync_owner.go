package agency

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// defaultCallTimeout bounds a call to the gateway: the owner behind it has 30 s (A2-T1 row 1).
const defaultCallTimeout = 35 * time.Second

func init() {
	addRole("sync-owner", map[string]string{
		"omit-response-date":      "its answers lack responseDate (A1-T20 row 5)",
		"unsigned-answer":         "it answers without its transport signature (R-59)",
		"accept-unsigned-request": "it serves a request the gateway did not sign (A6-S1)",
		"unavailable":             "it answers HTTP 503 to every SendMessage (A1-P4, R-49)",
	}, setupSyncOwner)
}

// setupSyncOwner serves SendMessage at SyncPath: the gateway's signature is checked first (A6-S1),
// then the reference owner answers, signed with the system's own certificate.
func setupSyncOwner(s *System) error {
	if s.Defect("unavailable") {
		// An owner that is up but serves nothing: every sync-owner scenario must fail, not only the
		// few that expect an answer, since a refusal from a dead owner proves nothing.
		s.mux.HandleFunc(SyncPath, func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		})
		return nil
	}
	var omit []string
	if s.Defect("omit-response-date") {
		omit = append(omit, "response/responseInfo/responseDate")
	}
	o := owner.New(s.cfg.SystemID, omit...)
	if !s.Defect("unsigned-answer") {
		o.Identity = s.cfg.Identity
	}
	s.mux.Handle(SyncPath, &gatewayCheck{sys: s, next: o})
	return nil
}

// gatewayCheck refuses a request that does not carry the gateway's valid transport signature
// (A6-S1), with a SOAP fault (HTTP 500), before the owner sees it.
type gatewayCheck struct {
	sys  *System
	next http.Handler
}

func (g *gatewayCheck) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err == nil && !g.sys.Defect("accept-unsigned-request") {
		_, err = g.sys.cfg.Checker.CheckMessage(r.Context(), body, "the gateway", g.sys.cfg.GatewayBIN)
	}
	if err != nil {
		g.sys.cfg.Log.Warn("request refused", "err", err)
		out, _ := envelope.Marshal(envelope.Fault{Code: "Client", String: err.Error(),
			Detail:        envelope.ErrorInfo{ErrorCode: "OWNER-BAD-SIGNATURE", ErrorMessage: err.Error(), ErrorDate: envelope.Now()},
			DetailElement: envelope.SyncFaultElement})
		if signed, serr := xsig.Sign(out, g.sys.cfg.Identity); serr == nil {
			out = signed
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(out)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.next.ServeHTTP(w, r)
}
