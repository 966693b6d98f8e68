// Package wire is the Gospochta profile's contract, shared by the simulated services
// (simulators/gospochta/geps, simulators/gospochta/post), the reference agency system
// (simulators/gospochta/agency) and the harness: paths, headers, the JSON bodies, the error body,
// and the two protections of the walkthrough (../shared/spec/seeds/003) that both sides compute the
// same way: AES-256-GCM over each personal-data field (GP-W-ENC) and HMAC-SHA-256 over each packet
// (GP-W-HMAC).
//
// The reading API (GEPS API v1.0 through the EPGU proxy, ../shared/spec/other-buses.md (c)) is as
// published. The sending API is the walkthrough's four-stage legally significant send; no official
// source describes it, so its paths and fields are this profile's own, documented here and in the
// README.
package wire

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// The reading API (published): base path and the four endpoints below it.
const (
	ReadBase       = "/api/gusmev/proxy/geps-api-ext/api/messages/v1"
	PathSearch     = ReadBase + "/search"                                           // POST {SearchRequest} → {searchTaskUuid}
	PathSearchTask = ReadBase + "/search/{searchTaskUuid}"                          // GET ?offset&limit → SearchResult
	PathCard       = ReadBase + "/message/{threadUuid}/{messageUuid}"               // GET → Card
	PathAttachment = ReadBase + "/attachment/{messageUuid}/{attachmentUuid}/{part}" // part: file | sig
)

// The sending API (the walkthrough's; this profile's own paths).
const (
	SendBase      = "/gospochta/api/v1"
	PathRecipient = SendBase + "/recipients/{recipientId}"     // GET → Recipient (with its key)
	PathMessages  = SendBase + "/messages"                     // POST OutgoingMessage → 201 Accepted
	PathMessage   = SendBase + "/messages/{messageId}"         // GET → MessageState
	PathReceipt   = SendBase + "/messages/{messageId}/receipt" // GET → SignedReceipt (409 before delivery)
	PathRegistry  = SendBase + "/registry/{documentHash}"      // GET → RegistryEntry
)

// Headers of the sending API: every request carries a unique request id (GP-W-AUDIT) and the
// packet's HMAC (GP-W-HMAC); notifications pushed to the sender carry both too.
const (
	HeaderRequestID = "X-Request-Id"
	HeaderHMAC      = "X-Packet-HMAC"
)

// Roles a token carries (claim "roles"). Sending needs RoleOperator or RoleAdministrator
// (GP-W-ROLE); reading an organisation's Gospochta needs RoleHead or RoleAdministrator (GP-R-ROLE,
// «Руководитель организации» or «Администратор»).
const (
	RoleOperator      = "operator"
	RoleClient        = "client"
	RoleAdministrator = "administrator"
	RoleHead          = "head"
)

// Message kinds of a legally significant send (GP-W-KIND).
const (
	KindCourtNotice      = "court-notice"      // судебное извещение
	KindBankruptcyNotice = "bankruptcy-notice" // уведомление о банкротстве
	KindOrder            = "order"             // приказ
)

// Kinds are the kinds a message may have.
var Kinds = []string{KindCourtNotice, KindBankruptcyNotice, KindOrder}

// States of a sent message, in order (GP-W-STATES).
const (
	StateSent      = "sent"
	StateDelivered = "delivered"
	StateRead      = "read"
)

// Search task states of the reading API.
const (
	TaskSearch     = "SEARCH"
	TaskProcessing = "PROCESSING"
	TaskCompleted  = "COMPLETED"
	TaskError      = "ERROR"
)

// Attachment states of the reading API.
const (
	AttachmentReady       = "READY"
	AttachmentDownloading = "DOWNLOADING"
	AttachmentDeleted     = "DELETED"
)

// Status filters of a search.
const (
	FilterAny    = "ANY"
	FilterRead   = "READ"
	FilterUnread = "UNREAD"
)

// The reading API's limits (published): a search covers at most a day, reaches back at most 30
// days, never into the future; 5 searches and 15 result fetches a day; pages of 1 to 1000; a
// search's result is kept 7 days.
const (
	MaxRange          = 24 * time.Hour
	MaxDepth          = 30 * 24 * time.Hour
	SearchesPerDay    = 5
	FetchesPerDay     = 15
	MaxPage           = 1000
	SearchKept        = 7 * 24 * time.Hour
	DefaultSearchWait = time.Hour // the list is prepared asynchronously: fetch after about an hour
)

// Moscow is the offset the reading API's times carry (+03:00).
var Moscow = time.FixedZone("MSK", 3*60*60)

// TimeLayout is how the reading API writes times: RFC 3339 with the offset, e.g.
// 2026-12-01T00:00:00+03:00.
const TimeLayout = time.RFC3339

