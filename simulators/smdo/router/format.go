package router

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
)

// envelope is the part of body.envelop the router's checks read, once the schema has passed.
type envelope struct {
	Type   string `json:"type"`
	MsgID  string `json:"msg_id"`
	Header struct {
		Sender struct {
			ID string `json:"id"`
		} `json:"sender"`
		Receiver []struct {
			ID string `json:"id"`
		} `json:"receiver"`
		MsgType   int `json:"msg_type"`
		MsgAcknow int `json:"msg_acknow"`
	} `json:"header"`
	Body struct {
		Document     *document `json:"document"`
		AddDocuments *struct {
			Folder []folder `json:"folder"`
		} `json:"addDocuments"`
		Acknowledgement *acknowledgement `json:"acknowledgement"`
	} `json:"body"`
}

type document struct {
	IDNumber    string        `json:"idnumber"`
	Kind        string        `json:"kind"`
	DocParent   *docParent    `json:"docParent"`
	DocTransfer []docTransfer `json:"docTransfer"`
}

type docParent struct {
	IDNumber  string `json:"idnumber"`
	LastMsgID string `json:"lastmsg_id"`
	ParMsgID  string `json:"parmsg_id"`
	ParOrgID  string `json:"parorg_id"`
}

type docTransfer struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Data struct {
		ReferenceID string `json:"referenceid"`
	} `json:"data"`
	Signature []struct {
		Value *string `json:"value"`
	} `json:"signature"`
}

type folder struct {
	AddType  int `json:"add_type"`
	Referred struct {
		IDNumber string `json:"idnumber"`
	} `json:"referred"`
	DocTransfer []docTransfer `json:"docTransfer"`
}

type acknowledgement struct {
	MsgID     string `json:"msg_id"`
	AckType   int    `json:"ack_type"`
	AckResult []struct {
		Value     string `json:"value"`
		ErrorCode int    `json:"errorcode"`
	} `json:"ackResult"`
}

// transfer is a docTransfer with the path of its fields.
type transfer struct {
	path string
	docTransfer
}

const (
	envPath  = "body.envelop"
	bodyPath = "body.envelop.body"
)

var schemaFix = msg.F("correct the field as the exchange format states it (fixtures/smdo/packet.schema.json)")

// checkFormat is the router's check of a sent package (SMDO-FORMAT and the rules of its kind),
// in the order: the schema, the sender, the receivers, msg_id, the kind of message, the
// directories, the files, the package it answers or completes (r.mu held).
func (r *Router) checkFormat(p *pkg) *rule.Breach {
	if b := r.schemaBreach(p); b != nil {
		return b
	}
	var outer struct {
		Envelop envelope `json:"envelop"`
	}
	if err := json.Unmarshal(p.body, &outer); err != nil {
		field := envPath
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			field = "body." + te.Field
		}
		return breach("SMDO-FORMAT", field, msg.F("the kind of value the exchange format states"), msg.Of(err), schemaFix)
	}
	env := outer.Envelop
	sender := r.subscribers[p.from]
	checks := []func() *rule.Breach{
		func() *rule.Breach { return r.checkSender(env, sender) },
		func() *rule.Breach { return r.checkReceivers(p, env, sender) },
		func() *rule.Breach { return r.checkMsgID(env) },
		func() *rule.Breach { return checkKind(env) },
		func() *rule.Breach { return r.checkDirectories(env) },
		func() *rule.Breach { return checkFiles(p, transfersOf(env)) },
		func() *rule.Breach { return r.checkRelations(p, env) },
	}
	for _, c := range checks {
		if b := c(); b != nil {
			return b
		}
	}
	return nil
}

// schemaBreach validates the package JSON against packet.schema.json.
func (r *Router) schemaBreach(p *pkg) *rule.Breach {
	doc := r.packetJSON(p)
	v := r.packet.Validate(doc)
	if len(v) == 0 {
		return nil
	}
	first := mostSpecific(v)
	field := dotted(first.Path)
	b := breach("SMDO-FORMAT", field, msg.F("a value the exchange format allows: %s", first.Message), valueAt(doc, first.Path), schemaFix)
	if first.Kind == schema.Missing && len(first.Expected) > 0 {
		name := first.Expected[0]
		b = breach("SMDO-FORMAT", strings.TrimPrefix(field+"."+name, "."), msg.F("the field %s, which the exchange format requires", name),
			msg.F("no %s", name), msg.F("add %s as the exchange format states it (fixtures/smdo/packet.schema.json)", name))
	}
	if len(v) > 1 {
		b.Note = msg.F("%d more violations of the schema", len(v)-1)
	}
	return b
}

