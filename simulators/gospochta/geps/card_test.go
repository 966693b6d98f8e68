package geps

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// sample is a message with a file of each state, one of them signed.
func sample() Message {
	return Message{
		ThreadUUID: uuid.NewString(), MessageUUID: uuid.NewString(),
		FeedTitle: "ФССП России", FeedSubtitle: "Постановление", Text: "Текст извещения",
		Params: map[string]string{"caseNumber": "12345/26/77001-ИП"},
		Attachments: []File{
			{UUID: uuid.NewString(), Name: "постановление.pdf", MimeType: "application/pdf", Content: []byte("%PDF-1.7 …"), Signature: []byte{0x30, 0x82, 0x01}},
			{UUID: uuid.NewString(), Name: "opis.txt", Content: []byte("опись")},
			{UUID: uuid.NewString(), Name: "big.zip", Content: []byte("zip"), Status: wire.AttachmentDownloading},
			{UUID: uuid.NewString(), Name: "old.doc", Content: []byte("doc"), Status: wire.AttachmentDeleted},
		},
	}
}

// GP-R-CARD and GP-R-LEGAL: the card with its files; opening it marks it read once, and the first
// opening is the legal delivery.
func TestCardMarksReadAndRecordsDelivery(t *testing.T) {
	e := newEnv(t)
	m := e.add(orgA, time.Hour, sample())
	var c wire.Card
	e.do("GET", cardPath(m.ThreadUUID, m.MessageUUID), "head", nil).decode(t, &c)
	if !c.IsRead || c.Text != m.Text || c.CreateDate != "2026-12-10T11:00:00+03:00" || c.Params["caseNumber"] != "12345/26/77001-ИП" {
		t.Errorf("card %+v", c)
	}
	if len(c.StatusList) != 1 || c.StatusList[0].Mnemonic != StatusRead || c.StatusList[0].OriginatorUserName != "GP_AGENCY" ||
		c.StatusList[0].CreateDate != "2026-12-10T12:00:00+03:00" {
		t.Errorf("statuses %+v", c.StatusList)
	}
	want := []wire.Attachment{
		{AttachmentUUID: m.Attachments[0].UUID, FileName: "постановление.pdf", FileSize: 12, MimeType: "application/pdf", Signed: true, StatusMnemonic: wire.AttachmentReady, StatusDescription: "Готов к скачиванию"},
		{AttachmentUUID: m.Attachments[1].UUID, FileName: "opis.txt", FileSize: 10, MimeType: "application/octet-stream", StatusMnemonic: wire.AttachmentReady, StatusDescription: "Готов к скачиванию"},
		{AttachmentUUID: m.Attachments[2].UUID, FileName: "big.zip", FileSize: 3, MimeType: "application/octet-stream", StatusMnemonic: wire.AttachmentDownloading, StatusDescription: "Загружается"},
		{AttachmentUUID: m.Attachments[3].UUID, FileName: "old.doc", FileSize: 3, MimeType: "application/octet-stream", StatusMnemonic: wire.AttachmentDeleted, StatusDescription: "Удалён"},
	}
	if len(c.AttachmentList) != len(want) {
		t.Fatalf("attachments %+v", c.AttachmentList)
	}
	for i := range want {
		if c.AttachmentList[i] != want[i] {
			t.Errorf("attachment %d = %+v, want %+v", i, c.AttachmentList[i], want[i])
		}
	}
	if rec := e.last(); rec.Endpoint != EndpointCard || rec.MessageUUID != m.MessageUUID || rec.Status != 200 {
		t.Errorf("logged %+v", rec)
	}
	e.clock.Advance(time.Hour)
	e.do("GET", cardPath(m.ThreadUUID, m.MessageUUID), "admin", nil).decode(t, &c)
	if len(c.StatusList) != 1 {
		t.Errorf("a second opening added a status: %+v", c.StatusList)
	}
	d := e.s.Deliveries()
	if len(d) != 1 || d[0].MessageUUID != m.MessageUUID || d[0].ThreadUUID != m.ThreadUUID || d[0].Org != orgA ||
		d[0].System != "GP_AGENCY" || d[0].Subject != "1000000201" || !d[0].At.Equal(start) {
		t.Errorf("deliveries %+v", d)
	}
}

func TestCardNotFound(t *testing.T) {
	e := newEnv(t)
	m := e.add(orgA, time.Hour, sample())
	for name, c := range map[string]struct {
		token, thread, msg string
	}{
		"another organisation": {"other", m.ThreadUUID, m.MessageUUID},
		"another thread":       {"head", uuid.NewString(), m.MessageUUID},
		"unknown message":      {"head", m.ThreadUUID, uuid.NewString()},
	} {
		t.Run(name, func(t *testing.T) {
			e.do("GET", cardPath(c.thread, c.msg), c.token, nil).refusal(t, http.StatusNotFound, wire.CodeMessageNotFound, "GP-R-CARD")
		})
	}
	e.do("GET", cardPath("x", m.MessageUUID), "head", nil).refusal(t, http.StatusBadRequest, wire.CodeInvalid, "GP-R-CARD")
	if len(e.s.Deliveries()) != 0 {
		t.Error("a refused opening was recorded as a delivery")
	}
}