// Error is every error body of both APIs: {"code": "search-messages.range.exceeded", "message": …}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Error codes. The reading API's range code is the one its clients know; the others follow its
// pattern (the specification's full list was not available).
const (
	CodeUnauthorized     = "unauthorized"                   // 401: no token, or not one ESIA issued
	CodeTokenExpired     = "token.expired"                  // 401: get a new token (refresh it)
	CodeAccessDenied     = "access.denied"                  // 403: the token's roles do not allow this
	CodeInvalid          = "request.invalid"                // 400: a field is missing or malformed
	CodeRangeExceeded    = "search-messages.range.exceeded" // 422: more than a day
	CodeDepthExceeded    = "search-messages.depth.exceeded" // 422: older than 30 days
	CodeFuture           = "search-messages.future"         // 422: ends after now
	CodeQuotaExceeded    = "search-messages.quota.exceeded" // 429: 5 searches or 15 fetches today
	CodeTaskNotFound     = "search-task.not-found"          // 404
	CodeMessageNotFound  = "message.not-found"              // 404
	CodeAttachmentGone   = "attachment.deleted"             // 410
	CodeAttachmentNone   = "attachment.not-found"           // 404: no such attachment of the message
	CodeAttachmentBusy   = "attachment.not-ready"           // 409: DOWNLOADING
	CodeNoSignature      = "attachment.signature.not-found" // 404: the attachment is not signed
	CodeClientCert       = "tls.client-certificate"         // 401: no registered client certificate (GP-W-MTLS)
	CodeRequestID        = "request.id"                     // 400: X-Request-Id missing, not a UUID or repeated (GP-W-AUDIT)
	CodeHMAC             = "packet.hmac"                    // 401: X-Packet-HMAC missing or wrong (GP-W-HMAC)
	CodeRecipientUnknown = "recipient.unknown"              // 404
	CodeKind             = "message.kind"                   // 422 (GP-W-KIND)
	CodeUnsigned         = "document.unsigned"              // 422 (GP-W-SIGN)
	CodeSignature        = "document.signature"             // 422: the signature does not verify (GP-W-SIGN)
	CodeKey              = "personal-data.key"              // 422: keyId is not the recipient's (GP-W-ENC)
	CodeCiphertext       = "personal-data.ciphertext"       // 422: a field does not decrypt (GP-W-ENC)
	CodeNonce            = "personal-data.nonce"            // 422: nonce not 12 bytes, or reused (GP-W-ENC)
	CodeReceiptNotReady  = "receipt.not-ready"              // 409: not delivered yet
	CodeTooLarge         = "request.too-large"              // 413
	CodeBusy             = "service.busy"                   // 503: a limit of the simulator is reached
	CodeInternal         = "internal"                       // 500: the simulator failed (a bug, logged)
)

// SearchRequest is POST /search's body.
type SearchRequest struct {
	StartDateTime string `json:"startDateTime"` // TimeLayout, with the offset
	EndDateTime   string `json:"endDateTime"`
	StatusFilter  string `json:"statusFilter"` // FilterAny (default), FilterRead, FilterUnread
}

// SearchCreated is POST /search's answer.
type SearchCreated struct {
	SearchTaskUUID string `json:"searchTaskUuid"`
}

// SearchResult is GET /search/{uuid}'s answer; MessageList is empty until COMPLETED.
type SearchResult struct {
	SearchTaskStatus string        `json:"searchTaskStatus"`
	Offset           int           `json:"offset"`
	Limit            int           `json:"limit"`
	Total            int           `json:"total"`
	MessageList      []ListMessage `json:"messageList"`
}

// ListMessage is one message of a search result.
type ListMessage struct {
	ThreadUUID   string `json:"threadUuid"`
	MessageUUID  string `json:"messageUuid"`
	FeedTitle    string `json:"feedTitle"`
	FeedSubtitle string `json:"feedSubtitle"`
	IsRead       bool   `json:"isRead"`
	CreateDate   string `json:"createDate"`
}

// Card is GET /message/{thread}/{message}'s answer. Reading it marks the message read: the moment
// of legal delivery (GP-R-LEGAL).
type Card struct {
	Text           string            `json:"text"`
	IsRead         bool              `json:"isRead"`
	CreateDate     string            `json:"createDate"`
	Params         map[string]string `json:"params"`
	AttachmentList []Attachment      `json:"attachmentList"`
	StatusList     []Status          `json:"statusList"`
}

