package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shepconf/shepconf/internal/schema"
)

// APIError is an answer of EPGU or ESIA other than success: the HTTP status and the body's
// {"code","message"} (EPGU-A4), or ESIA's {"error","error_description"} in the same two fields.
// errors.As(err, new(*APIError)) finds it under every error the client returns.
type APIError struct {
	Method string
	Path   string
	Status int
	// Code and Message are the body's code and message (EPGU-A4); empty when the body has none.
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

// newAPIError reads the error body of EPGU ({"code","message"}) or of ESIA ({"error",
// "error_description"}).
func newAPIError(method, path string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, Status: status}
	if len(body) > 64<<10 {
		body = body[:64<<10]
	}
	e.Body = body
	var b struct {
		Code             string `json:"code"`
		Message          string `json:"message"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Code, e.Message = b.Code, b.Message
		if e.Code == "" {
			e.Code, e.Message = b.Error, b.ErrorDescription
		}
	}
	return e
}

// ErrInvalidXML is under every InvalidXMLError.
var ErrInvalidXML = errors.New("the business XML breaks its schema")

// InvalidXMLError is the client's refusal to send a business XML that breaks its schema.
type InvalidXMLError struct {
	File       string
	Violations []schema.Violation
}

func (e *InvalidXMLError) Error() string {
	msgs := make([]string, 0, len(e.Violations))
	for _, v := range e.Violations {
		msgs = append(msgs, v.Error())
	}
	return fmt.Sprintf("%s: not sent: %v: %s", e.File, ErrInvalidXML, strings.Join(msgs, "; "))
}

func (e *InvalidXMLError) Unwrap() error { return ErrInvalidXML }