// mostSpecific is the violation with the deepest path among the first line's: a oneOf's own
// error says less than the error inside the branch.
func mostSpecific(v []schema.Violation) schema.Violation {
	best := v[0]
	for _, x := range v[1:] {
		if strings.Count(x.Path, "/") > strings.Count(best.Path, "/") && x.Line == best.Line {
			best = x
		}
	}
	return best
}

// packetJSON is the package JSON as the client sent it, for the schema.
func (r *Router) packetJSON(p *pkg) []byte {
	m := map[string]json.RawMessage{}
	if p.dateSent != nil {
		m["dateSent"] = p.dateSent
	}
	if p.parentID != "" {
		m["parentId"], _ = json.Marshal(p.parentID)
	}
	if p.toRaw != nil {
		m["to"] = p.toRaw
	}
	if p.body != nil {
		m["body"] = p.body
	}
	b, _ := json.Marshal(m)
	return b
}

// dotted renders a schema path ("to/0/idAbonent") as this API names fields ("to[0].idAbonent").
func dotted(path string) string {
	var s strings.Builder
	for _, seg := range strings.Split(path, "/") {
		if seg == "" {
			continue
		}
		if _, err := strconv.Atoi(seg); err == nil {
			s.WriteString("[" + seg + "]")
			continue
		}
		if s.Len() > 0 {
			s.WriteByte('.')
		}
		s.WriteString(seg)
	}
	return s.String()
}

// valueAt describes the value at a schema path of doc.
func valueAt(doc []byte, path string) msg.Text {
	var v any = nil
	if err := json.Unmarshal(doc, &v); err != nil {
		return msg.F("unreadable")
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "" {
			continue
		}
		switch c := v.(type) {
		case map[string]any:
			v = c[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return msg.F("absent")
			}
			v = c[i]
		default:
			return msg.F("absent")
		}
	}
	b, _ := json.Marshal(v)
	return describeJSON(b)
}

// checkSender: SMDO-FORMAT, the sender is the caller and an active subscriber.
func (r *Router) checkSender(env envelope, sender *Subscriber) *rule.Breach {
	const field = envPath + ".header.sender.id"
	if sender == nil {
		return breach("SMDO-FORMAT", field, msg.F("a subscriber of the router"), msg.F("the sender is no longer a subscriber"), msg.F("register the subscriber"))
	}
	if env.Header.Sender.ID != sender.Code {
		return breach("SMDO-FORMAT", field, msg.F("the smdoCode of the caller, %s", sender.Code), quoteOrNone(env.Header.Sender.ID),
			msg.F("put the system's own smdoCode in header.sender.id"))
	}
	if !sender.active() {
		return breach("SMDO-FORMAT", field, msg.F("an active subscriber"), msg.F("subscriber %s is %s", sender.Code, sender.Status),
			msg.F("have the subscriber restored before sending"))
	}
	return nil
}

// checkReceivers: SMDO-FORMAT, every receiver an active subscriber other than the sender, named
// once in to[] (idAbonent) and once in header.receiver[] (smdoCode).
func (r *Router) checkReceivers(p *pkg, env envelope, sender *Subscriber) *rule.Breach {
	codes := map[string]bool{}
	for i, id := range p.to {
		field := fmt.Sprintf("to[%d].idAbonent", i)
		sub := r.subscribers[id]
		switch {
		case sub == nil:
			return breach("SMDO-FORMAT", field, msg.F("the idAbonent of a subscriber (organization.id of the subscriber directory)"),
				msg.F("%s, no subscriber", quoteOrNone(id)), msg.F("take the receiver's organization.id from the subscriber directory"))
		case !sub.active():
			return breach("SMDO-FORMAT", field, msg.F("an active receiver"), msg.F("subscriber %s is %s", id, sub.Status),
				msg.F("send only to subscribers whose subscriberStatus is ACTIVE"))
		case id == sender.ID:
			return breach("SMDO-FORMAT", field, msg.F("a receiver other than the sender"), msg.F("%s, the sender itself", quoteOrNone(id)),
				msg.F("send to another subscriber"))
		case codes[sub.Code]:
			return breach("SMDO-FORMAT", field, msg.F("each receiver once"), msg.F("%s again", quoteOrNone(id)), msg.F("name each receiver once"))
		}
		codes[sub.Code] = true
	}
	named := map[string]bool{}
	for i, rc := range env.Header.Receiver {
		field := fmt.Sprintf("%s.header.receiver[%d].id", envPath, i)
		if !codes[rc.ID] || named[rc.ID] {
			return breach("SMDO-FORMAT", field, msg.F("the smdoCode of a receiver of to[], once"), quoteOrNone(rc.ID),
				msg.F("list in header.receiver[] the smdoCode of each subscriber of to[]"))
		}
		named[rc.ID] = true
	}
	for code := range codes {
		if !named[code] {
			return breach("SMDO-FORMAT", envPath+".header.receiver", msg.F("every receiver of to[] named by its smdoCode"),
				msg.F("no receiver %s", code), msg.F("add {\"id\": \"%s\"} to header.receiver[]", code))
		}
	}
	return nil
}