// Attachment is a file of a card.
type Attachment struct {
	AttachmentUUID    string `json:"attachmentUuid"`
	FileName          string `json:"fileName"`
	FileSize          int64  `json:"fileSize"`
	MimeType          string `json:"mimeType"`
	Signed            bool   `json:"signed"`
	StatusMnemonic    string `json:"statusMnemonic"` // AttachmentReady, AttachmentDownloading, AttachmentDeleted
	StatusDescription string `json:"statusDescription"`
}

// Status is an entry of a card's history (mnemonic READ when read).
type Status struct {
	Mnemonic           string `json:"mnemonic"`
	Description        string `json:"description"`
	OriginatorUserName string `json:"originatorUserName"`
	CreateDate         string `json:"createDate"`
}

// SignatureType is the content type of an attachment's signature (…/sig).
const SignatureType = "application/pkcs7-signature"

// Recipient is GET /recipients/{id}'s answer: who the recipient is and the key its personal-data
// fields are encrypted with (AES-256, base64), with the key's id to name in the message.
type Recipient struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Kind  string `json:"kind"` // person | organisation
	KeyID string `json:"keyId"`
	Key   string `json:"key"`
}

// OutgoingMessage is POST /messages's body: a legally significant message of a kind to a
// recipient, its document signed (detached CMS, GP-W-SIGN), its personal data encrypted for the
// recipient (GP-W-ENC), and where the sender takes notifications of its states (GP-W-STATES).
type OutgoingMessage struct {
	Kind         string       `json:"kind"`
	RecipientID  string       `json:"recipientId"`
	Subject      string       `json:"subject"`
	Document     Document     `json:"document"`
	PersonalData PersonalData `json:"personalData"`
	NotifyURL    string       `json:"notifyUrl"`
}

// Document is the message's document and its detached CMS signature (DER), both base64.
type Document struct {
	FileName  string `json:"fileName"`
	MimeType  string `json:"mimeType"`
	Content   string `json:"content"`
	Signature string `json:"signature"`
}

// PersonalData are the personal-data fields (PersonalFields) encrypted with the recipient's key.
type PersonalData struct {
	KeyID  string                    `json:"keyId"`
	Fields map[string]EncryptedField `json:"fields"`
}

// PersonalFields are the fields a message may carry; FieldFullName is required.
var PersonalFields = []string{FieldFullName, "snils", "inn", "birthDate", "address", "passport"}

// FieldFullName is the recipient's full name, the one personal-data field every message carries.
const FieldFullName = "fullName"

// EncryptedField is one field sealed with AES-256-GCM: a 12-byte nonce and the ciphertext with
// its tag, base64.
type EncryptedField struct {
	Nonce      string `json:"nonce"`
	Ciphertext string `json:"ciphertext"`
}

// Accepted is POST /messages's answer (201).
type Accepted struct {
	MessageID    string `json:"messageId"`
	State        string `json:"state"`        // StateSent
	DocumentHash string `json:"documentHash"` // SHA-256 of the document, hex, as kept in the registry
	AcceptedAt   string `json:"acceptedAt"`
}

// MessageState is GET /messages/{id}'s answer.
type MessageState struct {
	MessageID   string       `json:"messageId"`
	Kind        string       `json:"kind"`
	RecipientID string       `json:"recipientId"`
	State       string       `json:"state"`
	States      []StateEntry `json:"states"`
}

// StateEntry is a state and when it was reached.
type StateEntry struct {
	State string `json:"state"`
	At    string `json:"at"`
}

// Notification is what the service POSTs to the sender's notifyUrl on every state after sent;
// the sender answers 2xx.
type Notification struct {
	MessageID string `json:"messageId"`
	State     string `json:"state"`
	At        string `json:"at"`
}

// SignedReceipt is GET /messages/{id}/receipt's answer: the act of acceptance (a JSON Receipt,
// base64) and the service's detached CMS signature over those bytes (base64 DER).
type SignedReceipt struct {
	Receipt   string `json:"receipt"`
	Signature string `json:"signature"`
}

// Receipt is the act of acceptance: which document reached whom, when.
type Receipt struct {
	MessageID    string `json:"messageId"`
	DocumentHash string `json:"documentHash"`
	Sender       string `json:"sender"` // the sending system's mnemonic
	RecipientID  string `json:"recipientId"`
	Kind         string `json:"kind"`
	SentAt       string `json:"sentAt"`
	DeliveredAt  string `json:"deliveredAt"`
}

// RegistryEntry is GET /registry/{hash}'s answer: the hash of a signed document as registered.
type RegistryEntry struct {
	DocumentHash string `json:"documentHash"`
	MessageID    string `json:"messageId"`
	Sender       string `json:"sender"`
	Signer       string `json:"signer"` // the signing certificate's subject
	RegisteredAt string `json:"registeredAt"`
}

// DocumentHash is the registry's key for a document: SHA-256, lower-case hex.
func DocumentHash(content []byte) string {
	return fmt.Sprintf("%x", sha256.Sum256(content))
}

