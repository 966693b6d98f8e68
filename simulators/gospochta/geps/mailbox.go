package geps

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// Message is a message in an organisation's Gospochta, as AddMessage takes it.
type Message struct {
	ThreadUUID   string // empty: a new random UUID
	MessageUUID  string // empty: a new random UUID (the search finds it)
	FeedTitle    string // e.g. the sending agency
	FeedSubtitle string // e.g. the subject
	Text         string
	Created      time.Time // zero: now on the service's clock
	Params       map[string]string
	Attachments  []File
}

// File is an attachment of a Message.
type File struct {
	UUID      string // empty: a new random UUID
	Name      string // required
	MimeType  string // empty: application/octet-stream
	Content   []byte
	Signature []byte // the detached CMS signature (DER) over Content; nil: unsigned
	Status    string // wire.AttachmentReady (the default), wire.AttachmentDownloading or wire.AttachmentDeleted
}

// message is a Message as the service holds it, with when it came and when it was first read.
type message struct {
	Message
	org    string
	added  time.Time // on the service's clock: a search completed before it does not list it
	readAt time.Time // the first opening of its card: the moment of legal delivery (GP-R-LEGAL)
	reads  []wire.Status
}

// readBy says the message was read at or before t (a search's snapshot reads it so).
func (m *message) readBy(t time.Time) bool { return !m.readAt.IsZero() && !m.readAt.After(t) }

// mailbox is one organisation's Gospochta.
type mailbox struct {
	messages map[string]*message // by messageUuid
	tasks    []string            // its search tasks' uuids, oldest first
	quota    quota
	failNext int // FailNextSearch: tasks still to end in ERROR
}

// box is the organisation's mailbox, made on first use. Called with s.mu held.
func (s *Service) box(org string) *mailbox {
	b := s.orgs[org]
	if b == nil {
		b = &mailbox{messages: map[string]*message{}}
		s.orgs[org] = b
	}
	return b
}

// AddMessage puts a message in the organisation's Gospochta (org: the organisation's OID, the
// token's OrgOID), as an agency sending through Gospochta would. The service keeps its own copy.
// It refuses a UUID that is not one, a message UUID the organisation already has, a file without
// a name or with an unknown status, and a box beyond MaxMessagesPerOrg.
func (s *Service) AddMessage(org string, m Message) error {
	if org == "" {
		return fmt.Errorf("geps: AddMessage: the organisation is empty")
	}
	m = copyMessage(m)
	if m.ThreadUUID == "" {
		m.ThreadUUID = uuid.NewString()
	}
	if m.MessageUUID == "" {
		m.MessageUUID = uuid.NewString()
	}
	for field, v := range map[string]string{"ThreadUUID": m.ThreadUUID, "MessageUUID": m.MessageUUID} {
		if _, err := uuid.Parse(v); err != nil {
			return fmt.Errorf("geps: AddMessage: %s %q is not a UUID: %w", field, v, err)
		}
	}
	seen := map[string]bool{}
	for i := range m.Attachments {
		f := &m.Attachments[i]
		if f.UUID == "" {
			f.UUID = uuid.NewString()
		}
		if _, err := uuid.Parse(f.UUID); err != nil {
			return fmt.Errorf("geps: AddMessage: Attachments[%d].UUID %q is not a UUID: %w", i, f.UUID, err)
		}
		if seen[f.UUID] {
			return fmt.Errorf("geps: AddMessage: Attachments[%d].UUID %s is another attachment's", i, f.UUID)
		}
		seen[f.UUID] = true
		if f.Name == "" {
			return fmt.Errorf("geps: AddMessage: Attachments[%d].Name is empty: give the file a name", i)
		}
		if f.MimeType == "" {
			f.MimeType = "application/octet-stream"
		}
		switch f.Status {
		case "":
			f.Status = wire.AttachmentReady
		case wire.AttachmentReady, wire.AttachmentDownloading, wire.AttachmentDeleted:
		default:
			return fmt.Errorf("geps: AddMessage: Attachments[%d].Status %q is not %s, %s or %s", i, f.Status,
				wire.AttachmentReady, wire.AttachmentDownloading, wire.AttachmentDeleted)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if m.Created.IsZero() {
		m.Created = now
	}
	b := s.box(org)
	if _, dup := b.messages[m.MessageUUID]; dup {
		return fmt.Errorf("geps: AddMessage: organisation %s already has message %s", org, m.MessageUUID)
	}
	if len(b.messages) >= MaxMessagesPerOrg {
		return fmt.Errorf("geps: AddMessage: organisation %s already has %d messages, the simulator's cap", org, MaxMessagesPerOrg)
	}
	b.messages[m.MessageUUID] = &message{Message: m, org: org, added: now}
	return nil
}

// copyMessage is m with its own maps and byte slices, so the caller's later changes do not reach
// the service.
func copyMessage(m Message) Message {
	m.Params = maps.Clone(m.Params)
	m.Attachments = slices.Clone(m.Attachments)
	for i := range m.Attachments {
		m.Attachments[i].Content = slices.Clone(m.Attachments[i].Content)
		m.Attachments[i].Signature = slices.Clone(m.Attachments[i].Signature)
	}
	return m
}

// FailNextSearch makes the next search task the organisation creates end in ERROR instead of
// COMPLETED: a reader must survive a failed preparation (GP-R-TASK).
func (s *Service) FailNextSearch(org string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.box(org).failNext++
}

// Delivery is a message's legal delivery: the first opening of its card (GP-R-LEGAL; under
// Decrees No. 606 and No. 947 a notice counts as delivered from then).
type Delivery struct {
	MessageUUID, ThreadUUID string
	Org                     string // the organisation whose Gospochta it is
	System                  string // the system that opened it
	Subject                 string // the employee its token was for
	At                      time.Time
}

// Deliveries returns the legal deliveries, oldest first (the newest MaxDeliveries).
func (s *Service) Deliveries() []Delivery { return s.deliveries.All(nil) }
