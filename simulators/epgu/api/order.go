package api

import (
	"strconv"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
)

// Meta is the order metadata of /order and of the push's meta part (EPGU-T6).
type Meta struct {
	Region      string `json:"region"`
	ServiceCode string `json:"serviceCode"`
	TargetCode  string `json:"targetCode"`
}

// owner is who may work with an order: the system and the user of the token that created it
// (EPGU-A4 order_access).
type owner struct {
	clientID, subject, orgOID string
}

func ownerOf(t AccessToken) owner { return owner{t.ClientID, t.Subject, t.OrgOID} }

func (o owner) personType() string {
	if o.orgOID != "" {
		return "LEGAL"
	}
	return "PERSON"
}

// phase is where an order is in its submission.
type phase int

const (
	phaseReserved   phase = iota // created by /order, waiting for its archive
	phaseAssembling              // the last chunk arrived; the archive is being checked
	phaseSubmitted               // processing timeline fixed
)

type procEvent struct {
	at   time.Time
	code Processing
}

type statusEvent struct {
	at   time.Time
	id   int64 // status history id (currentStatusHistoryId)
	step Step
}

// resultFile is the agency's answer file, downloadable once its status is visible (EPGU-4).
type resultFile struct {
	statusID int64
	name     string // the mnemonic of the link
	mimeType string
	body     []byte
}

// order is the simulator's state of one order. Every field is guarded by API.mu.
type order struct {
	id        int64
	owner     owner
	meta      Meta
	service   Service
	script    Script
	created   time.Time
	phase     phase
	chunked   bool
	upload    *upload
	submitted time.Time
	files     []File
	outcome   Processing
	breach    *rule.Breach
	proc      []procEvent
	statuses  []statusEvent // the draft first; later ones become visible as the clock passes them
	result    *resultFile
	messageID string
	smevTx    string
}

// processingAt is the processing status shown at now (EPGU-A1): NEW until the archive is processed.
func (o *order) processingAt(now time.Time) (Processing, time.Time) {
	code, at := ProcessingNew, o.created
	for _, e := range o.proc {
		if e.at.After(now) {
			break
		}
		code, at = e.code, e.at
	}
	return code, at
}

// statusesAt are the statuses visible at now, oldest first; the draft is always there.
func (o *order) statusesAt(now time.Time) []statusEvent {
	n := 0
	for n < len(o.statuses) && !o.statuses[n].at.After(now) {
		n++
	}
	if n == 0 {
		n = 1
	}
	return o.statuses[:n]
}

func (o *order) currentAt(now time.Time) statusEvent {
	s := o.statusesAt(now)
	return s[len(s)-1]
}

// timeline fixes when each processing status is reached: structural checks end after one stage,
// the signature check after two, the hand-over to the portal after three (EPGU-A1). Without a
// signature check (signed false) FILES_VERIFICATION and its SUCCESS are skipped: Appendix 1 sets
// them only "если такая проверка предусмотрена конфигурацией услуги".
func timeline(t0 time.Time, stage time.Duration, outcome Processing, signed bool) []procEvent {
	ev := []procEvent{{t0, ProcessingNew}}
	switch outcome {
	case ProcessingLimitationException:
		return append(ev, procEvent{t0, outcome})
	case ProcessingDone, ProcessingCreateOrderForbidden:
		if !signed {
			return append(ev, procEvent{t0.Add(stage), outcome})
		}
		return append(ev,
			procEvent{t0.Add(stage), ProcessingFilesVerification},
			procEvent{t0.Add(2 * stage), ProcessingFilesVerificationOK},
			procEvent{t0.Add(3 * stage), outcome})
	case ProcessingFilesVerificationFailed:
		return append(ev,
			procEvent{t0.Add(stage), ProcessingFilesVerification},
			procEvent{t0.Add(2 * stage), outcome})
	}
	return append(ev, procEvent{t0.Add(stage), outcome})
}

// outcomeOf maps the archive checker's verdict to a processing status.
func outcomeOf(status string) Processing {
	switch Processing(status) {
	case "", ProcessingDone, ProcessingFilesVerificationOK:
		return ProcessingDone
	case ProcessingNew, ProcessingFilesVerification, "RETRY", "VALIDATION":
		return ProcessingDone // not an outcome: the checker found nothing final
	}
	return Processing(status)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
