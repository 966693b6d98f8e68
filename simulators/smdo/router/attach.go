package router

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
)

// maxNameBytes bounds a file's name (the attachment's name, its docTransfer's referenceid).
const maxNameBytes = 255

// attach adds a file to an unsent package: POST …/package/{packageId}/attach, multipart/form-data
// with the part "file" whose filename is the attachment's name (the referenceid its docTransfer
// names). Answered {"id","name","size"} (SMDO-SEND).
func (r *Router) attach(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	if r.refusedStage(w, req, caller, StageAttach) {
		return
	}
	id := req.PathValue("packageId")
	r.mu.Lock()
	p := r.outgoing(w, req, caller, id)
	ok := p != nil && !r.alreadySent(w, req, p)
	var held int64
	if ok {
		held, ok = r.reserve(w, req, p)
	}
	r.mu.Unlock()
	if !ok {
		return
	}
	name, data, status, b := readFile(w, req, r.limits.MaxFileBytes)
	r.mu.Lock()
	defer r.mu.Unlock()
	// The reservation ends here whatever the outcome; a file kept is counted as itself below.
	r.reserved -= held
	if b != nil {
		refuse(w, req, status, b)
		return
	}
	if p = r.outgoing(w, req, caller, id); p == nil || r.alreadySent(w, req, p) {
		return // deleted or sent while the file was read
	}
	for _, a := range p.attachments {
		if a.name == name {
			refuse(w, req, http.StatusBadRequest, breach("SMDO-FORMAT", "file", msg.F("a file name not yet attached to the package (each docTransfer names one file by it)"),
				msg.F("the name %q is already attachment %s", name, a.id), msg.F("give each file its own name, or delete the attachment first")))
			return
		}
	}
	if len(p.attachments) >= r.limits.MaxAttachments {
		refuse(w, req, http.StatusBadRequest, breach("SMDO-SEND", "file", msg.F("at most %d files in a package", r.limits.MaxAttachments),
			msg.F("%d files attached", len(p.attachments)), msg.F("send the files in more packages")))
		return
	}
	if b := r.roomBreach("file", int64(len(data)), p.id); b != nil {
		refuse(w, req, http.StatusRequestEntityTooLarge, b)
		return
	}
	a := &attachment{id: uuid.NewString(), name: name, data: data}
	p.attachments = append(p.attachments, a)
	r.stored += int64(len(data))
	p.restate(r.now())
	recordOf(req).AttachID = a.id
	server.WriteJSON(w, http.StatusOK, attachAnswer{ID: a.id, Name: a.name, Size: len(a.data)})
}

// reserve holds room for an upload before its bytes are read (r.mu held): the request's
// Content-Length when it announces less than MaxFileBytes, else MaxFileBytes. Reading first and
// checking after would let N concurrent uploads hold N×MaxFileBytes beyond MaxStoredBytes. An
// upload that does not fit is answered 413 at once, its body unread.
func (r *Router) reserve(w http.ResponseWriter, req *http.Request, p *pkg) (int64, bool) {
	n := r.limits.MaxFileBytes
	if req.ContentLength >= 0 && req.ContentLength < n {
		n = req.ContentLength // the server reads no more of the body than its Content-Length
	}
	if b := r.roomBreach("file", n, p.id); b != nil {
		b.Note = msg.F("an upload holds room for its Content-Length (or for the largest file, without one) while it is read")
		refuse(w, req, http.StatusRequestEntityTooLarge, b)
		return 0, false
	}
	r.reserved += n
	return n, true
}

// detach removes a file from an unsent package: DELETE …/package/{packageId}/attach/{attachId} → 204.
func (r *Router) detach(w http.ResponseWriter, req *http.Request, caller *Subscriber) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, a := r.outgoingAttachment(w, req, caller)
	if a == nil {
		return
	}
	for i, x := range p.attachments {
		if x == a {
			p.attachments = append(p.attachments[:i], p.attachments[i+1:]...)
			break
		}
	}
	r.stored -= int64(len(a.data))
	p.restate(r.now())
	w.WriteHeader(http.StatusNoContent)
}

