// Package trigger is how the harness makes the system under test act: send a message as an
// initiator, or take its messages as an asynchronous receiver by pull. A system is triggered in one
// of three ways, each carrying the same small JSON contract (Request in, Result out):
//
//   - HTTP: the harness POSTs the Request as JSON to an endpoint of the system, which answers 200
//     with the Result as JSON once it has acted;
//   - Command: the harness runs a command, on the host or inside the system's container, with the
//     Request's fields as placeholders ({action}, {channel}, {serviceId}, {gateway}, {data},
//     {messageType}, {correlationId}, {follow}, {request} for the whole Request as JSON); the
//     command prints the Result as JSON on its standard output;
//   - Operator: for a system driven only by its own user interface, the harness prints what to do
//     and waits, with a visible countdown, for what arrives; the operator may type the outcome the
//     system showed.
//
// The harness never trusts a Result for a verdict on what travelled: what reached the gateway is
// judged from the gateway's own journal and store. The Result says what the system did with what
// came back (answered, refused, failed), which only the system itself can tell.
package trigger

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// Actions a system can be asked to perform.
const (
	Send    = "send"    // send one message on Channel to ServiceID (initiator, async sender)
	Receive = "receive" // take the messages waiting for it with getMessages and acknowledge them (async receiver by pull)
	// Submit is the EPGU profile's: get an access token from ESIA (Auth) with the API key, submit
	// an order of ServiceID with Data as its business XML and Files beside it, and then do Then.
	Submit = "submit"
	// Login is the EPGU profile's too: a citizen signs in to the system through ESIA's
	// authorisation-code flow (ESIA-OAUTH). The system answers at once with Outcome Redirect and,
	// as Answer, the authorisation URL it sends the user's browser to; the harness then plays the
	// browser (ESIA, then the system's redirect_uri) and judges from what ESIA received.
	Login = "login"
)

// What an EPGU client does after the push (Request.Then).
const (
	ThenNothing = ""       // report the orderId once the archive is sent
	ThenResult  = "result" // follow the order to a final status and download its result file
	ThenCancel  = "cancel" // cancel the order while its status allows it
)

// Channels, as the Rules' Appendix 1 names them.
const (
	Sync  = "sync"  // SendMessage on the synchronous channel (A1-P4)
	Async = "async" // sendMessage on the asynchronous channel (A1-P1)
	REST  = "rest"  // the REST style of A1-T22/A1-T23
	EPGU  = "epgu"  // the EPGU API (profile epgu): Gateway is the API's base URL
	// SMDO is Belarus's SMDO router (profile smdo): Gateway is the router's base URL; Send sends
	// the document SMDO describes, Receive runs the system's receiving thread for SMDO.Window.
	SMDO = "smdo"
	// Gospochta is Russia's state e-mail system (profile gospochta): Gateway is the contour's base
	// URL (the sending API under /gospochta/api/v1, the reading API under /api/gusmev/proxy/…),
	// Auth ESIA's; Send sends the legally significant message Gospochta describes, Receive reads
	// the organisation's Gospochta over Gospochta.From … Gospochta.To.
	Gospochta = "gospochta"
)

// Ways an asynchronous sender follows the delivery of what it sent (Follow).
const (
	FollowStatus       = "status"       // it asks getMessageStatus until the state is final
	FollowNotification = "notification" // it waits for the gateway's changeMassageStatusNotification
)

// Outcomes a system reports.
const (
	Answered = "answered" // sync/REST: it took the answer, checked and valid
	Accepted = "accepted" // async: the gateway accepted the message and gave its messageId
	Refused  = "refused"  // it refused what came back (bad or missing signature, invalid answer)
	Fault    = "fault"    // the gateway answered a fault (Code)
	Failed   = "failed"   // no usable answer: transport error, HTTP error, timeout
	Received = "received" // receive: it took its messages (see Taken)
	Redirect = "redirect" // login: it sends the user's browser to the URL in Answer
	Unknown  = "unknown"  // the operator did not say
)

