package agency

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// APIError is an answer of Gospochta or ESIA other than success: the HTTP status and the error
// body (wire.Error's code and message, or ESIA's error and error_description in the same two
// fields). errors.As(err, new(*APIError)) finds it under every error the client returns for a
// refused call.
type APIError struct {
	Method string
	Path   string // the path pattern (wire.PathSearch, …) or ESIA's endpoint
	Status int
	// Code and Message are the body's; for ESIA, Code is the ESIA code ("ESIA-007002") when the
	// description opens with one, else the OAuth error.
	Code    string
	Message string
	// Body is the raw body, at most 64 KiB of it.
	Body []byte
}

func (e *APIError) Error() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		fmt.Fprintf(&s, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&s, ": %s", e.Message)
	}
	return s.String()
}

// maxErrorBody is how much of an error body an APIError keeps.
const maxErrorBody = 64 << 10

// newAPIError reads Gospochta's error body (wire.Error).
func newAPIError(method, path string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, Status: status}
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	e.Body = body
	var b wire.Error
	if json.Unmarshal(body, &b) == nil {
		e.Code, e.Message = b.Code, b.Message
	}
	return e
}

// esiaError turns ESIA's refusal into an APIError, other errors are returned as they are.
func esiaError(method, path string, err error) error {
	var re *esia.ResponseError
	if !errors.As(err, &re) {
		return err
	}
	e := newAPIError(method, path, re.StatusCode, re.Body)
	e.Code, e.Message = re.Code(), re.Description
	if e.Code == "" {
		e.Code = re.Err
	}
	return e
}

// ErrQuota is under the error of a reading the client stopped itself, before sending a request
// that would pass the day's 5 searches or 15 fetches (GP-R-QUOTA).
var ErrQuota = errors.New("the day's quota of the reading API would be exceeded")

// ReceiptError is a delivery receipt the client does not accept: its signature does not verify
// against Config.Roots, or it is not the receipt of the message sent (GP-W-RECEIPT). The message
// was delivered; the sender cannot prove it.
type ReceiptError struct {
	MessageID string
	Err       error
}

func (e *ReceiptError) Error() string {
	return fmt.Sprintf("the delivery receipt of message %s is refused (GP-W-RECEIPT): %v", e.MessageID, e.Err)
}

func (e *ReceiptError) Unwrap() error { return e.Err }

// TaskError is a search task that ended in ERROR, again after one new search (GP-R-TASK).
type TaskError struct {
	TaskUUID string
	From, To string // the period searched, as sent
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("search task %s over %s … %s ended in %s twice (GP-R-TASK)", e.TaskUUID, e.From, e.To, wire.TaskError)
}
