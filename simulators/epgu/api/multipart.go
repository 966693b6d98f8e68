package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/shepconf/shepconf/internal/msg"
)

// form is a push's multipart body (EPGU-T10, EPGU-T14).
type form struct {
	fields   map[string]string // meta, orderId, chunk, chunks
	metaType string            // Content-Type of the meta part, if it had one
	file     []byte
	hasFile  bool
	fileName string
	tooLarge bool // the file part was larger than the limit; file holds its first limit bytes
	unknown  []string
}

const fieldLimit = 64 << 10

var formFields = map[string]bool{"meta": true, "orderId": true, "chunk": true, "chunks": true}

// readForm reads a multipart/form-data body, holding at most fileLimit bytes of the file part.
func readForm(w http.ResponseWriter, r *http.Request, fileLimit int64) (*form, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, msg.Errorf("Content-Type %q is not multipart/form-data", r.Header.Get("Content-Type"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, fileLimit+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	f := &form{fields: map[string]string{}}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			if f.tooLarge {
				return f, nil // the body limit cut an oversized file: the caller answers the size rule
			}
			return nil, msg.Errorf("multipart body: %w", err)
		}
		name := p.FormName()
		switch {
		case name == "file":
			if f.hasFile {
				return nil, msg.Errorf("the part file is sent twice")
			}
			f.hasFile, f.fileName = true, p.FileName()
			f.file, err = io.ReadAll(io.LimitReader(p, fileLimit+1))
			if err != nil {
				return nil, msg.Errorf("part file: %w", err)
			}
			if int64(len(f.file)) > fileLimit {
				f.file, f.tooLarge = f.file[:fileLimit], true
				_, _ = io.Copy(io.Discard, p) // read the rest (up to the body limit) so the answer reaches the client
			}
		case formFields[name]:
			if _, dup := f.fields[name]; dup {
				return nil, msg.Errorf("the part %s is sent twice", name)
			}
			b, err := io.ReadAll(io.LimitReader(p, fieldLimit))
			if err != nil {
				return nil, msg.Errorf("part %s: %w", name, err)
			}
			f.fields[name] = string(b)
			if name == "meta" {
				f.metaType = p.Header.Get("Content-Type")
			}
		default:
			f.unknown = append(f.unknown, name)
			_, _ = io.Copy(io.Discard, io.LimitReader(p, fieldLimit))
		}
		p.Close()
	}
}