// Request is what the harness asks the system to do.
type Request struct {
	Action  string `json:"action"`  // Send or Receive
	Channel string `json:"channel"` // Sync, Async or REST
	// Gateway is the base URL of the gateway to use for this action; the system appends the
	// channel's own path (/bip-sync-wss-gost/, /bip-async, /bip-rest/...) as it does in
	// production, where only host and port differ.
	Gateway   string `json:"gateway"`
	ServiceID string `json:"serviceId,omitempty"`
	// Data is the business data to send: an XML fragment (sync, async) or a JSON value (REST).
	Data string `json:"data,omitempty"`
	// MessageType is REQUEST (the default) or RESPONSE on the asynchronous channel; a RESPONSE
	// continues the chain CorrelationID.
	MessageType   string `json:"messageType,omitempty"`
	CorrelationID string `json:"correlationId,omitempty"`
	// Follow, for an asynchronous send, asks the system to follow the delivery (FollowStatus or
	// FollowNotification) before it reports; empty reports at once.
	Follow string `json:"follow,omitempty"`
	// Timeout is how long the harness waits for the Result (Go duration syntax, e.g. "45s").
	Timeout string `json:"timeout,omitempty"`

	// The EPGU profile's fields (Action Submit).
	Auth       string `json:"auth,omitempty"`       // ESIA's base URL, for the access token
	APIKey     string `json:"apiKey,omitempty"`     // the API key file ESIA issued to the system (CSV)
	TSA        string `json:"tsa,omitempty"`        // the time-stamp service (RFC 3161) for the files' signatures
	CA         string `json:"ca,omitempty"`         // PEM of the CA chain the contour's HTTPS servers chain to
	TargetCode string `json:"targetCode,omitempty"` // the order's targetCode
	Region     string `json:"region,omitempty"`     // the order's region (OKATO)
	// Files are further files of the archive, by name, base64-encoded (attachments).
	Files map[string]string `json:"files,omitempty"`
	// Chunked asks for /order and /push/chunked rather than a single /push.
	Chunked bool   `json:"chunked,omitempty"`
	Then    string `json:"then,omitempty"` // ThenNothing, ThenResult or ThenCancel

	// SMDO is the SMDO profile's part of a Send or Receive on channel SMDO (Files are the
	// document's files there).
	SMDO *SMDORequest `json:"smdo,omitempty"`

	// Gospochta is the Gospochta profile's part of a Send or Receive on channel Gospochta (Files
	// hold the document, Auth is ESIA's base URL, APIKey the API key file for reading, CA the
	// contour's CA chain).
	Gospochta *GospochtaRequest `json:"gospochta,omitempty"`
}

// GospochtaRequest says what an agency system is asked to do through Gospochta.
//
// A send (the walkthrough's legally significant send) answers Accepted with the messageId as
// MessageID and State "delivered" (or "read") once the system holds the signed delivery receipt
// and has verified its signature; Refused when the receipt's signature does not verify; Failed
// when Gospochta or ESIA refused (Code: the error body's code, Error: the answer). A receive
// answers Received with Gospochta.Read: every message whose card it opened; Failed when a refusal
// stopped it (Code: the error body's code). Both list, in RequestIDs, the X-Request-Id of every
// request the system made to Gospochta's APIs for the action (not to ESIA), which the harness
// finds in Gospochta's audit log (GP-W-AUDIT). The system keeps its token from one action to the
// next, as a single sign-on does, and renews it by refresh when it expires (GP-W-REFRESH).
type GospochtaRequest struct {
	// Mnemonic is the system's client_id at ESIA (its JWT assertions' iss and sub).
	Mnemonic string `json:"mnemonic"`
	// HMACKey is the system's packet key (base64, 32 bytes) for X-Packet-HMAC.
	HMACKey string `json:"hmacKey,omitempty"`

	// Send: the message's kind (court-notice, bankruptcy-notice, order), its recipient's id, its
	// subject, the personal-data fields in clear (the system encrypts them for the recipient), and
	// which of Files is the document.
	Kind         string            `json:"kind,omitempty"`
	Recipient    string            `json:"recipient,omitempty"`
	Subject      string            `json:"subject,omitempty"`
	PersonalData map[string]string `json:"personalData,omitempty"`
	Document     string            `json:"document,omitempty"`

	// Receive: the period to read (RFC 3339 with offset; it may span several days, which the
	// system splits into searches of a day at most) and the status filter (ANY, READ, UNREAD).
	From         string `json:"from,omitempty"`
	To           string `json:"to,omitempty"`
	StatusFilter string `json:"statusFilter,omitempty"`
}

// GospochtaResult is what the system reports of a Gospochta action.
type GospochtaResult struct {
	RequestIDs []string        `json:"requestIds,omitempty"`
	Read       []GospochtaRead `json:"read,omitempty"`
}

// GospochtaRead is a message the system read: its card opened, its files taken.
type GospochtaRead struct {
	ThreadUUID  string          `json:"threadUuid"`
	MessageUUID string          `json:"messageUuid"`
	Files       []GospochtaFile `json:"files,omitempty"`
}

