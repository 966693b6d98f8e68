package standalone

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/store"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// Metrics counts what the gateway served on each channel (sync, async, rest), in the Prometheus text
// format (version 0.0.4), written by hand: six families do not need a client library. Fault codes
// and the acceptance time come from what the gateway answered and journaled, not from the
// handler's own view; the asynchronous messages by state from the store. Every label comes from a
// closed set (channels, HTTP status codes, the gateway's fault codes and "other"), so no request
// can grow the number of series.
type Metrics struct {
	journal *journal.Journal
	store   *store.Store

	mu         sync.Mutex
	requests   map[[2]string]uint64 // channel, HTTP status
	faults     map[string]uint64    // errorCode of the faults sent back
	latency    map[string]*histogram
	acceptance *histogram // receipt to acceptance, from the journal
	ownerTime  *histogram // A2-T1: the owner's processing time, from the journal
}

// Bucket bounds in seconds: fine below a second (the gateway's own work), up to the Rules' 30 s and
// 1 min limits.
var buckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	n      uint64
}

func (h *histogram) observe(v float64) {
	for i, b := range buckets {
		if v <= b {
			h.counts[i]++
			break
		}
	}
	h.sum += v
	h.n++
}

func newHistogram() *histogram { return &histogram{counts: make([]uint64, len(buckets))} }

// NewMetrics returns empty metrics that read exchange timings from j and the asynchronous
// messages from st (nil: none).
func NewMetrics(j *journal.Journal, st *store.Store) *Metrics {
	return &Metrics{journal: j, store: st, requests: map[[2]string]uint64{}, faults: map[string]uint64{},
		latency: map[string]*histogram{}, acceptance: newHistogram(), ownerTime: newHistogram()}
}

// The answer's sessionId and errorCode: the inner elements are unqualified on the wire; a REST
// refusal carries errorCode in JSON and the session in the Bip-Session-Id header.
var (
	sessionRE       = regexp.MustCompile(`<sessionId>\s*([^<\s]+)\s*</sessionId>`)
	errorCodeRE     = regexp.MustCompile(`<errorCode>([^<]*)</errorCode>`)
	jsonErrorCodeRE = regexp.MustCompile(`"errorCode"\s*:\s*"([^"]+)"`)
)

// captureLimit is how much of an answer is kept to find sessionId and errorCode: both sit in the
// header part of an answer, before any business data.
const captureLimit = 64 << 10

// Wrap measures every request h serves.
func (m *Metrics) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		// The exchange is counted even when its client has left: read the journal past the
		// request's cancellation, within a bound.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
		defer cancel()
		m.observe(ctx, channelOf(r.URL.Path), rec, time.Since(start))
	})
}

func channelOf(path string) string {
	switch {
	case strings.HasPrefix(path, strings.TrimSuffix(envelope.SyncPath, "/")):
		return "sync"
	case strings.HasPrefix(path, strings.TrimSuffix(envelope.AsyncPath, "/")):
		return "async"
	case strings.HasPrefix(path, gateway.RESTPath):
		return "rest"
	}
	return "other"
}

// gatewayCodes are the fault labels: the gateway's own codes. Any other code is counted as
// otherCode, so no sender can add a label (and a time series) by choosing a code.
var gatewayCodes = func() map[string]bool {
	known := map[string]bool{}
	for _, c := range envelope.Codes {
		known[c.ID] = true
	}
	return known
}()

const otherCode = "other"

func faultLabel(code string) string {
	if gatewayCodes[code] {
		return code
	}
	return otherCode
}

// faultCode is the label of the fault an answer carried, or "" when it carried none. The journal
// decides when it knows the exchange: a fault is an exchange whose outcome is a refusal or a fault,
// under the code the gateway journaled. Otherwise only an answer with an error status is read for
// an errorCode: a 200 answer is never a fault, whatever its business data hold.
func faultCode(channel string, status int, body []byte, x journal.Exchange) string {
	if x.SessionID != "" {
		if x.Outcome == journal.Rejected || x.Outcome == journal.Faulted {
			return faultLabel(x.Code)
		}
		return ""
	}
	if status < 400 {
		return ""
	}
	if c := errorCodeRE.FindSubmatch(body); c != nil {
		return faultLabel(strings.TrimSpace(string(c[1])))
	}
	if c := jsonErrorCodeRE.FindSubmatch(body); c != nil && channel == "rest" {
		return faultLabel(string(c[1]))
	}
	return ""
}

// statusLabel keeps the status label to the three-digit HTTP codes.
func statusLabel(status int) string {
	if status < 100 || status > 599 {
		return otherCode
	}
	return strconv.Itoa(status)
}

