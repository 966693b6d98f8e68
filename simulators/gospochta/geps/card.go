package geps

import (
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// The status a card's first opening adds (the specification names the mnemonic READ; its
// description's wording was not available).
const (
	StatusRead      = "READ"
	readDescription = "Прочитано"
)

var attachmentDescriptions = map[string]string{
	wire.AttachmentReady:       "Готов к скачиванию",
	wire.AttachmentDownloading: "Загружается",
	wire.AttachmentDeleted:     "Удалён",
}

// codeAttachmentNotFound is a 404 for an attachment the message does not have; wire names none.
const codeAttachmentNotFound = wire.CodeAttachmentNone

// card serves GET message/{threadUuid}/{messageUuid}. Opening a card is reading the message: it is
// marked read with a READ status, and its first opening is recorded as the legal delivery
// (GP-R-LEGAL).
func (s *Service) card(w http.ResponseWriter, r *http.Request, caller wire.Caller) {
	rec := recordOf(r)
	thread, id := r.PathValue("threadUuid"), r.PathValue("messageUuid")
	rec.MessageUUID = id
	if !pathUUID(w, r, "threadUuid", thread, "GP-R-CARD") || !pathUUID(w, r, "messageUuid", id, "GP-R-CARD") {
		return
	}
	s.mu.Lock()
	m := s.box(orgOf(caller)).messages[id]
	if m == nil || m.ThreadUUID != thread {
		s.mu.Unlock()
		refuse(w, r, http.StatusNotFound, wire.CodeMessageNotFound, breach("GP-R-CARD", "messageUuid",
			msg.F("a message of the organisation's Gospochta in that thread"), msg.F("no message %s in thread %s", id, thread),
			msg.F("open the threadUuid and messageUuid a search listed")))
		return
	}
	now := s.now()
	if m.readAt.IsZero() {
		// GP-R-LEGAL: the first opening is the moment the notice counts as delivered.
		m.readAt = now
		m.reads = append(m.reads, wire.Status{Mnemonic: StatusRead, Description: readDescription,
			OriginatorUserName: caller.System, CreateDate: moscow(now)})
		s.deliveries.Add(Delivery{MessageUUID: m.MessageUUID, ThreadUUID: m.ThreadUUID, Org: m.org,
			System: caller.System, Subject: caller.Subject, At: now})
	}
	c := wire.Card{Text: m.Text, IsRead: true, CreateDate: moscow(m.Created), Params: map[string]string{},
		AttachmentList: []wire.Attachment{}, StatusList: append([]wire.Status{}, m.reads...)}
	for k, v := range m.Params {
		c.Params[k] = v
	}
	for _, f := range m.Attachments {
		c.AttachmentList = append(c.AttachmentList, wire.Attachment{AttachmentUUID: f.UUID, FileName: f.Name,
			FileSize: int64(len(f.Content)), MimeType: f.MimeType, Signed: len(f.Signature) > 0,
			StatusMnemonic: f.Status, StatusDescription: attachmentDescriptions[f.Status]})
	}
	s.mu.Unlock()
	server.WriteJSON(w, http.StatusOK, c)
}

// Parts of an attachment.
const (
	PartFile = "file"
	PartSig  = "sig"
)

// attachment serves GET attachment/{messageUuid}/{attachmentUuid}/{file|sig} (GP-R-CARD): a READY
// file and its detached signature; a file still DOWNLOADING is not yet there (409), a DELETED one
// is gone (410), an unsigned one has no sig (404).
func (s *Service) attachment(w http.ResponseWriter, r *http.Request, caller wire.Caller) {
	rec := recordOf(r)
	id, fileID, part := r.PathValue("messageUuid"), r.PathValue("attachmentUuid"), r.PathValue("part")
	rec.MessageUUID, rec.AttachmentUUID, rec.Part = id, fileID, part
	if !pathUUID(w, r, "messageUuid", id, "GP-R-CARD") || !pathUUID(w, r, "attachmentUuid", fileID, "GP-R-CARD") {
		return
	}
	if part != PartFile && part != PartSig {
		refuse(w, r, http.StatusNotFound, wire.CodeInvalid, breach("GP-R-CARD", "part",
			msg.F("%s or %s", PartFile, PartSig), quoted(part), msg.F("ask for …/%s or …/%s", PartFile, PartSig)))
		return
	}
	s.mu.Lock()
	m := s.box(orgOf(caller)).messages[id]
	if m == nil {
		s.mu.Unlock()
		refuse(w, r, http.StatusNotFound, wire.CodeMessageNotFound, breach("GP-R-CARD", "messageUuid",
			msg.F("a message of the organisation's Gospochta"), msg.F("no message %s", id), msg.F("download the attachments of a card the search listed")))
		return
	}
	i := slices.IndexFunc(m.Attachments, func(f File) bool { return f.UUID == fileID })
	if i < 0 {
		s.mu.Unlock()
		refuse(w, r, http.StatusNotFound, codeAttachmentNotFound, breach("GP-R-CARD", "attachmentUuid",
			msg.F("an attachment of the message"), msg.F("message %s has no attachment %s", id, fileID),
			msg.F("download the attachmentUuid of the message's card")))
		return
	}
	f := &m.Attachments[i]
	file := *f // its bytes are never changed after AddMessage: the copy may be written unlocked
	s.mu.Unlock()
	switch file.Status {
	case wire.AttachmentDeleted:
		refuse(w, r, http.StatusGone, wire.CodeAttachmentGone, breach("GP-R-CARD", "attachmentUuid",
			msg.F("an attachment in status %s", wire.AttachmentReady), msg.F("status %s", wire.AttachmentDeleted),
			msg.F("skip attachments in status DELETED: they are no longer kept")))
		return
	case wire.AttachmentDownloading:
		w.Header().Set("Retry-After", "60")
		refuse(w, r, http.StatusConflict, wire.CodeAttachmentBusy, breach("GP-R-CARD", "attachmentUuid",
			msg.F("an attachment in status %s", wire.AttachmentReady), msg.F("status %s", wire.AttachmentDownloading),
			msg.F("open the card again later and download the attachment once it is READY")))
		return
	}
	body, ctype, name := file.Content, file.MimeType, file.Name
	if part == PartSig {
		if len(file.Signature) == 0 {
			refuse(w, r, http.StatusNotFound, wire.CodeNoSignature, breach("GP-R-CARD", "part",
				msg.F("sig of a signed attachment (signed: true on the card)"), msg.F("attachment %s is not signed", fileID),
				msg.F("ask for the sig only of attachments the card marks signed")))
			return
		}
		body, ctype, name = file.Signature, wire.SignatureType, file.Name+".sig"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if d := mime.FormatMediaType("attachment", map[string]string{"filename": name}); d != "" {
		w.Header().Set("Content-Disposition", d)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
