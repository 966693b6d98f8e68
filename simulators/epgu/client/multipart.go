package client

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/textproto"
)

// multipartBody builds a multipart/form-data body (EPGU-T9, T13).
func multipartBody(parts func(*multipart.Writer) error) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := parts(w); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// writeMeta writes the meta part, a JSON string of Content-Type application/json (EPGU-T10, T14).
func writeMeta(w *multipart.Writer, m meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="meta"`)
	h.Set("Content-Type", "application/json")
	p, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = p.Write(b)
	return err
}

// writeFile writes the file part: the archive or a chunk of it.
func writeFile(w *multipart.Writer, name string, data []byte) error {
	p, err := w.CreateFormFile("file", name)
	if err != nil {
		return err
	}
	_, err = p.Write(data)
	return err
}