func (m *Metrics) observe(ctx context.Context, channel string, rec *recorder, took time.Duration) {
	body := rec.body.Bytes()
	var session string
	if s := sessionRE.FindSubmatch(body); s != nil {
		session = string(s[1])
	} else if h := rec.Header().Get("Bip-Session-Id"); h != "" {
		session = h
	}
	var x journal.Exchange
	if session != "" && m.journal != nil {
		x, _ = m.journal.Exchange(ctx, session)
	}
	code := faultCode(channel, rec.status, body, x)

	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{channel, statusLabel(rec.status)}]++
	h := m.latency[channel]
	if h == nil {
		h = newHistogram()
		m.latency[channel] = h
	}
	h.observe(took.Seconds())
	if code != "" {
		m.faults[code]++
	}
	if !x.Accepted.IsZero() {
		m.acceptance.observe(x.AcceptanceTime().Seconds())
	}
	if !x.SentToOwner.IsZero() && !x.OwnerAnswered.IsZero() {
		m.ownerTime.observe(x.OwnerTime().Seconds())
	}
}

// ServeHTTP writes the metrics in the Prometheus text format.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = m.WriteTo(w)
}

// WriteTo writes the metrics in the Prometheus text format.
func (m *Metrics) WriteTo(out io.Writer) (int64, error) {
	var counts map[string]int // read before taking the lock, so requests are not held up
	if m.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		counts, _ = m.store.Count(ctx)
		cancel()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var b bytes.Buffer

	b.WriteString("# HELP shepconf_gateway_requests_total Requests served by the gateway, by channel and HTTP status.\n")
	b.WriteString("# TYPE shepconf_gateway_requests_total counter\n")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		fmt.Fprintf(&b, "shepconf_gateway_requests_total{channel=%q,status=%q} %d\n", k[0], k[1], m.requests[k])
	}

	b.WriteString("# HELP shepconf_gateway_faults_total SOAP faults sent back to senders, by errorCode.\n")
	b.WriteString("# TYPE shepconf_gateway_faults_total counter\n")
	codes := make([]string, 0, len(m.faults))
	for c := range m.faults {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "shepconf_gateway_faults_total{code=%q} %d\n", c, m.faults[c])
	}

	var writeErrors uint64
	if m.journal != nil {
		writeErrors = m.journal.WriteErrors()
	}
	b.WriteString("# HELP shepconf_gateway_journal_write_errors_total Journal events that could not be written: each is an exchange whose record is incomplete (R-2.18).\n")
	b.WriteString("# TYPE shepconf_gateway_journal_write_errors_total counter\n")
	fmt.Fprintf(&b, "shepconf_gateway_journal_write_errors_total %d\n", writeErrors)

	b.WriteString("# HELP shepconf_gateway_request_duration_seconds Time from a request's arrival to the end of its answer.\n")
	b.WriteString("# TYPE shepconf_gateway_request_duration_seconds histogram\n")
	channels := make([]string, 0, len(m.latency))
	for c := range m.latency {
		channels = append(channels, c)
	}
	sort.Strings(channels)
	for _, c := range channels {
		writeHistogram(&b, "shepconf_gateway_request_duration_seconds", fmt.Sprintf("channel=%q,", c), m.latency[c])
	}

	b.WriteString("# HELP shepconf_gateway_acceptance_seconds Time from receipt to acceptance of a message, from the journal (R-47: at most 1 minute).\n")
	b.WriteString("# TYPE shepconf_gateway_acceptance_seconds histogram\n")
	writeHistogram(&b, "shepconf_gateway_acceptance_seconds", "", m.acceptance)

	b.WriteString("# HELP shepconf_gateway_owner_processing_seconds The owner's processing time measured by the gateway, from the journal (A2-T1: at most 30 s).\n")
	b.WriteString("# TYPE shepconf_gateway_owner_processing_seconds histogram\n")
	writeHistogram(&b, "shepconf_gateway_owner_processing_seconds", "", m.ownerTime)

	b.WriteString("# HELP shepconf_gateway_async_messages Messages in the asynchronous channel's store, by state (A1-T8 row 2).\n")
	b.WriteString("# TYPE shepconf_gateway_async_messages gauge\n")
	if counts != nil {
		for _, st := range []string{store.OnDelivery, store.Delivered, store.NotDelivered, store.DeliveryStopped} {
			fmt.Fprintf(&b, "shepconf_gateway_async_messages{state=%q} %d\n", st, counts[st])
		}
	}

	n, err := out.Write(b.Bytes())
	return int64(n), err
}

func writeHistogram(b *bytes.Buffer, name, labels string, h *histogram) {
	var cum uint64
	for i, bound := range buckets {
		cum += h.counts[i]
		fmt.Fprintf(b, "%s_bucket{%sle=\"%g\"} %d\n", name, labels, bound, cum)
	}
	fmt.Fprintf(b, "%s_bucket{%sle=\"+Inf\"} %d\n", name, labels, h.n)
	plain := strings.TrimSuffix(labels, ",")
	if plain != "" {
		plain = "{" + plain + "}"
	}
	fmt.Fprintf(b, "%s_sum%s %g\n%s_count%s %d\n", name, plain, h.sum, name, plain, h.n)
}

// recorder keeps the status and the start of the body of an answer.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	if room := captureLimit - r.body.Len(); room > 0 {
		r.body.Write(p[:min(room, len(p))])
	}
	return r.ResponseWriter.Write(p)
}

// Flush passes flushes on, for handlers that stream.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