// GP-R-CARD: READY files and signatures download; DOWNLOADING is 409, DELETED 410, an unsigned
// file's sig 404.
func TestAttachments(t *testing.T) {
	e := newEnv(t)
	m := e.add(orgA, time.Hour, sample())
	signed, plain, busy, gone := m.Attachments[0], m.Attachments[1], m.Attachments[2], m.Attachments[3]

	r := e.do("GET", attachmentPath(m.MessageUUID, signed.UUID, "file"), "head", nil)
	if r.status != 200 || !bytes.Equal(r.body, signed.Content) || r.header.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(r.header.Get("Content-Disposition"), "filename*=utf-8''") {
		t.Errorf("file: %d %v %q", r.status, r.header, r.body)
	}
	r = e.do("GET", attachmentPath(m.MessageUUID, signed.UUID, "sig"), "head", nil)
	if r.status != 200 || !bytes.Equal(r.body, signed.Signature) || r.header.Get("Content-Type") != wire.SignatureType {
		t.Errorf("sig: %d %v %x", r.status, r.header, r.body)
	}
	if rec := e.last(); rec.Endpoint != EndpointAttachment || rec.Part != PartSig || rec.AttachmentUUID != signed.UUID || rec.MessageUUID != m.MessageUUID {
		t.Errorf("logged %+v", rec)
	}
	if r := e.do("GET", attachmentPath(m.MessageUUID, plain.UUID, "file"), "admin", nil); r.status != 200 || string(r.body) != "опись" {
		t.Errorf("plain file: %d %q", r.status, r.body)
	}
	e.do("GET", attachmentPath(m.MessageUUID, plain.UUID, "sig"), "head", nil).refusal(t, http.StatusNotFound, wire.CodeNoSignature, "GP-R-CARD")
	r = e.do("GET", attachmentPath(m.MessageUUID, busy.UUID, "file"), "head", nil)
	r.refusal(t, http.StatusConflict, wire.CodeAttachmentBusy, "GP-R-CARD")
	if r.header.Get("Retry-After") == "" {
		t.Error("409 without Retry-After")
	}
	e.do("GET", attachmentPath(m.MessageUUID, gone.UUID, "file"), "head", nil).refusal(t, http.StatusGone, wire.CodeAttachmentGone, "GP-R-CARD")
	e.do("GET", attachmentPath(m.MessageUUID, gone.UUID, "sig"), "head", nil).refusal(t, http.StatusGone, wire.CodeAttachmentGone, "GP-R-CARD")

	e.do("GET", attachmentPath(m.MessageUUID, signed.UUID, "pdf"), "head", nil).refusal(t, http.StatusNotFound, wire.CodeInvalid, "GP-R-CARD")
	e.do("GET", attachmentPath(m.MessageUUID, uuid.NewString(), "file"), "head", nil).refusal(t, http.StatusNotFound, codeAttachmentNotFound, "GP-R-CARD")
	e.do("GET", attachmentPath(uuid.NewString(), signed.UUID, "file"), "head", nil).refusal(t, http.StatusNotFound, wire.CodeMessageNotFound, "GP-R-CARD")
	e.do("GET", attachmentPath(m.MessageUUID, signed.UUID, "file"), "other", nil).refusal(t, http.StatusNotFound, wire.CodeMessageNotFound, "GP-R-CARD")
	e.do("GET", attachmentPath(m.MessageUUID, "not-a-uuid", "file"), "head", nil).refusal(t, http.StatusBadRequest, wire.CodeInvalid, "GP-R-CARD")
	// Downloading is not reading: only the card's opening is the legal delivery.
	if len(e.s.Deliveries()) != 0 {
		t.Error("a download was recorded as a delivery")
	}
}

func TestAddMessage(t *testing.T) {
	e := newEnv(t, WithSearchWait(0))
	m := sample()
	cases := map[string]struct {
		org    string
		change func(*Message)
		want   string
	}{
		"no organisation":   {"", func(*Message) {}, "organisation is empty"},
		"bad thread":        {orgA, func(m *Message) { m.ThreadUUID = "t-1" }, "ThreadUUID"},
		"bad file uuid":     {orgA, func(m *Message) { m.Attachments[0].UUID = "f" }, "Attachments[0].UUID"},
		"two files one id":  {orgA, func(m *Message) { m.Attachments[1].UUID = m.Attachments[0].UUID }, "another attachment's"},
		"file without name": {orgA, func(m *Message) { m.Attachments[2].Name = "" }, "Attachments[2].Name"},
		"unknown status":    {orgA, func(m *Message) { m.Attachments[3].Status = "LOST" }, "Attachments[3].Status"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			bad := copyMessage(m)
			c.change(&bad)
			if err := e.s.AddMessage(c.org, bad); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("AddMessage: %v, want one naming %q", err, c.want)
			}
		})
	}
	if err := e.s.AddMessage(orgA, m); err != nil {
		t.Fatal(err)
	}
	if err := e.s.AddMessage(orgA, m); err == nil || !strings.Contains(err.Error(), "already has") {
		t.Errorf("a duplicate: %v", err)
	}
	if err := e.s.AddMessage(orgB, m); err != nil { // another organisation's box
		t.Errorf("the same message in another organisation: %v", err)
	}
	// The service keeps its own copy; empty UUIDs and time are filled in.
	m.Attachments[0].Content[0] = 'X'
	r := e.do("GET", attachmentPath(m.MessageUUID, m.Attachments[0].UUID, "file"), "head", nil)
	if r.body[0] != '%' {
		t.Error("the caller's change reached the service's copy")
	}
	if err := e.s.AddMessage(orgA, Message{Attachments: []File{{Name: "a"}}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	res := e.result("head", e.searchOK("head", wire.SearchRequest{StartDateTime: moscow(start), EndDateTime: moscow(e.clock.Now())}), nil)
	if res.Total != 2 {
		t.Fatalf("listed %+v, want the two messages created now", res.MessageList)
	}
	for _, l := range res.MessageList {
		if uuid.Validate(l.ThreadUUID) != nil || uuid.Validate(l.MessageUUID) != nil || l.CreateDate != moscow(start) {
			t.Errorf("listed %+v", l)
		}
	}
}