// checkMsgID: SMDO-FORMAT, msg_id unique across every package the router took.
func (r *Router) checkMsgID(env envelope) *rule.Breach {
	if r.msgIDs.has(env.MsgID) {
		return breach("SMDO-FORMAT", envPath+".msg_id", msg.F("a msg_id the router never took"), msg.F("%s, taken already", env.MsgID),
			msg.F("give each package a new UUID"))
	}
	return nil
}

// checkKind: the message type says what the body holds (1 document, 2 additional materials, 0
// acknowledgement).
func checkKind(env envelope) *rule.Breach {
	b := env.Body
	want, has := map[int]string{1: "document", 2: "addDocuments", 0: "acknowledgement"}[env.Header.MsgType], ""
	switch {
	case b.Document != nil:
		has = "document"
	case b.AddDocuments != nil:
		has = "addDocuments"
	case b.Acknowledgement != nil:
		has = "acknowledgement"
	}
	if want != has {
		return breach("SMDO-FORMAT", envPath+".header.msg_type", msg.F("msg_type %d with body.%s", env.Header.MsgType, want),
			msg.Raw("body."+has), msg.F("set msg_type 1 for a document, 2 for additional materials, 0 for an acknowledgement"))
	}
	return nil
}

// checkDirectories: SMDO-FORMAT and SMDO-DIR, the document kind and every file type from the
// directories.
func (r *Router) checkDirectories(env envelope) *rule.Breach {
	if d := env.Body.Document; d != nil && !r.known.kinds[d.Kind] {
		return breach("SMDO-DIR", bodyPath+".document.kind", msg.F("the name (or docCode) of an active document type of the directory"),
			quoteOrNone(d.Kind), msg.F("take the kind from GET smdo_nsi_doc_type/1.0.0/smdo_nsi/doc_type/v1"))
	}
	for _, t := range transfersOf(env) {
		if !r.known.extensions[strings.ToLower(t.Type)] {
			return breach("SMDO-DIR", t.path+".type", msg.F("the extension of an active file type of the directory (\".pdf\")"),
				quoteOrNone(t.Type), msg.F("take the type from GET smdo_nsi_file_type/1.0.0/smdo_nsi/file_type/v1"))
		}
	}
	return nil
}

// transfersOf lists the docTransfers of a document or of additional materials' folders.
func transfersOf(env envelope) []transfer {
	var out []transfer
	if d := env.Body.Document; d != nil {
		for i, t := range d.DocTransfer {
			out = append(out, transfer{fmt.Sprintf("%s.document.docTransfer[%d]", bodyPath, i), t})
		}
	}
	if a := env.Body.AddDocuments; a != nil {
		for f, fo := range a.Folder {
			for i, t := range fo.DocTransfer {
				out = append(out, transfer{fmt.Sprintf("%s.addDocuments.folder[%d].docTransfer[%d]", bodyPath, f, i), t})
			}
		}
	}
	return out
}

