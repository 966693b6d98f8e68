// Package wire reads a SOAP request body off HTTP as UTF-8 XML: it undoes the content coding
// (Content-Encoding gzip or deflate) and the character encoding (the HTTP charset, a byte order mark
// or the XML declaration), so every later parser (libxml2, encoding/xml, etree) sees the same UTF-8
// document. SOAP 1.1 over HTTP allows both; clients agencies already run send them.
package wire

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"

	"github.com/shepconf/shepconf/internal/msg"
)

// Body is a request body as read: the XML in UTF-8, and what was undone to get it.
type Body struct {
	XML      []byte // the document in UTF-8, without a byte order mark, its declaration saying UTF-8
	Received int64  // bytes on the wire, before decompression
	Coding   string // the Content-Encoding undone ("" when none)
	Charset  string // the character encoding transcoded from ("" when the body was UTF-8 already)
}

// Describe says what arrived, for the journal: "812 bytes", "312 bytes, gzip, windows-1251".
func (b Body) Describe() string {
	s := fmt.Sprintf("%d bytes", b.Received)
	if b.Coding != "" {
		s += ", " + b.Coding
	}
	if b.Charset != "" {
		s += ", " + b.Charset
	}
	return s
}

// Error is a body the gateway cannot read as XML. It names the header (or the part of the body) at
// fault, what was sent, what is accepted and the fix, so the caller can render it as a rule breach.
type Error struct {
	Field    string // "Content-Encoding", "Content-Type charset", "XML declaration encoding", "body"
	Expected msg.Text
	Observed msg.Text
	Fix      msg.Text
	Err      error // the underlying error, when there is one
}

func (e *Error) Error() string { return e.Text().String() }

// Text is the error as a message, rendered in a report's language.
func (e *Error) Text() msg.Text {
	return msg.F("%s: expected %s; observed %s. Fix: %s", e.Field, e.Expected, e.Observed, e.Fix)
}

func (e *Error) Unwrap() error { return e.Err }

// BufferedBody is a request body already read into memory (by the gateway's admission, which reads
// every body before an exchange takes a slot): ReadBody takes its bytes as they are, with no copy.
type BufferedBody struct {
	*bytes.Reader
	raw []byte
}

// Buffered wraps a body read into memory, to stand for the request's Body.
func Buffered(raw []byte) *BufferedBody { return &BufferedBody{Reader: bytes.NewReader(raw), raw: raw} }

// Close does nothing: the bytes are in memory.
func (*BufferedBody) Close() error { return nil }

// Codings is what the gateway undoes of Content-Encoding (RFC 9110 section 8.4.1).
const Codings = "gzip, deflate or identity"

// ReadBody reads r's body, at most limit bytes on the wire and at most limit bytes once decompressed
// (so a small compressed bomb cannot fill memory), and returns it as UTF-8 XML. Every failure is an
// *Error; Received is set even then.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) (Body, error) {
	raw := &counter{r: http.MaxBytesReader(w, r.Body, limit)}
	var b Body
	in, coding, err := decoded(raw, r.Header.Get("Content-Encoding"))
	b.Coding = coding
	if err != nil {
		b.Received = raw.n
		return b, err
	}
	var data []byte
	if buffered, ok := r.Body.(*BufferedBody); ok && coding == "" {
		data, raw.n = buffered.raw, int64(len(buffered.raw))
		if raw.n > limit {
			err = &http.MaxBytesError{Limit: limit}
		}
	} else {
		data, err = io.ReadAll(io.LimitReader(in, limit+1))
	}
	b.Received = raw.n
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return b, &Error{Field: "body", Expected: msg.F("a message of at most %d bytes", limit),
			Observed: msg.F("more than %d bytes on the wire", limit), Fix: msg.F("send a smaller message"), Err: err}
	case err != nil && coding != "":
		return b, &Error{Field: "Content-Encoding", Expected: msg.F("a body in the %s format the header names", coding),
			Observed: msg.F("Content-Encoding %q, but the body does not decompress: %v", coding, err),
			Fix:      msg.F("compress the body as the header says, or drop the header and send it uncompressed"), Err: err}
	case err != nil:
		// The connection's own error (a client that hung up), quoted as it is.
		return b, &Error{Field: "body", Expected: msg.F("the whole message"), Observed: msg.Of(err), Fix: msg.F("send the message again"), Err: err}
	case int64(len(data)) > limit:
		return b, &Error{Field: "Content-Encoding", Expected: msg.F("a message of at most %d bytes once decompressed", limit),
			Observed: msg.F("Content-Encoding %s: more than %d bytes after decompression (%d on the wire)", coding, limit, raw.n),
			Fix:      msg.F("send a smaller message")}
	}
	b.XML, b.Charset, err = toUTF8(data, r.Header.Get("Content-Type"))
	return b, err
}

