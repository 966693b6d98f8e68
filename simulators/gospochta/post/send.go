package post

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// Sizes of a message's texts: the simulator's own bounds, so that one message cannot fill the log
// or the memory with its subject.
const (
	maxSubject   = 1000 // characters
	maxFileName  = 255  // bytes
	maxMimeType  = 255
	maxNotifyURL = 2048
	maxField     = 4096 // bytes of one decrypted personal-data field
)

// recipient answers GET recipients/{recipientId}: who the recipient is and its key (GP-W-ENC).
func (s *Service) recipient(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("recipientId")
	s.mu.Lock()
	r := s.recipients[id]
	s.mu.Unlock()
	if r == nil {
		refuse(w, req, http.StatusNotFound, wire.CodeRecipientUnknown, breach("GP-W-KIND", "recipientId",
			msg.F("a recipient of Gospochta"), msg.F("%s, unknown", quoteOrNone(id)), msg.F("check the recipient's id")))
		return
	}
	server.WriteJSON(w, http.StatusOK, wire.Recipient{ID: r.ID, Name: r.Name, Kind: r.Kind, KeyID: r.KeyID,
		Key: base64.StdEncoding.EncodeToString(r.Key)})
}

// send answers POST messages: the stages of a legally significant send the service checks, in the
// walkthrough's order: the message formed (GP-W-KIND), the document signed (GP-W-SIGN) with its
// personal data encrypted (GP-W-ENC); then accepted, its hash kept in the registry, and its life
// started (GP-W-STATES).
func (s *Service) send(w http.ResponseWriter, req *http.Request) {
	c := callOf(req)
	var in wire.OutgoingMessage
	if b := decodeJSON(c.body, &in); b != nil {
		refuse(w, req, http.StatusBadRequest, wire.CodeInvalid, b)
		return
	}
	m, status, code, b := s.check(c.system, &in)
	if b != nil {
		refuse(w, req, status, code, b)
		return
	}
	m.requestID = req.Header.Get(wire.HeaderRequestID)
	status, code, b = s.accept(m)
	if b != nil {
		refuse(w, req, status, code, b)
		return
	}
	c.entry.MessageID = m.id
	server.WriteJSON(w, http.StatusCreated, wire.Accepted{MessageID: m.id, State: wire.StateSent,
		DocumentHash: m.hash, AcceptedAt: stamp(m.acceptedAt)})
}

