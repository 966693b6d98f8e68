package geps

import (
	"context"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
)

// Endpoints as Request.Endpoint names them.
const (
	EndpointSearch     = "search"      // POST search
	EndpointSearchTask = "search-task" // GET search/{searchTaskUuid}
	EndpointCard       = "card"        // GET message/{threadUuid}/{messageUuid}
	EndpointAttachment = "attachment"  // GET attachment/{messageUuid}/{attachmentUuid}/{part}
)

// Request is one call as the harness judges a reader by it: who called, what, and what was answered.
type Request struct {
	Time      time.Time // the service's clock, when the call arrived
	System    string    // the caller's mnemonic, from its token (even a refused role's); "" when unknown
	Org       string    // the caller's organisation
	RequestID string    // X-Request-Id as sent (not required by the published API), cut to 128 bytes
	Method    string
	Path      string // path and query as sent, cut to 2 KiB
	Endpoint  string // EndpointSearch …; "" for a path the API does not have
	Status    int
	Code      string       // the error body's code of a refusal
	Breach    *rule.Breach // the refusal itself (or nil)
	Note      string       // a panic's note

	From, To time.Time // search: the range asked for (zero when it did not parse)
	TaskUUID string    // search: the task created; search-task: the task asked for
	Offset   int       // search-task: the page asked for
	Limit    int
	Task     string // search-task: the task's state answered (wire.TaskSearch …)
	Returned int    // search-task: messages in the page answered

	MessageUUID    string // card, attachment
	AttachmentUUID string // attachment
	Part           string // attachment: "file" or "sig"
}

const logFieldLimit = 2 << 10

// Requests returns every call answered, oldest first (the newest WithLogLimit, 10 000 by
// default), each with its own copies.
func (s *Service) Requests() []Request {
	return s.log.All(func(e Request) Request {
		e.Breach = e.Breach.Clone()
		return e
	})
}

// bounded is a log entry holding at most logFieldLimit bytes of each client-controlled text.
func bounded(r Request) Request {
	r.Path, r.Note = rule.Cut(r.Path, logFieldLimit), rule.Cut(r.Note, logFieldLimit)
	r.RequestID, r.TaskUUID = rule.Cut(r.RequestID, 128), rule.Cut(r.TaskUUID, 128)
	r.MessageUUID, r.AttachmentUUID, r.Part = rule.Cut(r.MessageUUID, 128), rule.Cut(r.AttachmentUUID, 128), rule.Cut(r.Part, 128)
	r.Breach = r.Breach.Bounded(logFieldLimit)
	return r
}

type recordKey struct{}

// recordOf is the log entry of the call being served, for handlers to fill in.
func recordOf(r *http.Request) *Request {
	rec, _ := r.Context().Value(recordKey{}).(*Request)
	if rec == nil {
		return &Request{} // a handler called outside serve writes to a throwaway entry
	}
	return rec
}

func withRecord(r *http.Request, rec *Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), recordKey{}, rec))
}
