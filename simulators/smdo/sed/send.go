package sed

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"
)

// File is one file of a document or of additional materials.
type File struct {
	Name string // with its extension, which is its type (".pdf")
	Data []byte
}

// Outgoing is what to send: a document, a reply to a received one, or additional materials to a
// document sent earlier.
type Outgoing struct {
	// To are the receivers; for a reply, empty means the original's sender.
	To []Party
	// Kind is the document kind from the document-type directory; "Письмо" when empty.
	Kind string
	// Title is the document's title and the envelope's subject; the first file's name when empty.
	Title string
	// RegNumber is the document's outgoing registration number; "исх-<n>" when empty.
	RegNumber string
	Files     []File
	// AskAck asks the receivers for delivery and registration notices (msg_acknow 2, SMDO-ACK).
	AskAck bool
	// ReplyTo makes the document a reply to a received one (SMDO-REPLY).
	ReplyTo *Incoming
	// Adds makes the package additional materials to a document sent earlier (SMDO-ADD).
	Adds *Additions
}

// Additions are additional materials to a document this system sent (SMDO-ADD).
type Additions struct {
	AddType  int  // AddFiles (1) or ReplaceFile (2)
	Referred Sent // the document they belong to
}

// Sent is a package the system sent and what came back for it.
type Sent struct {
	PackageID, MsgID string
	IDNumber         string // the document's idnumber; empty for additional materials
	// Receipt is the router's delivery receipt (SMDO-RECEIPT).
	Receipt *Notice
	// Registration is the receivers' registration notice when AskAck for a document: the first
	// that is not "registered", else the first (SMDO-ACK).
	Registration *Notice
	// Notices are every notice taken for the package, in order of arrival.
	Notices []Notice
}

// Send does the whole sequence (token, create, attach each file, put the filled package, put each
// file's signature, send), then waits for the router's delivery receipt and, when AskAck, the
// registration notice of every receiver, taking them from the incoming list (SMDO-SEND,
// SMDO-RECEIPT). A negative answer at any stage stops it (SMDO-HALT): *RefusedError. A registration
// notice other than "registered" returns the Sent with a *RegistrationRefusedError. It starts no
// sooner than RestartPause after the previous send ended (SMDO-RESTART). The wait ends with ctx.
func (c *Client) Send(ctx context.Context, o Outgoing) (Sent, error) {
	sent, err := c.SendAll(ctx, []Outgoing{o})
	if len(sent) == 0 {
		return Sent{}, err
	}
	return sent[0], err
}