// outgoingAttachment is an attachment of the caller's unsent package, or answers 404 or 409
// (r.mu held).
func (r *Router) outgoingAttachment(w http.ResponseWriter, req *http.Request, caller *Subscriber) (*pkg, *attachment) {
	p := r.outgoing(w, req, caller, req.PathValue("packageId"))
	if p == nil || r.alreadySent(w, req, p) {
		return nil, nil
	}
	id := req.PathValue("attachId")
	a := p.attachment(id)
	if a == nil {
		refuse(w, req, http.StatusNotFound, breach("SMDO-SEND", "attachId", msg.F("the id the attach call answered for a file of package %s", p.id),
			msg.F("%s, not a file of the package", quoteOrNone(id)), msg.F("use the id of the attach call's answer")))
		return nil, nil
	}
	return p, a
}

// readFile reads the part "file" of a multipart body, holding at most limit bytes of it.
func readFile(w http.ResponseWriter, req *http.Request, limit int64) (name string, data []byte, status int, b *rule.Breach) {
	fail := func(status int, field string, expected, observed, fix msg.Text) (string, []byte, int, *rule.Breach) {
		return "", nil, status, breach("SMDO-SEND", field, expected, observed, fix)
	}
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return fail(http.StatusBadRequest, "Content-Type", msg.F("multipart/form-data with the part file"),
			quoteOrNone(req.Header.Get("Content-Type")), msg.F("send the file as multipart/form-data, field file"))
	}
	req.Body = http.MaxBytesReader(w, req.Body, limit+1<<20)
	mr, err := req.MultipartReader()
	if err != nil {
		return fail(http.StatusBadRequest, "request body", msg.F("a multipart/form-data body"), msg.Of(err), msg.F("send a multipart body with its boundary"))
	}
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		var tooLarge *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return fail(http.StatusBadRequest, "file", msg.F("the part file (the file's bytes, filename = the attachment's name)"),
				msg.F("no part file"), msg.F("send the file in a part named file"))
		case errors.As(err, &tooLarge):
			return fail(http.StatusRequestEntityTooLarge, "file", msg.F("a file of at most %d bytes", limit), msg.F("a larger body"), msg.F("send a smaller file"))
		case err != nil:
			return fail(http.StatusBadRequest, "request body", msg.F("a well-formed multipart body"), msg.Of(err), msg.F("send a well-formed multipart body"))
		case parts >= 16:
			return fail(http.StatusBadRequest, "request body", msg.F("the part file among at most 16 parts"), msg.F("more parts"), msg.F("send the part file"))
		}
		if part.FormName() != "file" {
			_, _ = io.Copy(io.Discard, io.LimitReader(part, 64<<10))
			continue
		}
		name = part.FileName()
		switch {
		case name == "":
			return fail(http.StatusBadRequest, "file", msg.F("a filename in the part's Content-Disposition (the referenceid its docTransfer names)"),
				msg.F("no filename"), msg.F("send the attachment's name as the part's filename"))
		case len(name) > maxNameBytes || !utf8.ValidString(name):
			return fail(http.StatusBadRequest, "file", msg.F("a UTF-8 filename of at most %d bytes", maxNameBytes),
				msg.F("a filename of %d bytes", len(name)), msg.F("give the file a shorter name"))
		}
		data, err = io.ReadAll(io.LimitReader(part, limit+1))
		if errors.As(err, &tooLarge) || int64(len(data)) > limit {
			return fail(http.StatusRequestEntityTooLarge, "file", msg.F("a file of at most %d bytes", limit),
				msg.F("a larger file"), msg.F("send a smaller file"))
		}
		if err != nil {
			return fail(http.StatusBadRequest, "file", msg.F("the whole file"), msg.Of(err), msg.F("send the whole file"))
		}
		return name, data, 0, nil
	}
}