// counter counts the bytes read off the wire.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decoded undoes the content codings of the header, last applied first (RFC 9110 section 8.4).
func decoded(body io.Reader, header string) (io.Reader, string, error) {
	var codings []string
	for _, c := range strings.Split(header, ",") {
		c = strings.ToLower(strings.TrimSpace(c))
		switch c {
		case "", "identity":
		case "gzip", "x-gzip", "deflate": // RFC 9110 section 8.4.1.3: x-gzip is gzip
			codings = append(codings, c)
		default:
			return nil, "", &Error{Field: "Content-Encoding", Expected: msg.F("gzip, deflate or identity"),
				Observed: msg.F("Content-Encoding %q", header),
				Fix:      msg.F("send the body uncompressed, or compressed with gzip or deflate")}
		}
	}
	in := body
	for i := len(codings) - 1; i >= 0; i-- {
		var err error
		if codings[i] == "deflate" {
			in, err = inflate(in)
		} else {
			in, err = gzip.NewReader(in)
		}
		if err != nil {
			return nil, strings.Join(codings, ", "), &Error{Field: "Content-Encoding",
				Expected: msg.F("a body in the %s format the header names", codings[i]),
				Observed: msg.F("Content-Encoding %q, but the body does not decompress: %v", header, err),
				Fix:      msg.F("compress the body as the header says, or drop the header and send it uncompressed"), Err: err}
		}
	}
	return in, strings.Join(codings, ", "), nil
}

// inflate reads deflate as RFC 9110 defines it (the zlib format, RFC 1950) and, as some stacks send,
// a raw deflate stream (RFC 1951): a zlib stream starts with a header whose 16 bits divide by 31.
func inflate(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	h, err := br.Peek(2)
	if err != nil {
		return nil, err
	}
	if h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	// The encoding declaration of an XML declaration (XML 1.0 section 4.3.3).
	encodingDecl = regexp.MustCompile(`^(<\?xml\s[^>]*?\bencoding\s*=\s*)(["'])([A-Za-z][A-Za-z0-9._-]*)(["'])`)
)

// toUTF8 decides the body's character encoding and transcodes it to UTF-8.
//
// The order is RFC 7303 section 3.2's for XML over HTTP: a byte order mark, then the charset parameter
// of Content-Type, then the XML declaration's encoding, then UTF-8 (the XML default). So when the
// HTTP charset and the XML declaration disagree the HTTP charset wins, and the declaration is only
// rewritten. A body the winning encoding cannot decode is refused with both encodings named, never
// silently reinterpreted.
func toUTF8(data []byte, contentType string) (out []byte, charset string, err error) {
	httpCharset := ""
	if _, params, perr := mime.ParseMediaType(contentType); perr == nil {
		httpCharset = strings.ToLower(strings.Trim(params["charset"], `"' `))
	}
	declared := declaredEncoding(data)

	var enc encoding.Encoding
	name, from := "utf-8", "" // from: what decided the encoding, for the error
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		data, from = data[len(bomUTF8):], "byte order mark"
	case bytes.HasPrefix(data, bomUTF16LE):
		enc, name, from = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "utf-16le", "byte order mark"
	case bytes.HasPrefix(data, bomUTF16BE):
		enc, name, from = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "utf-16be", "byte order mark"
	case httpCharset != "":
		enc, name, err = lookup(httpCharset, data, "Content-Type charset")
		from = "Content-Type charset"
	case declared != "":
		enc, name, err = lookup(declared, data, "XML declaration encoding")
		from = "XML declaration encoding"
	default:
		// XML 1.0 Appendix F: without a BOM or a declaration, UTF-16 shows in the first two bytes ('<').
		if len(data) >= 2 && data[0] == '<' && data[1] == 0 {
			enc, name, from = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", "the first bytes"
		} else if len(data) >= 2 && data[0] == 0 && data[1] == '<' {
			enc, name, from = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", "the first bytes"
		}
	}
	if err != nil {
		return nil, "", err
	}
	if enc == nil { // UTF-8
		if i := invalidUTF8(data); i >= 0 {
			return nil, "", mismatch(from, "utf-8", declared, msg.F("the body is not valid UTF-8 at byte %d", i))
		}
		// A declaration naming another encoding is overruled (say, by charset=utf-8) and rewritten,
		// or libxml2 would decode the UTF-8 bytes by it.
		return rewriteDeclaration(data), "", nil
	}
	out, err = enc.NewDecoder().Bytes(data)
	if err != nil {
		return nil, "", mismatch(from, name, declared, msg.F("the body does not decode as %s: %v", name, err))
	}
	out = bytes.TrimPrefix(out, bomUTF8)
	// A lying charset (an ASCII body labelled UTF-16, or the reverse) decodes into text that is not XML.
	if t := bytes.TrimLeft(out, " \t\r\n"); len(t) > 0 && t[0] != '<' {
		return nil, "", mismatch(from, name, declared, msg.F("decoded as %s, the body does not start with '<'", name))
	}
	return rewriteDeclaration(out), name, nil
}

