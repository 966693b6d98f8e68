package wire_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/xml"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/shepconf/shepconf/internal/wire"
)

const limit = 1 << 20

// doc is a small SOAP envelope with Cyrillic and Kazakh text, declared in the encoding it is sent in.
func doc(encodingName string) string {
	return `<?xml version="1.0" encoding="` + encodingName + `"?>` +
		`<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><note>Привет, шлюз</note></S:Body></S:Envelope>`
}

func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func read(t *testing.T, body []byte, header map[string]string) (wire.Body, error) {
	t.Helper()
	r := httptest.NewRequest("POST", "/bip-sync-wss-gost/", bytes.NewReader(body))
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return wire.ReadBody(httptest.NewRecorder(), r, limit)
}

// note is the text of the note element, read by encoding/xml, which refuses any declaration but UTF-8.
func note(t *testing.T, b []byte) string {
	t.Helper()
	var v struct {
		Note string `xml:"Body>note"`
	}
	if err := xml.Unmarshal(b, &v); err != nil {
		t.Fatalf("the result is not UTF-8 XML: %v\n%s", err, b)
	}
	return v.Note
}

func gz(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func TestWireCharsets(t *testing.T) {
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	utf16be := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	cases := []struct {
		name        string
		body        []byte
		contentType string
		charset     string // what the body was transcoded from
	}{
		{"utf-8, no charset", []byte(doc("UTF-8")), "text/xml", ""},
		{"utf-8 with a BOM", append([]byte{0xEF, 0xBB, 0xBF}, doc("utf-8")...), "text/xml", ""},
		{"windows-1251 declared in the XML", encode(t, charmap.Windows1251, doc("windows-1251")), "text/xml", "windows-1251"},
		{"windows-1251 in the HTTP charset", encode(t, charmap.Windows1251, doc("windows-1251")), `text/xml; charset="windows-1251"`, "windows-1251"},
		{"cp1251 alias", encode(t, charmap.Windows1251, doc("cp1251")), "text/xml", "windows-1251"},
		{"utf-16le with BOM", encode(t, utf16le, doc("UTF-16")), "text/xml", "utf-16le"},
		{"utf-16be by charset, no BOM", encode(t, utf16be, doc("UTF-16")), "text/xml; charset=utf-16be", "utf-16be"},
		{"utf-16be by charset utf-16, no BOM", encode(t, utf16be, doc("UTF-16")), "text/xml; charset=utf-16", "utf-16be"},
		{"utf-16be, nothing but the first bytes", encode(t, utf16be, doc("UTF-16")), "text/xml", "utf-16be"},
		// RFC 7303 section 3.2: the HTTP charset overrules the declaration, which is rewritten.
		{"HTTP charset overrules the declaration", encode(t, charmap.Windows1251, doc("utf-8")), "text/xml; charset=windows-1251", "windows-1251"},
		{"charset utf-8 overrules a declaration of windows-1251", []byte(doc("windows-1251")), "text/xml; charset=utf-8", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := read(t, c.body, map[string]string{"Content-Type": c.contentType})
			if err != nil {
				t.Fatal(err)
			}
			if got := note(t, b.XML); got != "Привет, шлюз" {
				t.Errorf("note = %q", got)
			}
			if b.Charset != c.charset {
				t.Errorf("charset = %q, want %q", b.Charset, c.charset)
			}
			if b.Received != int64(len(c.body)) {
				t.Errorf("received = %d, want the %d bytes sent", b.Received, len(c.body))
			}
			if bytes.HasPrefix(b.XML, []byte{0xEF, 0xBB, 0xBF}) {
				t.Error("the UTF-8 BOM was kept")
			}
		})
	}
}

// A UTF-8 body that says so is handed on untouched: the transport signature is over these bytes.
func TestWireUTF8Unchanged(t *testing.T) {
	in := []byte(doc("UTF-8"))
	b, err := read(t, in, map[string]string{"Content-Type": "text/xml; charset=utf-8"})
	if err != nil || !bytes.Equal(b.XML, in) {
		t.Fatalf("err %v, body changed: %s", err, b.XML)
	}
}

