package router

import (
	"crypto/x509"
	"encoding/json"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
)

// The states of a package (reconstructed from the walkthrough's sequence: request, files,
// signatures, whole package, delivery receipt).
const (
	StateDraft     = "draft"     // created, no file yet
	StateAttached  = "attached"  // at least one file, not every file signed
	StateSigned    = "signed"    // every file carries a signature that verified (SMDO-SIGN)
	StateSent      = "sent"      // send answered 204: taken for processing
	StateRefused   = "refused"   // the router's checks after sending failed (SMDO-FORMAT): a notice went back
	StateRouted    = "routed"    // in every receiver's incoming list
	StateDelivered = "delivered" // every receiver confirmed it (SMDO-CONFIRM)
)

// Package is a package as the harness judges it.
type Package struct {
	ID, ConfirmID, HeaderID, ParentID string
	From                              string   // the sender's ID ("ROUTER" for the router's own)
	To                                []string // the receivers' IDs (to[].idAbonent)
	State                             string
	Body                              json.RawMessage // the package JSON's "body" as last POSTed or PUT
	MsgID                             string          // body.envelop.msg_id
	MsgType, MsgAcknow                int             // header.msg_type, header.msg_acknow (-1 when not a number)
	IDNumber                          string          // body.envelop.body.document.idnumber
	Attachments                       []Attachment
	History                           []Transition // every state, oldest first
	Refusal                           *rule.Breach // why the router refused it (state "refused" or a 400 at send)
	Router                            bool         // a ROUTER notice or receipt
	// Deliveries are per receiver: when offered (each list that returned it), when its files were
	// downloaded, when it was confirmed.
	Deliveries []Delivery
}

// Attachment is a file of a package. Data is the router's own copy: read it, do not change it.
// Data is left out of the JSON the harness keeps as evidence: the evidence names the file (ID,
// Name, Size, its signs), it does not carry it.
type Attachment struct {
	ID, Name string
	Size     int
	Data     []byte `json:"-"`
	Signs    []Sign
	Verified []Verification // one per sign, as verified when it was put (SMDO-SIGN)
}

// Sign is one signature of a file as the signs call takes it (the router's spelling
// "origSignatire" kept). Data is the base64 of a detached CMS SignedData over the file's bytes.
// Clients send null or text in the other fields; the router keeps them as text.
type Sign struct {
	KeyID         string `json:"keyId"`
	Signer        string `json:"signer"`
	OperationType string `json:"operationType"`
	OrigSignatire string `json:"origSignatire"`
	Data          string `json:"data"`
}

// Verification is what the router found when it verified a sign (SMDO-SIGN). The certificate
// itself is left out of the JSON evidence; its common name and serial number identify it there.
type Verification struct {
	Sign        int               // index in the attachment's Signs
	Certificate *x509.Certificate `json:"-"` // the signer's certificate (one of the sender's)
	Subject     string            // its common name
	Serial      string            // its serial number in hexadecimal
	At          time.Time         // the router's clock
}

// Transition is a state the package entered, and when (the router's clock).
type Transition struct {
	State string
	At    time.Time
}

// Delivery is a package's way to one receiver.
type Delivery struct {
	To         string
	ConfirmID  string               // what the receiver confirms with (its incoming list's confirmId)
	Offered    []time.Time          // each list that returned it (the newest Limits.MaxOffers)
	Offers     int                  // how many lists returned it in all
	Downloaded map[string]time.Time // attachment id → first download
	Confirmed  time.Time            // zero while unconfirmed
}

// pkg is a package as the router holds it.
type pkg struct {
	id, confirmID, headerID string
	parentID                string
	from                    string
	to                      []string
	toRaw                   json.RawMessage // "to" as sent, kept for the answers
	dateSent                json.RawMessage
	body                    json.RawMessage
	facts                   facts
	state                   string
	attachments             []*attachment
	history                 []Transition
	refusal                 *rule.Breach
	router                  bool
	deliveries              []*delivery
	routedAt                time.Time
	routedSeq               int64 // the order of routing: the incoming list's order
	notice                  *pkg  // a refused package's notice to its sender (SMDO-NOTICE)
}

type attachment struct {
	id, name string
	data     []byte
	signs    []Sign
	verified []Verification
}