// checkFiles: SMDO-FORMAT, every docTransfer names an attached file (data.referenceid = the
// attachment's name) and every attachment is named by exactly one.
func checkFiles(p *pkg, transfers []transfer) *rule.Breach {
	named := map[string]string{}
	var names []string
	for _, a := range p.attachments {
		names = append(names, strconv.Quote(a.name))
	}
	for _, t := range transfers {
		ref := t.Data.ReferenceID
		if p.attachmentNamed(ref) == nil {
			return breach("SMDO-FORMAT", t.path+".data.referenceid", msg.F("the name of a file attached to the package (%s)", orNone(names)),
				quoteOrNone(ref), msg.F("attach the file with this name as the part's filename, or name the attached file"))
		}
		if prev, dup := named[ref]; dup {
			return breach("SMDO-FORMAT", t.path+".data.referenceid", msg.F("each file named by one docTransfer"),
				msg.F("%s, named by %s too", quoteOrNone(ref), prev), msg.F("describe each file once"))
		}
		named[ref] = t.path
	}
	for i, a := range p.attachments {
		if _, ok := named[a.name]; !ok {
			return breach("SMDO-FORMAT", fmt.Sprintf("attachments[%d]", i), msg.F("every attached file named by a docTransfer's data.referenceid"),
				msg.F("the file %q (attachment %s) is named by none", a.name, a.id), msg.F("describe the file in a docTransfer, or detach it"))
		}
	}
	return nil
}

func (p *pkg) attachmentNamed(name string) *attachment {
	for _, a := range p.attachments {
		if a.name == name {
			return a
		}
	}
	return nil
}

func orNone(s []string) msg.Text {
	if len(s) == 0 {
		return msg.F("none attached")
	}
	return msg.Raw(strings.Join(s, ", "))
}

// checkRelations: the package an acknowledgement answers (SMDO-ACK), the document a reply answers
// (SMDO-REPLY), the document additional materials complete (SMDO-ADD). Reconstructed: the format
// names the fields; the router's own checks of them are not public.
func (r *Router) checkRelations(p *pkg, env envelope) *rule.Breach {
	b := env.Body
	switch {
	case b.Acknowledgement != nil:
		return r.checkAcknowledgement(p, b.Acknowledgement)
	case b.Document != nil && b.Document.DocParent != nil:
		return r.checkReply(p, b.Document.DocParent)
	case b.AddDocuments != nil:
		return r.checkAdditions(p, b.AddDocuments.Folder)
	case p.parentID != "" && r.relatedTo(p.from, p.parentID) == nil:
		return breach("SMDO-REPLY", "parentId", msg.F("the packageId of a package the sender sent or received"), quoteOrNone(p.parentID),
			msg.F("leave parentId out of a document that answers nothing"))
	}
	return nil
}

func (r *Router) checkAcknowledgement(p *pkg, ack *acknowledgement) *rule.Breach {
	if p.parentID == "" {
		return breach("SMDO-ACK", "parentId", msg.F("the packageId of the package acknowledged (its id in the incoming list)"), msg.F("none"),
			msg.F("set parentId to the id of the package acknowledged"))
	}
	parent := r.received(p.from, p.parentID)
	if parent == nil {
		return breach("SMDO-ACK", "parentId", msg.F("the id of a package in the sender's incoming list"), quoteOrNone(p.parentID),
			msg.F("set parentId to the id of the package acknowledged"))
	}
	if ack.MsgID != parent.facts.msgID {
		return breach("SMDO-ACK", bodyPath+".acknowledgement.msg_id", msg.F("the msg_id of the package acknowledged, %s", parent.facts.msgID),
			quoteOrNone(ack.MsgID), msg.F("copy body.envelop.msg_id of the package acknowledged"))
	}
	if len(p.to) != 1 || p.to[0] != parent.from {
		return breach("SMDO-ACK", "to", msg.F("the sender of the package acknowledged, %s", parent.from), msg.F("to %s", strings.Join(p.to, ", ")),
			msg.F("send the acknowledgement to the package's sender only"))
	}
	return nil
}

