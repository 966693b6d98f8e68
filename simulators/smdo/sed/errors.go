package sed

import (
	"encoding/json"
	"fmt"
	"strings"
)

// APIError is an answer of the router other than success: the HTTP status and the body's
// {"status","error","message","rule","field"}, or the token endpoint's {"error","error_description"}
// in Reason and Message. errors.As(err, new(*APIError)) finds it under every error the client
// returns for a refused call.
type APIError struct {
	Method string
	Path   string
	Status int
	Reason string // the body's "error": a reason phrase, or the token endpoint's error code
	// Message is the router's explanation: the Breach text naming the field, the rule and the fix.
	Message string
	Rule    string
	Field   string
	// Body is the raw body, at most 64 KiB of it.
	Body []byte
}

func (e *APIError) Error() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Reason != "" {
		fmt.Fprintf(&s, " %s", e.Reason)
	}
	if e.Message != "" {
		fmt.Fprintf(&s, ": %s", e.Message)
	}
	return s.String()
}

// newAPIError reads the router's error body, or the token endpoint's.
func newAPIError(method, path string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, Status: status}
	if len(body) > 64<<10 {
		body = body[:64<<10]
	}
	e.Body = body
	var b struct {
		Error            string `json:"error"`
		Message          string `json:"message"`
		Rule             string `json:"rule"`
		Field            string `json:"field"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Reason, e.Message, e.Rule, e.Field = b.Error, b.Message, b.Rule, b.Field
		if e.Message == "" {
			e.Message = b.ErrorDescription
		}
	}
	return e
}

// The stages of sending a package, as a RefusedError names them.
const (
	StageToken  = "token"  // the token request
	StageCreate = "create" // POST the package
	StageAttach = "attach" // POST a file
	StageUpdate = "update" // PUT the filled package
	StageSigns  = "signs"  // PUT a file's signatures
	StageSend   = "send"   // GET send
	// StageRoute is the router's check after it accepted the package for sending: its refusal comes
	// as a ROUTER notice in the incoming list (SMDO-NOTICE).
	StageRoute = "route"
)

// RefusedError is a negative answer of the router while sending: the sending thread stopped there
// and the document stays unsent (SMDO-HALT).
type RefusedError struct {
	Stage     string // StageCreate … StageRoute
	PackageID string // empty when the package was not created
	File      string // the file concerned, for attach and signs
	Status    int    // the HTTP status; 0 for a ROUTER notice
	Message   string // the router's message (the Breach text)
	Rule      string // the rule the router named, when it did
	Err       error  // the *APIError, or nil for a ROUTER notice
}

func (e *RefusedError) Error() string {
	var s strings.Builder
	fmt.Fprintf(&s, "the router refused the package")
	if e.PackageID != "" {
		fmt.Fprintf(&s, " %s", e.PackageID)
	}
	fmt.Fprintf(&s, " at %s", e.Stage)
	if e.File != "" {
		fmt.Fprintf(&s, " of %s", e.File)
	}
	if e.Status != 0 {
		fmt.Fprintf(&s, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&s, ": %s", e.Message)
	}
	s.WriteString("; sending stopped, the document is not sent (SMDO-HALT)")
	return s.String()
}

func (e *RefusedError) Unwrap() error { return e.Err }

// RegistrationRefusedError is a receiver's registration notice other than "registered": errorcode 1
// (not subject to registration) or 2 (registration refused) (SMDO-ACK). The package was delivered.
type RegistrationRefusedError struct {
	PackageID string // the package sent
	ErrorCode int    // AckNotSubject or AckRefused, as in Notice
	Reason    string // the notice's value, as in Notice
	Notice    Notice
}

func (e *RegistrationRefusedError) Error() string {
	what := "refused to register"
	if e.ErrorCode == AckNotSubject {
		what = "found not subject to registration"
	}
	return fmt.Sprintf("subscriber %s %s the document of package %s (errorcode %d): %s",
		e.Notice.From, what, e.PackageID, e.ErrorCode, e.Reason)
}
