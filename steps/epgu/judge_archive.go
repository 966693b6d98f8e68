package epgu

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/epgu/api"
	"github.com/shepconf/shepconf/simulators/epgu/archive"
)

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

func (w *World) orderReaches(ctx context.Context, want string) error {
	deadline := time.NewTimer(30*time.Second + w.suite.limits.ChunkWindow)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		o, ok := w.orderOfSUT()
		if ok && (string(o.Processing) == want || o.Processing.Final()) {
			return w.judgeOrder(o, ok, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return w.judgeOrder(o, ok, want)
		case <-tick.C:
		}
	}
}

// judgeOrder checks the order's processing status.
func (w *World) judgeOrder(o api.OrderSnapshot, ok bool, want string) error {
	observed := msg.F("no order%s", w.outcome())
	if ok {
		observed = msg.F("order %d: %s", o.ID, o.Processing)
		if o.Breach != nil {
			observed = msg.F("order %d: %s — %s", o.ID, o.Processing, o.Breach)
		}
	}
	w.evidence.AttachJSON("order.json", o)
	return w.evidence.Check("EPGU-A1", msg.F("processing status %s", want), observed, ok && string(o.Processing) == want)
}

func (w *World) singlePush() error {
	var pushes, chunks int
	for _, r := range w.calls() {
		switch {
		case r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/api/gusmev/push/chunked"):
			chunks++
		case r.Method == http.MethodPost && route(r.Path) == "/api/gusmev/push" && r.Status == http.StatusOK:
			pushes++
		}
	}
	return w.evidence.Check("EPGU-2.1.4", msg.F("one archive accepted by POST /api/gusmev/push"),
		msg.F("%d accepted by /push, %d chunks%s", pushes, chunks, w.outcome()), pushes == 1 && chunks == 0)
}

// checks are the archive checks of the system's uploads.
func (w *World) checks() []epguCheck {
	var out []epguCheck
	for _, c := range w.contour.Checks() {
		out = append(out, epguCheck{Status: c.Status, Breach: c.Breach, Files: c.Files, SignaturesChecked: c.SignaturesChecked})
	}
	w.evidence.AttachJSON("archive checks.json", out)
	return out
}

func (w *World) archiveCheck(ruleID string, expected msg.Text, fails ...string) error {
	checks := w.checks()
	if len(checks) == 0 {
		return w.evidence.Check(ruleID, expected, msg.F("no archive arrived%s", w.outcome()), false)
	}
	for _, c := range checks {
		for _, f := range fails {
			if c.Status == f {
				return w.evidence.Check(ruleID, expected, c.text(), false)
			}
		}
	}
	return w.evidence.Check(ruleID, expected, checks[len(checks)-1].text(), true)
}

func (w *World) archiveWellFormed() error {
	return w.archiveCheck("EPGU-2.1.3", msg.F("a flat zip with req.xml and the business XML, valid against the service's schema"),
		"INVALID_FILES_STRUCTURE", "REQ_NOT_FOUND", "MPC_NOT_FOUND", "VALIDATION_ERROR")
}

// archiveSigned holds only when every archive passed its checks with its signatures verified: an
// archive refused earlier (its XML, its structure) had no signature checked at all.
func (w *World) archiveSigned() error {
	expected := msg.F("every file with <file>.sig, a detached signature by the system's certificate with a time stamp, verified")
	checks := w.checks()
	if len(checks) == 0 {
		return w.evidence.Check("WALK-SIG", expected, msg.F("no archive arrived%s", w.outcome()), false)
	}
	for _, c := range checks {
		if c.Status != archive.FilesVerificationSuccess || !c.SignaturesChecked {
			return w.evidence.Check("WALK-SIG", expected, c.text(), false)
		}
	}
	return w.evidence.Check("WALK-SIG", expected, checks[len(checks)-1].text(), true)
}

// noInvalidArchive: the system was asked to send only a business XML its schema refuses, so any
// push at all (whole or chunked, accepted or not) sent it.
func (w *World) noInvalidArchive() error {
	var pushes []msg.Text
	for _, r := range w.calls() {
		if r.Method == http.MethodPost && strings.HasPrefix(route(r.Path), "/api/gusmev/push") {
			pushes = append(pushes, msg.Raw(fmt.Sprintf("%s → %d", r.Path, r.Status)))
		}
	}
	for _, c := range w.checks() {
		pushes = append(pushes, msg.F("archive checked: %s", c.text()))
	}
	return w.evidence.Check("WALK-XSD", msg.F("no archive sent with a business XML that breaks the service's schema; the system refuses it itself"),
		msg.F("pushes %s%s", list(pushes), w.outcome()), len(pushes) == 0)
}

// epguCheck is one archive check as the evidence shows it.
type epguCheck struct {
	Status            string       `json:"status"`
	Breach            *rule.Breach `json:"breach,omitempty"`
	SignaturesChecked bool         `json:"signaturesChecked"`
	Files             []string     `json:"files"`
}

// text is the check as a failure's "observed" quotes it: its status (a code of Appendix 1), the
// breach, the files.
func (c epguCheck) text() msg.Text {
	s := msg.Raw(c.Status)
	if c.Status == "" {
		s = msg.F("passed")
	}
	if c.Breach != nil {
		s = msg.F("%s — %s", s, c.Breach)
	}
	return msg.F("%s (files %v)", s, c.Files)
}