type delivery struct {
	pkg        *pkg
	to         string
	confirmID  string
	offered    []time.Time
	offers     int
	downloaded map[string]time.Time
	confirmed  time.Time
}

// enter moves the package to a state, recording when.
func (p *pkg) enter(state string, at time.Time) {
	if p.state == state {
		return
	}
	p.state = state
	p.history = append(p.history, Transition{State: state, At: at})
}

// sent reports whether the package left the sender's hands (no more changes).
func (p *pkg) sent() bool {
	switch p.state {
	case StateDraft, StateAttached, StateSigned:
		return false
	}
	return true
}

// settled reports whether the package needs nothing more from anyone, so that the caps may drop
// it: delivered (every receiver confirmed it, SMDO-CONFIRM; for the router's own packets, the
// sender confirmed the notice or receipt), or refused with its notice confirmed (SMDO-NOTICE).
// An unsent package, a routed one not confirmed by every receiver and a refused one whose notice
// was not confirmed are the subscribers' business still: nothing accepted may be lost.
func (p *pkg) settled() bool {
	switch p.state {
	case StateDelivered:
		return true
	case StateRefused:
		// Not before its notice exists: the notice is kept after the package is refused.
		return p.notice != nil && p.notice.state == StateDelivered
	}
	return false
}

// restate is the state the files give an unsent package: draft without files, signed when every
// file carries a verified signature, attached otherwise.
func (p *pkg) restate(at time.Time) {
	if p.sent() {
		return
	}
	state := StateSigned
	if len(p.attachments) == 0 {
		state = StateDraft
	}
	for _, a := range p.attachments {
		if len(a.signs) == 0 {
			state = StateAttached
		}
	}
	p.enter(state, at)
}

func (p *pkg) attachment(id string) *attachment {
	for _, a := range p.attachments {
		if a.id == id {
			return a
		}
	}
	return nil
}

func (p *pkg) deliveryTo(id string) *delivery {
	for _, d := range p.deliveries {
		if d.to == id {
			return d
		}
	}
	return nil
}

func (p *pkg) fileBytes() int64 {
	var n int64
	for _, a := range p.attachments {
		n += int64(len(a.data))
	}
	return n
}

// jsonBytes is the package JSON the router holds: its body, to and dateSent.
func (p *pkg) jsonBytes() int64 {
	return int64(len(p.body) + len(p.toRaw) + len(p.dateSent))
}

// heldBytes is what the package counts against Limits.MaxStoredBytes.
func (p *pkg) heldBytes() int64 { return p.fileBytes() + p.jsonBytes() }

// snapshot is the harness's copy of a package.
func (p *pkg) snapshot() Package {
	s := Package{ID: p.id, ConfirmID: p.confirmID, HeaderID: p.headerID, ParentID: p.parentID, From: p.from,
		To: append([]string(nil), p.to...), State: p.state, Body: append(json.RawMessage(nil), p.body...),
		MsgID: p.facts.msgID, MsgType: p.facts.msgType, MsgAcknow: p.facts.msgAcknow, IDNumber: p.facts.idNumber,
		History: append([]Transition(nil), p.history...), Refusal: p.refusal.Clone(), Router: p.router}
	for _, a := range p.attachments {
		s.Attachments = append(s.Attachments, Attachment{ID: a.id, Name: a.name, Size: len(a.data), Data: a.data,
			Signs: append([]Sign(nil), a.signs...), Verified: append([]Verification(nil), a.verified...)})
	}
	for _, d := range p.deliveries {
		c := Delivery{To: d.to, ConfirmID: d.confirmID, Offered: append([]time.Time(nil), d.offered...), Offers: d.offers,
			Confirmed: d.confirmed, Downloaded: map[string]time.Time{}}
		for k, v := range d.downloaded {
			c.Downloaded[k] = v
		}
		s.Deliveries = append(s.Deliveries, c)
	}
	return s
}

// Packages returns every package the router keeps, sent or not, the router's own included,
// oldest first (copies).
func (r *Router) Packages() []Package {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Package, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.packages[id].snapshot())
	}
	return out
}

// Package returns one package (a copy).
func (r *Router) Package(id string) (Package, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.packages[id]
	if p == nil {
		return Package{}, false
	}
	return p.snapshot(), true
}