// declaredEncoding is the encoding named by the XML declaration of an ASCII-compatible body; "" when
// there is none (a UTF-16 body has no ASCII declaration to read, and needs a BOM or a charset).
func declaredEncoding(data []byte) string {
	head := bytes.TrimPrefix(data[:min(len(data), 200)], bomUTF8)
	if m := encodingDecl.FindSubmatch(head); m != nil {
		return strings.ToLower(string(m[3]))
	}
	return ""
}

// lookup finds an encoding by its label (the WHATWG Encoding Standard's labels: windows-1251, cp1251,
// koi8-r, iso-8859-5, utf-16le ...). UTF-16 without an order is taken from a BOM or the first bytes.
func lookup(label string, data []byte, field string) (encoding.Encoding, string, error) {
	switch label {
	case "utf-8", "utf8":
		return nil, "utf-8", nil
	case "utf-16", "utf16", "ucs-2":
		if len(data) >= 2 && data[0] == 0 {
			return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", nil
		}
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", nil
	case "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", nil
	}
	enc, err := htmlindex.Get(label)
	name := ""
	if err == nil {
		name, _ = htmlindex.Name(enc)
	}
	if name == "utf-8" { // an alias such as unicode-1-1-utf-8: checked, not transcoded
		return nil, name, nil
	}
	if err != nil || name == "replacement" {
		return nil, "", &Error{Field: field, Expected: msg.F("UTF-8, UTF-16 or a single-byte encoding such as windows-1251"),
			Observed: msg.F("%s %q, an encoding the gateway does not know", field, label),
			Fix:      msg.F("send the message in UTF-8 (the SOAP default) and say so: Content-Type text/xml; charset=utf-8"), Err: err}
	}
	return enc, name, nil
}

// mismatch is a body its chosen encoding cannot decode: most often a charset that does not say what
// the body is.
func mismatch(from, name, declared string, observed msg.Text) error {
	field := from
	if field == "" {
		field = "body"
	}
	if declared != "" && declared != name {
		observed = msg.F("%s (the XML declaration says %s; a BOM, then the Content-Type charset, decide first, RFC 7303 section 3.2)", observed, declared)
	}
	return &Error{Field: field, Expected: msg.F("a body in the encoding it declares, %s", name),
		Observed: observed,
		Fix:      msg.F("make the Content-Type charset and the XML declaration name the encoding the body is written in, or send UTF-8")}
}

// invalidUTF8 is the offset of the first byte that is not UTF-8, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// rewriteDeclaration makes the XML declaration say what the bytes now are: UTF-8. A body that says
// so already, or has no declaration, is returned as it is.
func rewriteDeclaration(b []byte) []byte {
	m := encodingDecl.FindSubmatchIndex(b[:min(len(b), 200)])
	if m == nil || strings.EqualFold(string(b[m[6]:m[7]]), "utf-8") {
		return b
	}
	out := make([]byte, 0, len(b))
	out = append(out, b[:m[6]]...)
	out = append(out, "UTF-8"...)
	return append(out, b[m[7]:]...)
}
