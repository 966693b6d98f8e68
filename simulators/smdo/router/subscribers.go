package router

import (
	"crypto/x509"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// Subscriber is an SMDO subscriber (абонент) known to the router: an organisation with its СЭД.
type Subscriber struct {
	ID     string // idAbonent: the directory's organization.id, used in to[].idAbonent, e.g. "1001"
	Code   string // smdoCode, used in header.sender.id and header.receiver[].id, e.g. "SMDO-AGENCY"
	Name   string // the organisation's full name (ru)
	Status string // subscriberStatus: "ACTIVE" (when empty) or "BLOCKED"
	// Username and Password are the client credentials of the token endpoint (SMDO-TOKEN). A
	// scripted subscriber without them never calls the API itself.
	Username, Password string
	// Certificates are the certificates its files' signatures must be made with (SMDO-SIGN).
	Certificates []*x509.Certificate
	// Script non-nil: the router plays this subscriber's СЭД (a counterpart of the harness).
	Script *Script
}

// The subscriber statuses of the directory (SMDO-DIR).
const (
	StatusActive  = "ACTIVE"
	StatusBlocked = "BLOCKED"
)

// RouterID is the idAbonent (and smdoCode) of the router's own packets (SMDO-NOTICE).
const RouterID = "ROUTER"

// Script is how a simulated subscriber's СЭД answers what it receives. Reconstructed: the
// walkthrough names the notices (delivery, registration or its refusal) but not their timing, so
// the harness sets it.
type Script struct {
	ConfirmAfter  time.Duration // it confirms receipt this long after the package is routed to it
	RegisterAfter time.Duration // then, when msg_acknow is 2, sends a registration notice (ack_type 2) after this
	ErrorCode     int           // of that notice: 0 registered, 1 not subject to registration, 2 refused
	Reason        string        // the notice's ackResult value for 1 and 2
	RegNumber     string        // the incoming registration number it gives (incNumber)
}

// The errorcodes of a registration notice (SMDO-ACK).
const (
	Registered          = 0
	NotForRegistration  = 1
	RegistrationRefused = 2
)

func (s Script) check() error {
	if s.ConfirmAfter < 0 || s.RegisterAfter < 0 {
		return msg.Errorf("router: a script's delays must not be negative")
	}
	if s.ErrorCode < Registered || s.ErrorCode > RegistrationRefused {
		return msg.Errorf("router: a registration notice's errorcode is 0, 1 or 2, not %d", s.ErrorCode)
	}
	return nil
}

// AddSubscriber registers a subscriber. Its ID, Code and Username must be new; "ROUTER" is the
// router's own.
func (r *Router) AddSubscriber(s Subscriber) error {
	switch {
	case s.ID == "" || s.Code == "":
		return msg.Errorf("router: a subscriber needs an ID (idAbonent) and a Code (smdoCode)")
	case s.ID == RouterID || s.Code == RouterID:
		return msg.Errorf("router: %s is the router's own id", RouterID)
	case s.Status == "":
		s.Status = StatusActive
	case s.Status != StatusActive && s.Status != StatusBlocked:
		return msg.Errorf("router: subscriber %s: status %q is neither %s nor %s", s.ID, s.Status, StatusActive, StatusBlocked)
	}
	if (s.Username == "") != (s.Password == "") {
		return msg.Errorf("router: subscriber %s: give both a username and a password, or neither", s.ID)
	}
	if s.Script != nil {
		if err := s.Script.check(); err != nil {
			return err
		}
		sc := *s.Script
		s.Script = &sc
	}
	s.Certificates = append([]*x509.Certificate(nil), s.Certificates...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.subscribers[s.ID]; dup {
		return msg.Errorf("router: subscriber ID %s is taken", s.ID)
	}
	if _, dup := r.byCode[s.Code]; dup {
		return msg.Errorf("router: smdoCode %s is taken", s.Code)
	}
	if _, dup := r.byUser[s.Username]; dup && s.Username != "" {
		return msg.Errorf("router: username %s is taken", s.Username)
	}
	r.subscribers[s.ID] = &s
	r.byCode[s.Code] = s.ID
	if s.Username != "" {
		r.byUser[s.Username] = s.ID
	}
	return nil
}

// SetScript makes the router play subscriber id's СЭД with s for the packages routed to it from
// now on.
func (r *Router) SetScript(id string, s Script) error {
	if err := s.check(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	sub := r.subscribers[id]
	if sub == nil {
		return msg.Errorf("router: no subscriber %s", id)
	}
	sub.Script = &s
	return nil
}

// SetStatus blocks (StatusBlocked) or activates a subscriber: a blocked one sends and receives
// nothing (SMDO-FORMAT).
func (r *Router) SetStatus(id, status string) error {
	if status != StatusActive && status != StatusBlocked {
		return msg.Errorf("router: status %q is neither %s nor %s", status, StatusActive, StatusBlocked)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	sub := r.subscribers[id]
	if sub == nil {
		return msg.Errorf("router: no subscriber %s", id)
	}
	sub.Status = status
	return nil
}

// Subscribers returns the subscribers, by ID (copies).
func (r *Router) Subscribers() []Subscriber {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Subscriber, 0, len(r.subscribers))
	for _, id := range r.subscriberIDs() {
		s := *r.subscribers[id]
		s.Certificates = append([]*x509.Certificate(nil), s.Certificates...)
		if s.Script != nil {
			sc := *s.Script
			s.Script = &sc
		}
		out = append(out, s)
	}
	return out
}

// active reports whether a subscriber can send and receive.
func (s *Subscriber) active() bool { return s.Status == "" || s.Status == StatusActive }