// check is a message as sent, or the first breach it has with its status and code.
func (s *Service) check(sys *system, in *wire.OutgoingMessage) (*message, int, string, *rule.Breach) {
	// GP-W-KIND: a kind of the three, a subject, a known recipient, and where the states go.
	if !slices.Contains(wire.Kinds, in.Kind) {
		return nil, http.StatusUnprocessableEntity, wire.CodeKind, breach("GP-W-KIND", "kind",
			msg.F("one of %s", strings.Join(wire.Kinds, ", ")), quoteOrNone(in.Kind), msg.F("send the kind of the message (судебное извещение: %s, …)", wire.KindCourtNotice))
	}
	subject := strings.TrimSpace(in.Subject)
	switch {
	case subject == "":
		return nil, http.StatusUnprocessableEntity, wire.CodeKind, breach("GP-W-KIND", "subject",
			msg.F("the message's subject"), msg.F("none"), msg.F("give the message a subject"))
	case utf8.RuneCountInString(subject) > maxSubject:
		return nil, http.StatusUnprocessableEntity, wire.CodeKind, breach("GP-W-KIND", "subject",
			msg.F("at most %d characters", maxSubject), msg.F("%d characters", utf8.RuneCountInString(subject)), msg.F("shorten the subject"))
	case in.RecipientID == "":
		return nil, http.StatusUnprocessableEntity, wire.CodeKind, breach("GP-W-KIND", "recipientId",
			msg.F("the recipient's id"), msg.F("none"), msg.F("name the recipient (GET recipients/{id} gives its key)"))
	}
	s.mu.Lock()
	var rcpt Recipient
	if r := s.recipients[in.RecipientID]; r != nil {
		rcpt = *r
	}
	s.mu.Unlock()
	if rcpt.ID == "" {
		return nil, http.StatusNotFound, wire.CodeRecipientUnknown, breach("GP-W-KIND", "recipientId",
			msg.F("a recipient of Gospochta"), msg.F("%s, unknown", quoteOrNone(in.RecipientID)), msg.F("check the recipient's id"))
	}
	if b := checkNotifyURL(in.NotifyURL); b != nil {
		return nil, http.StatusBadRequest, wire.CodeInvalid, b
	}
	if len(in.Document.FileName) > maxFileName || len(in.Document.MimeType) > maxMimeType {
		return nil, http.StatusBadRequest, wire.CodeInvalid, breach("GP-W-KIND", "document.fileName",
			msg.F("a file name and a MIME type of at most %d bytes each", maxFileName), msg.F("longer"), msg.F("shorten them"))
	}

	// GP-W-SIGN: the document signed, detached, by the system's own certificate; the registry
	// keeps the hash of what was signed.
	content, err := base64.StdEncoding.DecodeString(in.Document.Content)
	switch {
	case err != nil:
		return nil, http.StatusBadRequest, wire.CodeInvalid, breach("GP-W-SIGN", "document.content",
			msg.F("the document, base64 (standard alphabet, padded)"), msg.F("not base64: %s", msg.Of(err)), msg.F("encode the document's bytes in base64"))
	case len(content) == 0:
		return nil, http.StatusBadRequest, wire.CodeInvalid, breach("GP-W-SIGN", "document.content",
			msg.F("the document, base64"), msg.F("none"), msg.F("send the document's bytes"))
	case strings.TrimSpace(in.Document.Signature) == "":
		return nil, http.StatusUnprocessableEntity, wire.CodeUnsigned, breach("GP-W-SIGN", "document.signature",
			msg.F("a detached CMS signature (DER, base64) over the document by the system's certificate"), msg.F("none"),
			msg.F("sign the document's bytes (detached CMS, SHA-256) with the system's key and send the signature"))
	}
	sig, err := cms.Decode(in.Document.Signature)
	if err != nil {
		return nil, http.StatusUnprocessableEntity, wire.CodeSignature, breach("GP-W-SIGN", "document.signature",
			msg.F("a detached CMS signature, base64"), msg.Of(err), msg.F("send the DER signature in base64"))
	}
	verified, err := s.verifier.VerifyDetached(sig, content)
	if err != nil {
		b := breach("GP-W-SIGN", "document.signature", msg.F("a valid detached CMS signature over document.content by the system's certificate"),
			msg.Of(err), msg.F("sign exactly the bytes sent in document.content with the system's registered certificate"))
		var ce *cms.Error
		if errors.As(err, &ce) && ce.Problem == cms.NotSupported {
			b.Note = msg.F("the simulator verifies RSA and ECDSA with SHA-256 only")
		}
		return nil, http.StatusUnprocessableEntity, wire.CodeSignature, b
	}
	if !slices.ContainsFunc(sys.Certificates, func(c2 *x509.Certificate) bool { return bytes.Equal(c2.Raw, verified.Signer.Raw) }) {
		return nil, http.StatusUnprocessableEntity, wire.CodeSignature, breach("GP-W-SIGN", "document.signature",
			msg.F("a signature by a certificate registered for system %s", sys.Mnemonic),
			msg.F("signed by %q (serial %s), not one of the system's", verified.Signer.Subject.String(), verified.Signer.SerialNumber.Text(16)),
			msg.F("sign with the system's own certificate, the one registered for it"))
	}

	// GP-W-ENC: the personal data sealed for this recipient, field by field, each with a nonce of
	// its own; a nonce used twice under one key breaks AES-GCM's confidentiality and integrity.
	if in.PersonalData.KeyID != rcpt.KeyID {
		return nil, http.StatusUnprocessableEntity, wire.CodeKey, breach("GP-W-ENC", "personalData.keyId",
			msg.F("the key id of recipient %s (%s)", rcpt.ID, rcpt.KeyID), quoteOrNone(in.PersonalData.KeyID),
			msg.F("encrypt with the key GET recipients/%s gives and name its keyId", rcpt.ID))
	}
	if _, ok := in.PersonalData.Fields[wire.FieldFullName]; !ok {
		return nil, http.StatusUnprocessableEntity, wire.CodeKind, breach("GP-W-KIND", "personalData.fields."+wire.FieldFullName,
			msg.F("the recipient's full name, encrypted"), msg.F("none"), msg.F("send the recipient's full name in personalData.fields.%s", wire.FieldFullName))
	}
	names := make([]string, 0, len(in.PersonalData.Fields))
	for name := range in.PersonalData.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	fields := map[string]string{}
	nonces := map[string]bool{}
	for _, name := range names {
		f := in.PersonalData.Fields[name]
		field := "personalData.fields." + name
		if !slices.Contains(wire.PersonalFields, name) {
			return nil, http.StatusBadRequest, wire.CodeInvalid, breach("GP-W-ENC", rule.Cut(field, 200),
				msg.F("one of the personal-data fields %s", strings.Join(wire.PersonalFields, ", ")), msg.F("another name"), msg.F("send only those fields"))
		}
		plain, err := wire.OpenField(rcpt.Key, rcpt.ID, name, f)
		switch {
		case errors.Is(err, wire.ErrNonce):
			return nil, http.StatusUnprocessableEntity, wire.CodeNonce, breach("GP-W-ENC", field+".nonce",
				msg.F("a fresh %d-byte nonce, base64", wire.NonceSize), quoteOrNone(f.Nonce), msg.F("make a new random 12-byte nonce for every field"))
		case err != nil:
			return nil, http.StatusUnprocessableEntity, wire.CodeCiphertext, breach("GP-W-ENC", field+".ciphertext",
				msg.F("the field sealed with AES-256-GCM under the recipient's key, with additional data \"%s/%s\"", rcpt.ID, name), msg.Of(err),
				msg.F("encrypt the field with the recipient's key, its nonce, and the recipient id and field name as additional data (wire.SealField)"))
		case len(plain) > maxField:
			return nil, http.StatusUnprocessableEntity, wire.CodeCiphertext, breach("GP-W-ENC", field,
				msg.F("at most %d bytes", maxField), msg.F("%d bytes", len(plain)), msg.F("shorten the field"))
		}
		nk := nonceKey(rcpt.KeyID, f.Nonce)
		s.mu.Lock()
		reused := s.nonces.has(nk)
		s.mu.Unlock()
		if reused || nonces[nk] {
			return nil, http.StatusUnprocessableEntity, wire.CodeNonce, breach("GP-W-ENC", field+".nonce",
				msg.F("a nonce never used before under the recipient's key"), msg.F("%s, used before", quoteOrNone(f.Nonce)),
				msg.F("make a new random nonce for every field of every message, a resend included"))
		}
		nonces[nk] = true
		fields[name] = plain
	}
	return &message{
		id: uuid.NewString(), sender: sys.Mnemonic, kind: in.Kind, recipient: rcpt.ID, subject: subject,
		hash: wire.DocumentHash(content), notifyURL: in.NotifyURL, fileName: in.Document.FileName,
		mimeType: in.Document.MimeType, signer: verified.Signer.Subject.String(), fields: fields,
		nonces: nonces,
	}, 0, "", nil
}

