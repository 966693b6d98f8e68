package epgu

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/epgu/api"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// The judgements read what ESIA and the API received from the system under test; the system's
// own word (its trigger result) only explains a failure.
func (w *World) registerJudgements(sc *godog.ScenarioContext) {
	sc.Step(`^ESIA issued the system under test an access token for its API key$`, w.tokenIssued)
	sc.Step(`^every client_secret of the system under test verified against its registered certificate$`, w.secretsVerified)
	sc.Step(`^every call of the system under test to the EPGU API carried an access token ESIA issued to it$`, w.callsAuthorised)
	sc.Step(`^after the 401 the system under test got a new access token before it called the API again$`, w.newTokenAfter401)
	sc.Step(`^the order of the system under test reaches the processing status "([^"]*)"$`, w.orderReaches)
	sc.Step(`^the EPGU API received one archive of the system under test in a single call$`, w.singlePush)
	sc.Step(`^the archive of the system under test is a flat zip with req\.xml and a business XML its schema accepts$`, w.archiveWellFormed)
	sc.Step(`^every file in the archive of the system under test has a detached signature that verifies, with a time stamp$`, w.archiveSigned)
	sc.Step(`^the system under test created the order before its first chunk$`, w.orderBeforeChunks)
	sc.Step(`^the chunks of the system under test came first chunk first and last chunk last$`, w.chunkOrder)
	sc.Step(`^every chunk of the system under test but the last held 5 000 000 to 50 000 000 bytes$`, w.chunkSizes)
	sc.Step(`^every chunk of the system under test came within 5 minutes of its first$`, w.chunkWindow)
	sc.Step(`^the EPGU API received no archive from the system under test whose business XML the schema refuses$`, w.noInvalidArchive)
	sc.Step(`^the system under test stayed within (\d+) calls a minute and was never refused for its rate$`, w.withinRate)
	sc.Step(`^the system under test downloaded the result file of its order$`, w.downloadedResult)
	sc.Step(`^the order of the system under test was cancelled while its status allowed it$`, w.cancelledWhileAllowed)
	sc.Step(`^the system under test waited at least the Retry-After before each repeated call$`, w.waitedRetryAfter)
	sc.Step(`^the system under test repeated the call after a pause of at least (\d+) seconds?$`, w.pausedAfter)
}