// GospochtaFile is an attachment of a read message and what the system did with it.
type GospochtaFile struct {
	AttachmentUUID string `json:"attachmentUuid"`
	Downloaded     bool   `json:"downloaded"`
	// SignatureVerified says its .sig verified over the file against the CA; false for an
	// unsigned file or one whose signature failed.
	SignatureVerified bool `json:"signatureVerified"`
}

// SMDORequest says what a СЭД is asked to do through the SMDO router. A send answers Accepted
// with the packageId as MessageID once the router's delivery receipt came (and, with AskAck, the
// registration notice, its errorcode in Code; the first package's id for a multiple send); Refused when the recipient refused registration or
// found the document not subject to it (Code "2" or "1"); Failed when the router answered a stage
// negatively and the system stopped (Error: the router's answer). A receive answers Received.
type SMDORequest struct {
	// Credentials are the client credentials the router issued to the system, "username:password"
	// (its token endpoint takes them with HTTP Basic).
	Credentials string `json:"credentials"`
	// Subscriber is the system's own subscriber: its idAbonent and smdoCode.
	Subscriber Party `json:"subscriber"`

	// Send: the document's recipients, kind (from the router's document types), title and
	// registration number; AskAck asks them for delivery and registration notices.
	To        []Party `json:"to,omitempty"`
	Kind      string  `json:"kind,omitempty"`
	Title     string  `json:"title,omitempty"`
	RegNumber string  `json:"regNumber,omitempty"`
	AskAck    bool    `json:"askAck,omitempty"`
	// Documents above 1 asks for a multiple send, as a user who selects several documents does:
	// that many documents like this one, each its own package, the registration number suffixed
	// "-1", "-2", …, sent one after another by the sending thread.
	Documents int `json:"documents,omitempty"`
	// ReplyTo is the package id of a document the system received: the new one answers it.
	ReplyTo string `json:"replyTo,omitempty"`
	// AddType 1 (add) or 2 (replace) makes the package additional materials to the document the
	// system sent with the registration number Referred.
	AddType  int    `json:"addType,omitempty"`
	Referred string `json:"referred,omitempty"`

	// Receive: how long the receiving thread runs ("90s"), and how the system registers the
	// documents it takes: 0 registers, 1 not subject to registration, 2 refuses.
	Window       string `json:"window,omitempty"`
	Registration int    `json:"registration,omitempty"`
}

// Party is a subscriber of the SMDO router.
type Party struct {
	ID   string `json:"id"`   // idAbonent
	Code string `json:"code"` // smdoCode
	Name string `json:"name,omitempty"`
}

// Result is what the system reports having done.
type Result struct {
	Outcome string `json:"outcome"`
	// MessageID is the messageId the system sent (sync, REST) or the gateway gave it (async).
	MessageID     string  `json:"messageId,omitempty"`
	CorrelationID string  `json:"correlationId,omitempty"`
	Code          string  `json:"code,omitempty"`   // the fault's errorCode, for Fault
	Answer        string  `json:"answer,omitempty"` // the business data of the answer, for Answered
	State         string  `json:"state,omitempty"`  // async with Follow: the delivery state it learned
	Error         string  `json:"error,omitempty"`  // why, for Refused and Failed
	Taken         []Taken `json:"taken,omitempty"`  // receive: every message it was given
	// Gospochta is a Gospochta action's account (channel Gospochta).
	Gospochta *GospochtaResult `json:"gospochta,omitempty"`
}

// Taken is one message an asynchronous receiver was given and what it did with it.
type Taken struct {
	MessageID string `json:"messageId"`
	ServiceID string `json:"serviceId,omitempty"`
	Data      string `json:"data,omitempty"`
	// Accepted says it acknowledged the message as accepted (sendDeliveryNotification
	// MESSAGE_ACCEPTED); a refused message is acknowledged as not accepted, or not at all.
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"` // why it refused
}

// Trigger makes the system under test act.
type Trigger interface {
	// Fire asks the system to act and returns what it reports. The error is about reaching the
	// system (no trigger endpoint, command failed to start), not about what it did.
	Fire(ctx context.Context, r Request) (Result, error)
	// Describe names the trigger for the report ("HTTP POST http://...", "command ...", "operator").
	Describe() string
}

// DefaultTimeout is how long the harness waits for a system to act when the Request says nothing:
// more than the 30 s an owner may take (A2-T1 row 1), so a slow owner is judged by the gateway,
// not cut off by the trigger.
const DefaultTimeout = 45 * time.Second

