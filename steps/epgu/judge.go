package epgu

import (
	"sort"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/msg"
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

// outcome says what the system reported, for a failure's "observed": its outcome and error are
// its own words, quoted as they are.
func (w *World) outcome() msg.Text {
	if w.result.Error != "" {
		return msg.F("; the system reported %s: %s", w.result.Outcome, w.result.Error)
	}
	return msg.F("; the system reported %s", w.result.Outcome)
}

// list is texts as %v prints a list of strings: "[a b]".
func list(texts []msg.Text) msg.Text { return msg.F("[%s]", msg.Join(texts, " ")) }

// faultIndex is the index of the first call answered by an injected fault with status.
func faultIndex(calls []api.Request, status int) int {
	for i, r := range calls {
		if r.Fault && r.Status == status {
			return i
		}
	}
	return -1
}

func stamp(t time.Time) msg.Text {
	if t.IsZero() {
		return msg.F("never")
	}
	return msg.Raw(t.Format("15:04:05.000"))
}

// pathOnly is a request's path without its query.
func route(p string) string {
	path, _, _ := strings.Cut(p, "?")
	return path
}