// calls are the system's requests to the order methods (the dictionary needs no token), in order
// of arrival.
func (w *World) calls() []api.Request {
	var out []api.Request
	for _, r := range w.contour.API.Requests() {
		if strings.HasPrefix(r.Path, "/api/gusmev/") || strings.HasPrefix(r.Path, "/api/storage/") {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	w.evidence.AttachJSON("EPGU API exchanges.json", out)
	return out
}

// tokenEvents are ESIA's answers to the system's token requests.
func (w *World) tokenEvents() []esia.Event {
	var out []esia.Event
	for _, e := range w.contour.ESIA.Events() {
		if e.Mnemonic == w.suite.opts.SUT.mnemonic() || e.Mnemonic == "" {
			out = append(out, e)
		}
	}
	w.evidence.AttachJSON("ESIA events.json", out)
	return out
}

// outcome says what the system reported, for a failure's "observed".
func (w *World) outcome() string {
	if w.result.Error != "" {
		return fmt.Sprintf("; the system reported %s: %s", w.result.Outcome, w.result.Error)
	}
	return fmt.Sprintf("; the system reported %s", w.result.Outcome)
}

func (w *World) tokenIssued() error {
	var issued int
	for _, e := range w.tokenEvents() {
		if e.Outcome == esia.Issued {
			issued++
		}
	}
	return w.evidence.Check("ESIA-B12", "at least one access token issued for the system's API key",
		fmt.Sprintf("%d issued%s", issued, w.outcome()), issued > 0)
}

func (w *World) secretsVerified() error {
	var refused []string
	events := w.tokenEvents()
	for _, e := range events {
		if e.Outcome == esia.Refused || e.Outcome == esia.NotSupported {
			refused = append(refused, describeEvent(e))
		}
	}
	return w.evidence.Check("ESIA-B12", "every token request's client_secret a valid detached signature by the registered certificate",
		fmt.Sprintf("%d token requests, refused: %v", len(events), refused), len(events) > 0 && len(refused) == 0)
}

func (w *World) callsAuthorised() error {
	calls := w.calls()
	var bad []string
	for _, r := range calls {
		if !r.Fault && (r.Status == http.StatusUnauthorized || r.ClientID != w.suite.opts.SUT.mnemonic()) {
			bad = append(bad, fmt.Sprintf("%s %s → %d", r.Method, r.Path, r.Status))
		}
	}
	return w.evidence.Check("EPGU-1.1", "every call with a valid Bearer token of the system (scope api-order, APIPGU)",
		fmt.Sprintf("%d calls, without a valid token of the system: %v", len(calls), bad), len(calls) > 0 && len(bad) == 0)
}

func (w *World) newTokenAfter401() error {
	calls := w.calls()
	i := faultIndex(calls, http.StatusUnauthorized)
	if i < 0 {
		return w.evidence.Check("EPGU-A4", "a call answered 401", "the system made no call the API answered 401"+w.outcome(), false)
	}
	if i+1 >= len(calls) {
		return w.evidence.Check("EPGU-A4", "after 401 a new token from ESIA, then the call repeated",
			"no further call after the 401"+w.outcome(), false)
	}
	next := calls[i+1]
	var fresh bool
	for _, e := range w.tokenEvents() {
		if e.Outcome == esia.Issued && e.Time.After(calls[i].At) && e.Time.Before(next.At) {
			fresh = true
		}
	}
	return w.evidence.Check("EPGU-A4", "after 401 a new token from ESIA before the next call",
		fmt.Sprintf("next call %s %s %s after the 401; new token in between: %v", next.Method, next.Path,
			next.At.Sub(calls[i].At).Round(time.Millisecond), fresh), fresh)
}

// faultIndex is the index of the first call answered by an injected fault with status.
func faultIndex(calls []api.Request, status int) int {
	for i, r := range calls {
		if r.Fault && r.Status == status {
			return i
		}
	}
	return -1
}

// orderOfSUT is the order the system submitted, as its pushes name it.
func (w *World) orderOfSUT() (api.OrderSnapshot, bool) {
	var last api.OrderSnapshot
	var found bool
	for _, o := range w.contour.API.Orders() {
		if o.ClientID == w.suite.opts.SUT.mnemonic() {
			last, found = o, true
		}
	}
	return last, found
}

func (w *World) orderReaches(want string) error {
	deadline := time.Now().Add(30*time.Second + w.suite.window)
	for {
		o, ok := w.orderOfSUT()
		if ok && (string(o.Processing) == want || o.Processing.Final()) || time.Now().After(deadline) {
			observed := "no order" + w.outcome()
			if ok {
				observed = fmt.Sprintf("order %d: %s", o.ID, o.Processing)
				if o.Breach != nil {
					observed += " — " + o.Breach.Error()
				}
			}
			w.evidence.AttachJSON("order.json", o)
			return w.evidence.Check("EPGU-A1", "processing status "+want, observed, ok && string(o.Processing) == want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (w *World) singlePush() error {
	var pushes, chunks int
	for _, r := range w.calls() {
		switch {
		case r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/api/gusmev/push/chunked"):
			chunks++
		case r.Method == http.MethodPost && r.Path == "/api/gusmev/push" && r.Status == http.StatusOK:
			pushes++
		}
	}
	return w.evidence.Check("EPGU-2.1.4", "one archive accepted by POST /api/gusmev/push",
		fmt.Sprintf("%d accepted by /push, %d chunks%s", pushes, chunks, w.outcome()), pushes == 1 && chunks == 0)
}

// checks are the archive checks of the system's uploads.
func (w *World) checks() []epguCheck {
	var out []epguCheck
	for _, c := range w.contour.Checks() {
		out = append(out, epguCheck{Status: c.Status, Breach: c.Breach, Files: c.Files})
	}
	w.evidence.AttachJSON("archive checks.json", out)
	return out
}

func (w *World) archiveCheck(ruleID, expected string, fails ...string) error {
	checks := w.checks()
	if len(checks) == 0 {
		return w.evidence.Check(ruleID, expected, "no archive arrived"+w.outcome(), false)
	}
	for _, c := range checks {
		for _, f := range fails {
			if c.Status == f {
				return w.evidence.Check(ruleID, expected, c.String(), false)
			}
		}
	}
	return w.evidence.Check(ruleID, expected, checks[len(checks)-1].String(), true)
}

func (w *World) archiveWellFormed() error {
	return w.archiveCheck("EPGU-2.1.3", "a flat zip with req.xml and the business XML, valid against the service's schema",
		"INVALID_FILES_STRUCTURE", "REQ_NOT_FOUND", "MPC_NOT_FOUND", "VALIDATION_ERROR")
}

func (w *World) archiveSigned() error {
	return w.archiveCheck("WALK-SIG", "every file with <file>.sig, a detached signature by the system's certificate with a time stamp",
		"FILES_VERIFICATION_FAILED")
}

func (w *World) noInvalidArchive() error {
	var invalid []string
	for _, c := range w.checks() {
		if c.Status == "VALIDATION_ERROR" {
			invalid = append(invalid, c.String())
		}
	}
	return w.evidence.Check("WALK-XSD", "no business XML that breaks the service's schema sent; the system refuses it itself",
		fmt.Sprintf("sent %d such archives %v%s", len(invalid), invalid, w.outcome()), len(invalid) == 0)
}

// chunkCalls are the system's chunk uploads in order of arrival.
func (w *World) chunkCalls() []api.Request {
	var out []api.Request
	for _, r := range w.calls() {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/api/gusmev/push/chunked") && r.Chunks > 0 && !r.Fault {
			out = append(out, r)
		}
	}
	return out
}

func (w *World) orderBeforeChunks() error {
	var created, chunked time.Time
	for _, r := range w.calls() {
		if created.IsZero() && r.Path == "/api/gusmev/order" && r.Status == http.StatusOK {
			created = r.At
		}
		if chunked.IsZero() && strings.HasPrefix(r.Path, "/api/gusmev/push/chunked") {
			chunked = r.At
		}
	}
	return w.evidence.Check("EPGU-2.1.2", "POST /api/gusmev/order answered with the orderId before the first chunk",
		fmt.Sprintf("order created %v, first chunk %v%s", stamp(created), stamp(chunked), w.outcome()),
		!created.IsZero() && !chunked.IsZero() && created.Before(chunked))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format("15:04:05.000")
}

func (w *World) chunkOrder() error {
	calls := w.chunkCalls()
	if len(calls) == 0 {
		return w.evidence.Check("EPGU-2.1.3", "the archive in chunks", "no chunk"+w.outcome(), false)
	}
	n := calls[0].Chunks
	// The first chunk's number is the lowest the client sent: 0 as the text says, 1 as its example.
	firstIndex := calls[0].Chunk
	for _, c := range calls {
		firstIndex = min(firstIndex, c.Chunk)
	}
	lastIndex := firstIndex + n - 1
	order := make([]int, len(calls))
	seen := map[int]bool{}
	ok, lastCame := calls[0].Chunk == firstIndex, false
	for i, c := range calls {
		order[i] = c.Chunk
		if c.Chunk == lastIndex {
			lastCame = true
			// The last chunk comes after every other one has arrived.
			ok = ok && len(seen) == n-1
		}
		seen[c.Chunk] = true
	}
	return w.evidence.Check("EPGU-2.1.3", "the first chunk first and the last chunk last, after all the others",
		fmt.Sprintf("chunks in the order %v of %d%s", order, n, w.outcome()), ok && lastCame)
}

func (w *World) chunkSizes() error {
	calls := w.chunkCalls()
	var bad []string
	for i, c := range calls {
		last := i == len(calls)-1
		if (!last && (c.ChunkBytes < 5_000_000 || c.ChunkBytes > 50_000_000)) || (last && c.ChunkBytes > 50_000_000) {
			bad = append(bad, fmt.Sprintf("chunk %d: %d bytes", c.Chunk, c.ChunkBytes))
		}
	}
	return w.evidence.Check("EPGU-2.1.3", "every chunk but the last 5 000 000 to 50 000 000 bytes, the last at most 50 000 000",
		fmt.Sprintf("%d chunks, outside the bounds: %v", len(calls), bad), len(calls) > 0 && len(bad) == 0)
}

func (w *World) chunkWindow() error {
	calls := w.chunkCalls()
	if len(calls) == 0 {
		return w.evidence.Check("EPGU-2.1.3", "chunks within the window", "no chunk"+w.outcome(), false)
	}
	span := calls[len(calls)-1].SimAt.Sub(calls[0].SimAt)
	return w.evidence.Check("EPGU-2.1.3", fmt.Sprintf("the last chunk within %s of the first (5 minutes at time scale %g)", w.suite.window, w.suite.opts.TimeScale),
		fmt.Sprintf("last chunk %s after the first", span.Round(time.Millisecond)), span <= w.suite.window)
}

func (w *World) withinRate(perMinute int) error {
	calls := w.calls()
	most, refused := 0, 0
	for i, c := range calls {
		n := 0
		for _, d := range calls[i:] {
			if d.At.Sub(c.At) >= time.Minute {
				break
			}
			n++
		}
		most = max(most, n)
		if c.Status == http.StatusTooManyRequests && !c.Fault {
			refused++
		}
	}
	return w.evidence.Check("EPGU-A3", fmt.Sprintf("at most %d calls in any minute, none refused with 429", perMinute),
		fmt.Sprintf("%d calls, at most %d in a minute, %d refused with 429", len(calls), most, refused),
		most <= perMinute && refused == 0)
}

func (w *World) downloadedResult() error {
	var got []string
	for _, r := range w.calls() {
		if r.Method == http.MethodGet && strings.Contains(r.Path, "download") {
			got = append(got, fmt.Sprintf("%s → %d", r.Path, r.Status))
			if r.Status == http.StatusOK {
				return w.evidence.Check("EPGU-4", "the result file downloaded by the order's link", strings.Join(got, ", "), true)
			}
		}
	}
	return w.evidence.Check("EPGU-4", "the result file downloaded by the order's link",
		fmt.Sprintf("downloads %v%s", got, w.outcome()), false)
}

func (w *World) cancelledWhileAllowed() error {
	var ok, refused int
	for _, r := range w.calls() {
		if strings.HasSuffix(r.Path, "/cancel") {
			if r.Status == http.StatusOK {
				ok++
			} else {
				refused++
			}
		}
	}
	return w.evidence.Check("EPGU-2.2", "one cancel, made while cancelAllowed",
		fmt.Sprintf("%d cancels accepted, %d refused%s", ok, refused, w.outcome()), ok == 1 && refused == 0)
}

func (w *World) waitedRetryAfter() error {
	return w.pausedAfterFaults(http.StatusTooManyRequests, 0)
}

func (w *World) pausedAfter(seconds int) error {
	return w.pausedAfterFaults(http.StatusServiceUnavailable, time.Duration(seconds)*time.Second)
}

// pausedAfterFaults checks the call after each injected fault of status came no sooner than the
// fault's Retry-After or least, and that the call was repeated at all.
func (w *World) pausedAfterFaults(status int, least time.Duration) error {
	calls := w.calls()
	var faults, early int
	var seen []string
	for i, c := range calls {
		if !c.Fault || c.Status != status {
			continue
		}
		faults++
		wait := max(least, w.retryAfter)
		if i+1 >= len(calls) {
			early++
			seen = append(seen, "no call after it")
			continue
		}
		gap := calls[i+1].At.Sub(c.At)
		seen = append(seen, fmt.Sprintf("next call after %s (at least %s)", gap.Round(time.Millisecond), wait))
		if gap < wait-20*time.Millisecond {
			early++
		}
	}
	return w.evidence.Check("EPGU-A4", fmt.Sprintf("after HTTP %d the call repeated, no sooner than Retry-After or %s", status, least),
		fmt.Sprintf("%d answers %d: %v%s", faults, status, seen, w.outcome()), faults > 0 && early == 0)
}

// epguCheck is one archive check as the evidence shows it.
type epguCheck struct {
	Status string       `json:"status"`
	Breach *rule.Breach `json:"breach,omitempty"`
	Files  []string     `json:"files"`
}

func (c epguCheck) String() string {
	s := c.Status
	if s == "" {
		s = "passed"
	}
	if c.Breach != nil {
		s += " — " + c.Breach.Error()
	}
	return s + fmt.Sprintf(" (files %v)", c.Files)
}

// describeEvent says what ESIA answered a token request.
func describeEvent(e esia.Event) string {
	d := fmt.Sprintf("%s %s (%s): %s %s", e.Time.Format("15:04:05.000"), e.Endpoint, e.Grant, e.Outcome, e.Code)
	if e.Breach != nil {
		d += " — " + e.Breach.Error()
	}
	return d
}