// SendAll is a user's multiple send (the walkthrough's «множественная отправка»): the sending
// thread sends each document in turn, RestartPause after the previous send ended, and only then
// are the receipts and notices awaited. It stops at the first document that fails, giving what
// was sent up to it.
func (c *Client) SendAll(ctx context.Context, docs []Outgoing) ([]Sent, error) {
	if c.err != nil {
		return nil, c.err
	}
	type pending struct {
		rec    *record
		askAck bool
	}
	var sent []Sent
	var waits []pending
	var recs []*record
	// Once SendAll returns no one waits for these packages' notices.
	defer func() {
		for _, r := range recs {
			c.out.settle(r)
		}
	}()
	for _, o := range docs {
		p, files, err := c.compose(o)
		if err != nil {
			return sent, fmt.Errorf("send: %w", err)
		}
		env := p.Body.Envelop
		s := Sent{MsgID: env.MsgID}
		if d := env.Body.Document; d != nil {
			s.IDNumber = d.IDNumber
		}
		rec := c.out.add(env.MsgID, receiversOf(p))
		recs = append(recs, rec)
		s.PackageID, err = c.transmit(ctx, p, files)
		sent = append(sent, s)
		if err != nil {
			return sent, err
		}
		// Only a document is registered, so only a document's registration notice is awaited.
		waits = append(waits, pending{rec, env.Header.MsgAcknow == AskAcknowledgement && env.Header.MsgType == MsgDocument})
	}
	for i, w := range waits {
		s, err := c.await(ctx, w.rec, sent[i], w.askAck)
		sent[i] = s
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// outFile is a file on its way: its attachment name and its signature.
type outFile struct {
	File
	referenceID string // the attachment's name and its docTransfer's data.referenceid
	signature   []byte // the detached CMS, nil when unsigned
	attachID    string // the router's id, once attached
}

// compose builds the package (its docTransfer still empty) and signs the files.
func (c *Client) compose(o Outgoing) (*pkg, []*outFile, error) {
	if len(o.Files) == 0 {
		return nil, nil, errors.New("no files: a document or additional materials carry at least one (SMDO-SEND)")
	}
	to := o.To
	if len(to) == 0 && o.ReplyTo != nil {
		to = []Party{o.ReplyTo.Sender}
	}
	if len(to) == 0 {
		return nil, nil, errors.New("no receiver")
	}
	msgID := uuid.NewString() // SMDO-FORMAT: a fresh UUID for every package
	files, err := c.prepare(msgID, o.Files)
	if err != nil {
		return nil, nil, err
	}
	p := c.newPackage(msgID, to)
	if o.Title == "" {
		o.Title = o.Files[0].Name
	}
	p.Body.Envelop.Subject = o.Title
	h := &p.Body.Envelop.Header
	if o.AskAck {
		h.MsgAcknow = AskAcknowledgement
	}
	if o.Adds != nil {
		h.MsgType = MsgAdditions
		p.Body.Envelop.Body.AddDocuments = c.additions(o)
		return p, files, nil
	}
	h.MsgType = MsgDocument
	d := c.document(o)
	if o.ReplyTo != nil {
		// SMDO-REPLY: docParent names the original, parentId its package.
		d.DocParent = parentOf(o.ReplyTo)
		p.ParentID = o.ReplyTo.PackageID
	}
	p.Body.Envelop.Body.Document = d
	return p, files, nil
}

// newPackage is a package from this system to the receivers, without its body's content.
func (c *Client) newPackage(msgID string, to []Party) *pkg {
	now := c.cfg.Clock.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	me := c.cfg.Subscriber
	p := &pkg{DateSent: now, Body: packetBody{Envelop: &envelop{
		Type: EnvelopeType, MsgID: msgID, DTStamp: now,
		Header: header{Sender: sender{ID: me.Code, Name: me.Name}},
	}}}
	for _, r := range to {
		p.To = append(p.To, abonent{IDAbonent: r.ID, TypeAbonent: "SMDO", Name: r.Name})
		p.Body.Envelop.Header.Receiver = append(p.Body.Envelop.Header.Receiver, receiver{ID: r.Code, Name: r.Name})
	}
	return p
}

// document is the document of o under a new idnumber "<Code>_<n>", unique for this system.
func (c *Client) document(o Outgoing) *document {
	n := c.serial.Add(1)
	kind, reg := o.Kind, o.RegNumber
	if kind == "" {
		kind = "Письмо"
	}
	if reg == "" {
		reg = fmt.Sprintf("исх-%d", n)
	}
	return &document{
		IDNumber: fmt.Sprintf("%s_%d", c.cfg.Subscriber.Code, n),
		Kind:     kind, Pages: len(o.Files), Title: o.Title,
		RegNumber:   &regNumber{Value: reg, RegDate: c.cfg.Clock.Now().UTC().Format(time.DateOnly)},
		DocTransfer: []docTransfer{},
	}
}

// additions is the folder of additional materials of o (SMDO-ADD): referred names the document
// this system sent.
func (c *Client) additions(o Outgoing) *addDocuments {
	return &addDocuments{Folder: []folder{{
		AddType:     o.Adds.AddType,
		Contents:    o.Title,
		Referred:    referred{IDNumber: o.Adds.Referred.IDNumber},
		DocTransfer: []docTransfer{},
	}}}
}

// parentOf is the docParent of a reply to in (SMDO-REPLY).
func parentOf(in *Incoming) *docParent {
	p := &docParent{IDNumber: in.IDNumber, LastMsgID: in.MsgID, ParMsgID: in.MsgID,
		ParOrgID: in.Sender.Code}
	if in.RegNumber != "" {
		p.RegNumber = &regNumber{Value: in.RegNumber, RegDate: in.RegDate}
	}
	return p
}

// prepare names each file's attachment and signs it (SMDO-SIGN). The no-sig defect leaves the
// second file unsigned.
func (c *Client) prepare(msgID string, in []File) ([]*outFile, error) {
	files := make([]*outFile, len(in))
	for i, f := range in {
		ext := strings.ToLower(path.Ext(f.Name))
		if ext == "" {
			return nil, fmt.Errorf("file %q has no extension, which gives its type", f.Name)
		}
		// The attachment's name is unique in the router: the package's msg_id and the file's place.
		of := &outFile{File: f, referenceID: fmt.Sprintf("%s_%d%s", msgID, i+1, ext)}
		if !(i == 1 && c.has(DefectNoSig)) {
			sig, err := c.sign(f.Data)
			if err != nil {
				return nil, fmt.Errorf("sign %s: %w", f.Name, err)
			}
			of.signature = sig
		}
		files[i] = of
	}
	return files, nil
}

// fill writes the docTransfer of every file into the package: its name, its type (the
// extension), the attachment it names and its signature (SMDO-FORMAT).
func (c *Client) fill(p *pkg, files []*outFile) error {
	var ts []docTransfer
	for _, f := range files {
		t := docTransfer{Name: f.Name, Type: strings.ToLower(path.Ext(f.Name)), Description: f.Name,
			Data: transferData{ReferenceID: f.referenceID}}
		if f.signature != nil {
			s, err := c.signOf(f.signature)
			if err != nil {
				return err
			}
			t.Signature = []transferSign{{KeyID: s.KeyID, Value: s.Data, Signer: s.Signer}}
		}
		ts = append(ts, t)
	}
	b := p.Body.Envelop.Body
	switch {
	case b.Document != nil:
		b.Document.DocTransfer = ts
	case b.AddDocuments != nil:
		b.AddDocuments.Folder[0].DocTransfer = ts
	}
	return nil
}

func receiversOf(p *pkg) []string {
	ids := make([]string, len(p.To))
	for i, t := range p.To {
		ids[i] = t.IDAbonent
	}
	return ids
}