// checkReply: SMDO-REPLY, a reply names the document it answers. Reconstructed: the format names
// docParent's fields but not which of them carries what, and clients differ; the router accepts
// the answered package's msg_id in lastmsg_id or in parmsg_id, and its sender by smdoCode or by
// idAbonent in parorg_id, and says so when it refuses.
func (r *Router) checkReply(p *pkg, dp *docParent) *rule.Breach {
	const field = bodyPath + ".document.docParent"
	parent := r.receivedDocument(p.from, p.parentID)
	if parent == nil {
		return breach("SMDO-REPLY", "parentId", msg.F("the id of the package of the document answered, in the sender's incoming list"),
			quoteOrNone(p.parentID), msg.F("set parentId to the id of the package answered"))
	}
	var b *rule.Breach
	switch {
	case dp.IDNumber != parent.facts.idNumber:
		b = breach("SMDO-REPLY", field+".idnumber", msg.F("the idnumber of the document answered, %s", parent.facts.idNumber),
			quoteOrNone(dp.IDNumber), msg.F("copy document.idnumber of the document answered"))
	case dp.LastMsgID != parent.facts.msgID && dp.ParMsgID != parent.facts.msgID:
		b = breach("SMDO-REPLY", field+".lastmsg_id", msg.F("the msg_id of the package answered, %s, in lastmsg_id or parmsg_id", parent.facts.msgID),
			msg.F("lastmsg_id %s, parmsg_id %s", quoteOrNone(dp.LastMsgID), quoteOrNone(dp.ParMsgID)),
			msg.F("copy body.envelop.msg_id of the package answered"))
	case !namesSender(dp.ParOrgID, parent.from, r.subscribers[parent.from]):
		b = breach("SMDO-REPLY", field+".parorg_id", msg.F("the document's sender, %s", senderNames(parent.from, r.subscribers[parent.from])),
			quoteOrNone(dp.ParOrgID), msg.F("copy header.sender.id of the package answered"))
	}
	if b != nil {
		b.Note = msg.F("reconstructed: the router's own check of docParent is not public")
	}
	return b
}

// namesSender reports whether parorg_id names the sender with ID id: its smdoCode or its idAbonent.
func namesSender(parOrgID, id string, sender *Subscriber) bool {
	return parOrgID == id || (sender != nil && parOrgID == sender.Code)
}

// senderNames is how a reply may name the document's sender.
func senderNames(id string, sender *Subscriber) msg.Text {
	if sender == nil {
		return msg.F("%s (idAbonent)", id)
	}
	return msg.F("%s (smdoCode) or %s (idAbonent)", sender.Code, id)
}

func (r *Router) checkAdditions(p *pkg, folders []folder) *rule.Breach {
	for i, f := range folders {
		if r.sentDocument(p.from, f.Referred.IDNumber) == nil {
			return breach("SMDO-ADD", fmt.Sprintf("%s.addDocuments.folder[%d].referred.idnumber", bodyPath, i),
				msg.F("the idnumber of a document the sender sent"), quoteOrNone(f.Referred.IDNumber),
				msg.F("refer to the idnumber of a document sent before"))
		}
	}
	if p.parentID != "" {
		if parent := r.packages[p.parentID]; parent == nil || parent.from != p.from || !parent.delivering() {
			return breach("SMDO-ADD", "parentId", msg.F("the packageId of a package the sender sent"), quoteOrNone(p.parentID),
				msg.F("set parentId to the package of the document completed, or leave it out"))
		}
	}
	return nil
}

// delivering reports whether a package reached (or is in) its receivers' lists.
func (p *pkg) delivering() bool { return p.state == StateRouted || p.state == StateDelivered }

// received is a package routed to subscriber id, not the router's own (r.mu held).
func (r *Router) received(id, packageID string) *pkg {
	p := r.packages[packageID]
	if p == nil || p.router || !p.delivering() || p.deliveryTo(id) == nil {
		return nil
	}
	return p
}

// receivedDocument is a document (msg_type 1) routed to subscriber id (r.mu held).
func (r *Router) receivedDocument(id, packageID string) *pkg {
	if p := r.received(id, packageID); p != nil && p.facts.msgType == 1 {
		return p
	}
	return nil
}

// sentDocument is a document with this idnumber subscriber id sent and the router routed (r.mu held).
func (r *Router) sentDocument(id, idNumber string) *pkg {
	for i := len(r.order) - 1; i >= 0; i-- {
		p := r.packages[r.order[i]]
		if p.from == id && p.delivering() && p.facts.msgType == 1 && p.facts.idNumber == idNumber && idNumber != "" {
			return p
		}
	}
	return nil
}

// relatedTo is a package subscriber id sent or received (r.mu held).
func (r *Router) relatedTo(id, packageID string) *pkg {
	p := r.packages[packageID]
	if p == nil || (p.from != id && p.deliveryTo(id) == nil) {
		return nil
	}
	return p
}