// nonceKey names a nonce under a recipient's key (base64 as sent: one nonce has one spelling,
// since the standard alphabet with padding is the only one OpenField takes).
func nonceKey(keyID, nonce string) string {
	sum := sha256.Sum256([]byte(keyID + "\x00" + nonce))
	return string(sum[:16])
}

// checkNotifyURL checks where the states are pushed (GP-W-STATES): an absolute http(s) URL.
func checkNotifyURL(raw string) *rule.Breach {
	fix := msg.F("give the absolute http(s) URL where the system takes the notifications of the message's states")
	if raw == "" {
		return breach("GP-W-KIND", "notifyUrl", msg.F("an absolute http or https URL"), msg.F("none"), fix)
	}
	u, err := url.Parse(raw)
	if len(raw) > maxNotifyURL || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return breach("GP-W-KIND", "notifyUrl", msg.F("an absolute http or https URL without credentials, at most %d bytes", maxNotifyURL),
			quoteOrNone(raw), fix)
	}
	return nil
}

// decodeJSON reads a body into v, or says which field is wrong.
func decodeJSON(body []byte, v any) *rule.Breach {
	dec := json.NewDecoder(bytes.NewReader(body))
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return breach("GP-W-KIND", "body", msg.F("one JSON object"), msg.F("more after it"), msg.F("send one JSON object"))
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return breach("GP-W-KIND", typeErr.Field, msg.F("a JSON %s", typeErr.Type.Kind().String()), msg.F("a JSON %s", typeErr.Value), msg.F("send the field with its type"))
	case errors.As(err, &syntaxErr):
		return breach("GP-W-KIND", "body", msg.F("a JSON object"), msg.F("malformed JSON at byte %d: %s", syntaxErr.Offset, msg.Of(err)), msg.F("send well-formed JSON"))
	case errors.Is(err, io.EOF):
		return breach("GP-W-KIND", "body", msg.F("a JSON object"), msg.F("an empty body"), msg.F("send the message as JSON"))
	}
	return breach("GP-W-KIND", "body", msg.F("a JSON object"), msg.Of(err), msg.F("send well-formed JSON"))
}