// timeout is r.Timeout, or DefaultTimeout.
func (r Request) timeout() time.Duration {
	if d, err := time.ParseDuration(r.Timeout); err == nil && d > 0 {
		return d
	}
	return DefaultTimeout
}

// Check reports a Request the contract does not allow.
func (r Request) Check() error {
	switch {
	case r.Action != Send && r.Action != Receive && r.Action != Submit && r.Action != Login:
		return msg.Errorf("trigger request: action %q is none of %q, %q, %q, %q", r.Action, Send, Receive, Submit, Login)
	case r.Channel != Sync && r.Channel != Async && r.Channel != REST && r.Channel != EPGU && r.Channel != SMDO && r.Channel != Gospochta:
		return msg.Errorf("trigger request: channel %q is none of %s, %s, %s, %s, %s, %s", r.Channel, Sync, Async, REST, EPGU, SMDO, Gospochta)
	case (r.Action == Submit || r.Action == Login) != (r.Channel == EPGU):
		return msg.Errorf("trigger request: action %q on channel %q; submit and login go with channel %s and only there", r.Action, r.Channel, EPGU)
	case r.Action == Submit && (r.Auth == "" || r.APIKey == ""):
		return msg.Errorf("trigger request: a submit needs auth (ESIA's base URL) and apiKey (the system's API key file)")
	case r.Action == Login && r.Auth == "":
		return msg.Errorf("trigger request: a login needs auth (ESIA's base URL)")
	case (r.Channel == SMDO) != (r.SMDO != nil):
		return msg.Errorf("trigger request: channel %s goes with the smdo object, and only there", SMDO)
	case (r.Channel == Gospochta) != (r.Gospochta != nil):
		return msg.Errorf("trigger request: channel %s goes with the gospochta object, and only there", Gospochta)
	case r.Channel == SMDO && r.Gateway == "":
		return msg.Errorf("trigger request: gateway is empty; give the SMDO router's base URL")
	case r.Channel == SMDO && r.SMDO.Credentials == "":
		return msg.Errorf("trigger request: smdo.credentials is empty; give the router's client credentials as username:password")
	case r.Channel == SMDO && r.Action == Send && (len(r.SMDO.To) == 0 || (len(r.Files) == 0)):
		return msg.Errorf("trigger request: an SMDO send needs smdo.to (the recipients) and files (the document's files)")
	case r.Channel == SMDO:
		return nil // the router needs no serviceId
	case r.Channel == Gospochta:
		return r.Gospochta.check(r)
	case r.Action == Login:
		return nil // the browser, not the system, goes to ESIA first: no gateway, API key or service
	case r.Gateway == "":
		return msg.Errorf("trigger request: gateway is empty; give the gateway's base URL")
	case (r.Action == Send || r.Action == Submit) && r.ServiceID == "":
		return msg.Errorf("trigger request: serviceId is empty; a %s names the service", r.Action)
	}
	return nil
}

// decodeResult reads a Result as the system printed or answered it.
func decodeResult(raw []byte, from msg.Text) (Result, error) {
	var res Result
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&res); err != nil {
		return res, msg.Errorf("%s: the result is not the JSON of the trigger contract (%v): %.300q", from, err, msg.Head(raw, 300))
	}
	if res.Outcome == "" {
		return res, msg.Errorf("%s: the result has no outcome: %.300q", from, msg.Head(raw, 300))
	}
	return res, nil
}

// check reports a Gospochta request that cannot be acted on, naming the field.
func (g *GospochtaRequest) check(r Request) error {
	switch {
	case r.Action != Send && r.Action != Receive:
		return msg.Errorf("trigger request: channel %s takes action %q or %q, not %q", Gospochta, Send, Receive, r.Action)
	case r.Gateway == "" || r.Auth == "":
		return msg.Errorf("trigger request: a Gospochta action needs gateway (the contour's base URL) and auth (ESIA's)")
	case g.Mnemonic == "":
		return msg.Errorf("trigger request: gospochta.mnemonic is empty; give the system's client_id at ESIA")
	case r.Action == Send && (g.HMACKey == "" || g.Kind == "" || g.Recipient == "" || g.Document == "" || r.Files[g.Document] == ""):
		return msg.Errorf("trigger request: a Gospochta send needs gospochta.hmacKey, kind, recipient and document (a name in files)")
	case r.Action == Receive && (g.From == "" || g.To == "" || r.APIKey == ""):
		return msg.Errorf("trigger request: a Gospochta receive needs gospochta.from, gospochta.to and apiKey (the API key file for reading)")
	}
	return nil
}
