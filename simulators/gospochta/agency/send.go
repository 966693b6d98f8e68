package agency

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// Outgoing is a legally significant message to send: its kind (wire.Kinds), its recipient's id,
// its subject, the document, the recipient's personal data in clear (the client seals each field)
// and where the service pushes its states.
type Outgoing struct {
	Kind, RecipientID, Subject string
	FileName, MimeType         string
	Document                   []byte
	PersonalData               map[string]string
	NotifyURL                  string
}

// Sent is what became of a send.
type Sent struct {
	MessageID    string
	DocumentHash string // as Gospochta registered it
	// State is the furthest state known when the receipt was taken: delivered or read.
	State string
	// Receipt is the act of acceptance; ReceiptVerified says its signature verified against
	// Config.Roots and it names the message and the document sent (GP-W-RECEIPT).
	Receipt         wire.Receipt
	ReceiptVerified bool
	// RequestIDs are the X-Request-Id of every request made for the send (GP-W-AUDIT).
	RequestIDs []string
}

// Send sends o and follows it until the system holds the verified delivery receipt: the
// recipient's key, the signed document and sealed fields posted, the delivery learnt from a push
// or by polling the message, then the receipt fetched and its signature verified. A refusal of
// Gospochta or ESIA is an *APIError, a receipt that does not verify a *ReceiptError; Sent says as
// much as was done either way.
func (c *Client) Send(ctx context.Context, o Outgoing) (Sent, error) {
	act := &action{}
	sent, err := c.send(ctx, act, o)
	sent.RequestIDs = act.list()
	return sent, err
}

func (c *Client) send(ctx context.Context, act *action, o Outgoing) (Sent, error) {
	var sent Sent
	if len(c.cfg.HMACKey) != wire.KeySize {
		return sent, fmt.Errorf("send: Config.HMACKey has %d bytes; the packet key (GP-W-HMAC) is %d bytes", len(c.cfg.HMACKey), wire.KeySize)
	}
	rcpt, key, err := c.recipient(ctx, act, o.RecipientID)
	if err != nil {
		return sent, err
	}
	msg, err := c.outgoing(o, rcpt, key)
	if err != nil {
		return sent, err
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return sent, err
	}
	r, err := c.do(ctx, act, call{api: sendingAPI, method: http.MethodPost, pattern: wire.PathMessages,
		path: wire.PathMessages, body: body})
	if err != nil {
		return sent, fmt.Errorf("send: %w", err)
	}
	var acc wire.Accepted
	if err := json.Unmarshal(r.body, &acc); err != nil || acc.MessageID == "" {
		return sent, fmt.Errorf("send: POST %s: HTTP %d without a messageId: %.200q", wire.PathMessages, r.status, r.body)
	}
	sent.MessageID, sent.DocumentHash, sent.State = acc.MessageID, acc.DocumentHash, acc.State
	if sent.State, err = c.awaitDelivery(ctx, act, acc.MessageID); err != nil {
		return sent, err
	}
	sent.Receipt, err = c.receipt(ctx, act, acc.MessageID, o.Document)
	if err != nil {
		return sent, err
	}
	sent.ReceiptVerified = true
	if s, _ := c.notes.state(acc.MessageID); stateRank(s) > stateRank(sent.State) {
		sent.State = s
	}
	return sent, nil
}

// recipient fetches the recipient and the key its personal data is sealed with (GP-W-ENC).
func (c *Client) recipient(ctx context.Context, act *action, id string) (wire.Recipient, []byte, error) {
	var rcpt wire.Recipient
	if id == "" {
		return rcpt, nil, errors.New("send: no recipient id")
	}
	r, err := c.do(ctx, act, call{api: sendingAPI, method: http.MethodGet, pattern: wire.PathRecipient,
		path: strings.Replace(wire.PathRecipient, "{recipientId}", url.PathEscape(id), 1)})
	if err != nil {
		return rcpt, nil, fmt.Errorf("send: recipient %s: %w", id, err)
	}
	if err := json.Unmarshal(r.body, &rcpt); err != nil {
		return rcpt, nil, fmt.Errorf("send: recipient %s: the answer is not a recipient: %v", id, err)
	}
	key, err := base64.StdEncoding.DecodeString(rcpt.Key)
	if err != nil || len(key) != wire.KeySize {
		return rcpt, nil, fmt.Errorf("send: recipient %s: its key is not base64 of %d bytes", id, wire.KeySize)
	}
	if rcpt.ID == "" {
		rcpt.ID = id
	}
	return rcpt, key, nil
}

