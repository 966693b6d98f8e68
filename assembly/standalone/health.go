package standalone

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// health answers 200 when every channel is open and the store and journal answer, 503 otherwise,
// while shutting down and while the gateway is saturated (every exchange slot taken); the body has
// one line per channel and per store, and one for the gateway's load.
func (s *Standalone) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	var b strings.Builder
	ok := !s.draining.Load()
	line := func(name, state, detail string) {
		if state != "ok" {
			ok = false
		}
		fmt.Fprintf(&b, "%s: %s %s\n", name, state, detail)
	}
	line("sync", "ok", s.GatewayURL()+envelope.SyncPath)
	counts, err := s.Store.Count(ctx)
	if err != nil {
		line("async", "failing", s.GatewayURL()+envelope.AsyncPath)
		line("async store", "failing", err.Error())
	} else {
		line("async", "ok", s.GatewayURL()+envelope.AsyncPath)
		line("async store", "ok", formatCounts(counts))
	}
	line("rest", "ok", s.GatewayHTTPSURL()+gateway.RESTPath)
	if _, err := s.Journal.Events(ctx, ""); err != nil {
		line("journal", "failing", err.Error())
	} else {
		line("journal", "ok", "")
	}
	// Saturation is load, not a failure: it has its own answer, and the line does not turn the
	// gateway "failing".
	capState, capDetail := s.capacity()
	fmt.Fprintf(&b, "capacity: %s %s\n", capState, capDetail)
	status, head := http.StatusOK, "ok\n"
	if s.draining.Load() {
		status, head = http.StatusServiceUnavailable, "shutting down\n"
	} else if !ok {
		status, head = http.StatusServiceUnavailable, "failing\n"
	} else if capState == "saturated" {
		status, head = http.StatusServiceUnavailable, "saturated\n"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, head+b.String())
}

// capacity is the gateway's load: its exchange slots (saturated when all are taken: the next
// request is refused with 503), the bodies being read before they take one, and the connections
// of its two listeners, with those refused by the per-client cap.
func (s *Standalone) capacity() (state, detail string) {
	if s.Gateway == nil || s.gatewaySrv == nil || s.restSrv == nil {
		return "ok", "not started"
	}
	sat := s.Gateway.Saturation()
	plain, secure := s.gatewaySrv.Stats(), s.restSrv.Stats()
	state = "ok"
	if sat.Full() {
		state = "saturated"
	}
	return state, fmt.Sprintf("%d/%d exchanges in flight, %d bodies being read, %d refused at capacity; "+
		"%d connections open (http %d, https %d), %d refused by the per-client cap",
		sat.InFlight, sat.Capacity, sat.Reading, sat.Refused,
		plain.Open+secure.Open, plain.Open, secure.Open, plain.Refused+secure.Refused)
}

// formatCounts lists the stored messages by state, e.g. "messages: 1 DELIVERED, 2 ON_DELIVERY".
func formatCounts(counts map[string]int) string {
	states := make([]string, 0, len(counts))
	for st, n := range counts {
		states = append(states, fmt.Sprintf("%d %s", n, st))
	}
	sort.Strings(states)
	if len(states) == 0 {
		return "messages: none"
	}
	return "messages: " + strings.Join(states, ", ")
}

// Describe writes every endpoint and exported file, one per line, for the operator who configures
// an agency's system against the simulators.
func (s *Standalone) Describe(w io.Writer) {
	gw, https := s.GatewayURL(), s.GatewayHTTPSURL()
	fmt.Fprintf(w, "gateway: %s\n", gw)
	fmt.Fprintf(w, "gateway https: %s\n", https)
	fmt.Fprintf(w, "sync: %s%s (also %s%s)\n", gw, envelope.SyncPath, https, envelope.SyncPath)
	fmt.Fprintf(w, "async: %s%s (also %s%s)\n", gw, envelope.AsyncPath, https, envelope.AsyncPath)
	fmt.Fprintf(w, "rest: %s%s\n", https, gateway.RESTPath)
	fmt.Fprintf(w, "health: %s%s\nmetrics: %s%s\n", gw, HealthPath, gw, MetricsPath)
	fmt.Fprintf(w, "nca: %s (OCSP %s%s, CRL %s%s)\n", s.NCAURL(), s.NCAURL(), nca.OCSPPath, s.NCAURL(), nca.CRLPath)
	fmt.Fprintf(w, "ca chain: %s\n", filepath.Join(s.Config.State, NCADir, nca.ChainFile))
	fmt.Fprintf(w, "key algorithm: %s\n", s.keyType)
	fmt.Fprintf(w, "gateway certificate: %s (https %s)\n", s.CertPath(GatewayID), s.HTTPSCertPath(GatewayID))
	if s.ownerSrv != nil {
		fmt.Fprintf(w, "reference owner: %s\n", s.ownerSrv.URL())
	}
	if s.restOwnerSrv != nil {
		fmt.Fprintf(w, "reference REST owner: %s\n", s.restOwnerSrv.URL())
	}
	for _, sys := range s.Config.Systems {
		fmt.Fprintf(w, "system %s: certificate %s, key %s", sys.ID, s.CertPath(sys.ID), s.KeyPath(sys.ID))
		if s.HTTPS[sys.ID] != nil {
			fmt.Fprintf(w, ", https certificate %s, https key %s", s.HTTPSCertPath(sys.ID), s.HTTPSKeyPath(sys.ID))
		}
		if sys.Push != "" {
			fmt.Fprintf(w, ", push %s", sys.Push)
		} else {
			fmt.Fprint(w, ", pulls (getMessages)")
		}
		fmt.Fprintln(w)
	}
}