// message answers GET messages/{messageId}: its states, to its sender only.
func (s *Service) message(w http.ResponseWriter, req *http.Request) {
	c := callOf(req)
	id := req.PathValue("messageId")
	c.entry.MessageID = id
	s.mu.Lock()
	m := s.messages[id]
	var out wire.MessageState
	if m != nil && m.sender == c.system.Mnemonic {
		out = wire.MessageState{MessageID: m.id, Kind: m.kind, RecipientID: m.recipient, State: m.states[len(m.states)-1].State}
		for _, st := range m.states {
			out.States = append(out.States, wire.StateEntry{State: st.State, At: stamp(st.At)})
		}
	}
	s.mu.Unlock()
	if out.MessageID == "" {
		notFound(w, req, id)
		return
	}
	server.WriteJSON(w, http.StatusOK, out)
}

// receipt answers GET messages/{messageId}/receipt: the signed act of acceptance once delivered
// (GP-W-RECEIPT), counting the fetches (GP-W-DELIVERY: the sender holds it within 5 minutes).
func (s *Service) receipt(w http.ResponseWriter, req *http.Request) {
	c := callOf(req)
	id := req.PathValue("messageId")
	c.entry.MessageID = id
	s.mu.Lock()
	m := s.messages[id]
	if m == nil || m.sender != c.system.Mnemonic {
		s.mu.Unlock()
		notFound(w, req, id)
		return
	}
	if m.receipt == nil {
		state := m.states[len(m.states)-1].State
		s.mu.Unlock()
		refuse(w, req, http.StatusConflict, wire.CodeReceiptNotReady, breach("GP-W-RECEIPT", "messageId",
			msg.F("a delivered message"), msg.F("state %s", state), msg.F("fetch the receipt after the notification of state %s (or after GET messages/{id} says so)", wire.StateDelivered)))
		return
	}
	m.receiptFetches++
	if m.firstReceiptFetch.IsZero() {
		m.firstReceiptFetch = s.now()
	}
	out := wire.SignedReceipt{Receipt: base64.StdEncoding.EncodeToString(m.receipt), Signature: base64.StdEncoding.EncodeToString(m.receiptSig)}
	s.mu.Unlock()
	server.WriteJSON(w, http.StatusOK, out)
}

// registryEntry answers GET registry/{documentHash}: the hash of a signed document as registered.
func (s *Service) registryEntry(w http.ResponseWriter, req *http.Request) {
	hash := strings.ToLower(req.PathValue("documentHash"))
	e, ok := s.Registry(hash)
	if !ok {
		refuse(w, req, http.StatusNotFound, wire.CodeMessageNotFound, breach("GP-W-SIGN", "documentHash",
			msg.F("the SHA-256 (hex) of a document sent"), msg.F("%s, not registered", quoteOrNone(hash)), msg.F("hash the document's bytes as sent (SHA-256, hex)")))
		return
	}
	callOf(req).entry.MessageID = e.MessageID
	server.WriteJSON(w, http.StatusOK, e)
}

func notFound(w http.ResponseWriter, req *http.Request, id string) {
	refuse(w, req, http.StatusNotFound, wire.CodeMessageNotFound, breach("GP-W-STATES", "messageId",
		msg.F("a message this system sent"), msg.F("%s, unknown to the system", quoteOrNone(id)), msg.F("use the messageId the send answered")))
}