// outgoing is the message as sent: the document with its detached signature (GP-W-SIGN) and
// each personal-data field sealed for the recipient with a fresh nonce (GP-W-ENC).
func (c *Client) outgoing(o Outgoing, rcpt wire.Recipient, key []byte) (wire.OutgoingMessage, error) {
	m := wire.OutgoingMessage{Kind: o.Kind, RecipientID: o.RecipientID, Subject: o.Subject, NotifyURL: o.NotifyURL,
		Document: wire.Document{FileName: o.FileName, MimeType: o.MimeType,
			Content: base64.StdEncoding.EncodeToString(o.Document)},
		PersonalData: wire.PersonalData{KeyID: rcpt.KeyID, Fields: map[string]wire.EncryptedField{}}}
	if m.Document.MimeType == "" {
		m.Document.MimeType = "application/octet-stream"
	}
	if !c.has(DefectUnsigned) { // DefectUnsigned: no signature at all
		sig, err := cms.SignDetached(c.cfg.Identity, o.Document)
		if err != nil {
			return m, fmt.Errorf("send: sign the document: %w", err)
		}
		m.Document.Signature = base64.StdEncoding.EncodeToString(sig)
	}
	names := slices.Sorted(maps.Keys(o.PersonalData))
	tampered := "" // DefectTamperedCiphertext: the field whose ciphertext is altered
	if c.has(DefectTamperedCiphertext) && len(names) > 0 {
		tampered = names[0]
		if _, ok := o.PersonalData[wire.FieldFullName]; ok {
			tampered = wire.FieldFullName
		}
	}
	for _, name := range names {
		f, err := wire.SealField(key, o.RecipientID, name, o.PersonalData[name])
		if err != nil {
			return m, fmt.Errorf("send: seal %s: %w", name, err)
		}
		if name == tampered {
			f.Ciphertext = flipByte(f.Ciphertext)
		}
		m.PersonalData.Fields[name] = f
	}
	return m, nil
}

// flipByte flips the bits of the first byte of a base64 value.
func flipByte(b64 string) string {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) == 0 {
		return b64
	}
	b[0] ^= 0xff
	return base64.StdEncoding.EncodeToString(b)
}

// awaitDelivery waits until the message is delivered: from a push (GP-W-STATES) or, while none
// came, by asking the message's state every StatusPause. A push about another message wakes the
// wait without a poll, so that many sends waiting at once do not poll on every push. It returns
// the state reached.
func (c *Client) awaitDelivery(ctx context.Context, act *action, id string) (string, error) {
	path := strings.Replace(wire.PathMessage, "{messageId}", url.PathEscape(id), 1)
	next := c.cfg.Clock.Now().Add(c.cfg.StatusPause)
	for {
		pushed, changed := c.notes.state(id)
		if stateRank(pushed) >= stateRank(wire.StateDelivered) {
			return pushed, nil
		}
		if wait := next.Sub(c.cfg.Clock.Now()); wait > 0 {
			if err := c.waitNotified(ctx, changed, wait); err != nil {
				return wire.StateSent, fmt.Errorf("send: message %s not delivered yet: %w", id, err)
			}
			continue
		}
		next = c.cfg.Clock.Now().Add(c.cfg.StatusPause)
		r, err := c.do(ctx, act, call{api: sendingAPI, method: http.MethodGet, pattern: wire.PathMessage, path: path})
		if err != nil {
			return wire.StateSent, fmt.Errorf("send: state of message %s: %w", id, err)
		}
		var st wire.MessageState
		if err := json.Unmarshal(r.body, &st); err != nil {
			return wire.StateSent, fmt.Errorf("send: state of message %s: the answer is not a message state: %v", id, err)
		}
		if stateRank(st.State) >= stateRank(wire.StateDelivered) {
			return st.State, nil
		}
	}
}

// receipt fetches the delivery receipt and verifies it (GP-W-RECEIPT): the service's detached
// signature over the receipt's bytes against Config.Roots, the message id and the document's hash.
// A receipt not ready yet (409) is asked again after StatusPause.
func (c *Client) receipt(ctx context.Context, act *action, id string, document []byte) (wire.Receipt, error) {
	var rc wire.Receipt
	path := strings.Replace(wire.PathReceipt, "{messageId}", url.PathEscape(id), 1)
	var r *reply
	for {
		var err error
		r, err = c.do(ctx, act, call{api: sendingAPI, method: http.MethodGet, pattern: wire.PathReceipt, path: path})
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			if err := c.sleep(ctx, c.cfg.StatusPause); err != nil {
				return rc, fmt.Errorf("send: receipt of message %s not ready: %w", id, err)
			}
			continue
		}
		if err != nil {
			return rc, fmt.Errorf("send: receipt of message %s: %w", id, err)
		}
		break
	}
	var signed wire.SignedReceipt
	if err := json.Unmarshal(r.body, &signed); err != nil {
		return rc, &ReceiptError{MessageID: id, Err: fmt.Errorf("the answer is not a signed receipt: %v", err)}
	}
	raw, err := base64.StdEncoding.DecodeString(signed.Receipt)
	if err != nil {
		return rc, &ReceiptError{MessageID: id, Err: fmt.Errorf("receipt is not base64: %v", err)}
	}
	sig, err := base64.StdEncoding.DecodeString(signed.Signature)
	if err != nil || len(sig) == 0 {
		return rc, &ReceiptError{MessageID: id, Err: errors.New("signature is missing or not base64")}
	}
	if err := json.Unmarshal(raw, &rc); err != nil {
		return rc, &ReceiptError{MessageID: id, Err: fmt.Errorf("the receipt is not JSON: %v", err)}
	}
	if _, err := c.verifier.VerifyDetached(sig, raw); err != nil {
		return rc, &ReceiptError{MessageID: id, Err: fmt.Errorf("its signature does not verify: %w", err)}
	}
	if rc.MessageID != id {
		return rc, &ReceiptError{MessageID: id, Err: fmt.Errorf("it is the receipt of message %q", rc.MessageID)}
	}
	if want := wire.DocumentHash(document); rc.DocumentHash != want {
		return rc, &ReceiptError{MessageID: id, Err: fmt.Errorf("its documentHash %q is not the SHA-256 %s of the document sent", rc.DocumentHash, want)}
	}
	return rc, nil
}