func TestWireCodings(t *testing.T) {
	body := []byte(doc("UTF-8"))
	var z, raw bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(body)
	zw.Close()
	fw, _ := flate.NewWriter(&raw, flate.BestCompression)
	fw.Write(body)
	fw.Close()
	cases := []struct {
		name, coding string
		body         []byte
	}{
		{"gzip", "gzip", gz(t, body)},
		{"x-gzip", "x-gzip", gz(t, body)},
		{"deflate as zlib (RFC 9110)", "deflate", z.Bytes()},
		{"deflate sent raw", "deflate", raw.Bytes()},
		{"identity", "identity", body},
		{"gzip of windows-1251", "gzip", gz(t, encode(t, charmap.Windows1251, doc("windows-1251")))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := read(t, c.body, map[string]string{"Content-Encoding": c.coding, "Content-Type": "text/xml"})
			if err != nil {
				t.Fatal(err)
			}
			if got := note(t, b.XML); got != "Привет, шлюз" {
				t.Errorf("note = %q", got)
			}
			if b.Received != int64(len(c.body)) {
				t.Errorf("received = %d, want the %d compressed bytes", b.Received, len(c.body))
			}
		})
	}
}

func TestWireRefusals(t *testing.T) {
	bomb := gz(t, bytes.Repeat([]byte("<a/>"), 4*limit)) // 16 MiB of XML in a few KiB
	cases := []struct {
		name   string
		body   []byte
		header map[string]string
		field  string
		says   []string // what the error must name
	}{
		{"br is refused", gz(t, []byte(doc("UTF-8"))), map[string]string{"Content-Encoding": "br"},
			"Content-Encoding", []string{`"br"`, "gzip, deflate", "Fix:"}},
		{"compress is refused", []byte(doc("UTF-8")), map[string]string{"Content-Encoding": "gzip, compress"},
			"Content-Encoding", []string{"compress", "gzip, deflate"}},
		{"gzip bomb", bomb, map[string]string{"Content-Encoding": "gzip"},
			"Content-Encoding", []string{"once decompressed", "after decompression"}},
		{"gzip header, plain body", []byte(doc("UTF-8")), map[string]string{"Content-Encoding": "gzip"},
			"Content-Encoding", []string{"does not decompress", "gzip"}},
		{"too large on the wire", bytes.Repeat([]byte("a"), limit+10), nil,
			"body", []string{"at most"}},
		{"unknown charset", []byte(doc("UTF-8")), map[string]string{"Content-Type": "text/xml; charset=x-klingon"},
			"Content-Type charset", []string{"x-klingon", "charset=utf-8"}},
		{"unknown declared encoding", []byte(doc("x-klingon")), map[string]string{"Content-Type": "text/xml"},
			"XML declaration encoding", []string{"x-klingon"}},
		// The classic lie: a hard-coded charset=utf-8 over a windows-1251 body. The header wins
		// (RFC 7303), so the body is refused, naming both encodings.
		{"lying charset utf-8", encode(t, charmap.Windows1251, doc("windows-1251")), map[string]string{"Content-Type": "text/xml; charset=utf-8"},
			"Content-Type charset", []string{"not valid UTF-8", "windows-1251"}},
		{"lying charset utf-16 over ASCII", []byte(doc("UTF-8")), map[string]string{"Content-Type": "text/xml; charset=utf-16"},
			"Content-Type charset", []string{"utf-16le", "does not start with '<'"}},
		{"undeclared windows-1251", encode(t, charmap.Windows1251, strings.Replace(doc("x"), ` encoding="x"`, "", 1)), nil,
			"body", []string{"not valid UTF-8 at byte"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := read(t, c.body, c.header)
			var e *wire.Error
			if !errors.As(err, &e) {
				t.Fatalf("want a *wire.Error, got %v", err)
			}
			if e.Field != c.field {
				t.Errorf("field = %q, want %q (%v)", e.Field, c.field, err)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the error does not say %q: %v", s, err)
				}
			}
			if e.Fix.IsZero() {
				t.Error("no fix")
			}
		})
	}
}

func TestWireDescribe(t *testing.T) {
	b := wire.Body{Received: 312, Coding: "gzip", Charset: "windows-1251"}
	if got := b.Describe(); got != "312 bytes, gzip, windows-1251" {
		t.Errorf("Describe = %q", got)
	}
}