// KeySize is the length of a recipient's AES-256 key and of a system's HMAC key.
const KeySize = 32

// NonceSize is AES-GCM's standard nonce length; every field has a fresh one.
const NonceSize = 12

// fieldAAD binds a sealed field to its recipient and its name, so a ciphertext cannot be moved
// to another field or another recipient's message.
func fieldAAD(recipientID, field string) []byte { return []byte(recipientID + "/" + field) }

// SealField encrypts one personal-data field for a recipient with AES-256-GCM and a fresh random
// nonce (GP-W-ENC).
func SealField(key []byte, recipientID, field, plaintext string) (EncryptedField, error) {
	aead, err := gcm(key)
	if err != nil {
		return EncryptedField{}, err
	}
	nonce := make([]byte, NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return EncryptedField{}, err
	}
	ct := aead.Seal(nil, nonce, []byte(plaintext), fieldAAD(recipientID, field))
	return EncryptedField{Nonce: base64.StdEncoding.EncodeToString(nonce), Ciphertext: base64.StdEncoding.EncodeToString(ct)}, nil
}

// ErrNonce is a nonce that is not base64 of 12 bytes.
var ErrNonce = msg.Errorf("the nonce is not base64 of 12 bytes")

// OpenField decrypts a field sealed by SealField; an altered ciphertext, nonce, field name or
// recipient fails GCM's authentication.
func OpenField(key []byte, recipientID, field string, f EncryptedField) (string, error) {
	aead, err := gcm(key)
	if err != nil {
		return "", err
	}
	nonce, err := base64.StdEncoding.DecodeString(f.Nonce)
	if err != nil || len(nonce) != NonceSize {
		return "", ErrNonce
	}
	ct, err := base64.StdEncoding.DecodeString(f.Ciphertext)
	if err != nil {
		return "", msg.Errorf("the ciphertext is not base64: %w", err)
	}
	pt, err := aead.Open(nil, nonce, ct, fieldAAD(recipientID, field))
	if err != nil {
		return "", msg.Errorf("AES-256-GCM authentication failed: the ciphertext, its nonce, its field name or the key is not the one sealed")
	}
	return string(pt), nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, msg.Errorf("AES-256 needs a %d-byte key, not %d bytes", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// PacketMAC is the HMAC-SHA-256 of a packet (GP-W-HMAC), base64: over the method, the path with
// its query as sent, the request id and the body, each followed by a newline, so that no part can
// be changed or moved to another request:
//
//	METHOD "\n" PATH[?QUERY] "\n" X-Request-Id "\n" BODY
func PacketMAC(key []byte, method, pathQuery, requestID string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToUpper(method) + "\n" + pathQuery + "\n" + requestID + "\n"))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyPacket checks a request's X-Packet-HMAC over its body (already read), in constant time.
// A server takes the path and query exactly as the request line sent them (RequestURI), not as Go
// re-encodes them.
func VerifyPacket(key []byte, r *http.Request, body []byte) bool {
	got, err := base64.StdEncoding.DecodeString(r.Header.Get(HeaderHMAC))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	want, _ := base64.StdEncoding.DecodeString(PacketMAC(key, r.Method, uri, r.Header.Get(HeaderRequestID), body))
	return hmac.Equal(got, want)
}

// SignPacket sets a request's X-Packet-HMAC for its body (the same bytes it will send).
func SignPacket(key []byte, r *http.Request, body []byte) {
	r.Header.Set(HeaderHMAC, PacketMAC(key, r.Method, r.URL.RequestURI(), r.Header.Get(HeaderRequestID), body))
}

// Caller is who a valid access token speaks for, as both services need it.
type Caller struct {
	System  string   // the system's mnemonic (the token's client_id)
	OrgOID  string   // its organisation: a mailbox is the organisation's
	Subject string   // the employee the token is for
	Roles   []string // RoleOperator, RoleHead, …
}

// HasRole says the caller holds one of roles.
func (c Caller) HasRole(roles ...string) bool {
	for _, r := range roles {
		for _, h := range c.Roles {
			if h == r {
				return true
			}
		}
	}
	return false
}

// Authenticate checks a Bearer token (without "Bearer ") and says whom it speaks for. An error
// wrapping ErrTokenExpired is answered 401 token.expired (get a new one, by refresh where the
// client has a refresh token); any other error 401 unauthorized. The contour backs it with the
// simulated ESIA (simulators/epgu/esia).
type Authenticate func(token string) (Caller, error)

// ErrTokenExpired is the error an Authenticate wraps for a token that was valid and has expired.
var ErrTokenExpired = msg.Errorf("the access token has expired")
