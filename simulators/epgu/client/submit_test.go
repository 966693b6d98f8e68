package client

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/digitorus/pkcs7"

	"github.com/shepconf/shepconf/internal/rule"
)

// A small signed submission goes by /push: Bearer token, multipart parts meta (application/json,
// the three fields of Table 6) and file, a flat zip with <file>.sig beside every file, each a
// detached CMS signature over the file carrying a TSA token (EPGU-2.1.3, EPGU-T14).
func TestSubmitPush(t *testing.T) {
	f := newFake(t)
	c := New(f.config())
	id, err := c.Submit(context.Background(), submission(t))
	if err != nil {
		t.Fatal(err)
	}
	api := f.apiHits()
	if got := paths(api); !slices.Equal(got, []string{"POST /api/gusmev/push"}) {
		t.Fatalf("API requests %v, want one POST /api/gusmev/push", got)
	}
	push := api[0]
	if push.Status != 200 {
		t.Fatalf("push answered %d", push.Status)
	}
	if a, ok := strings.CutPrefix(push.Header.Get("Authorization"), "Bearer "); !ok || !f.validToken(a) {
		t.Errorf("Authorization %q, want Bearer <token>", a)
	}
	if got := slices.Sorted(maps.Keys(push.Fields)); !slices.Equal(got, []string{"meta"}) {
		t.Errorf("value parts %v, want [meta] (and the file)", got)
	}
	var meta map[string]string
	if err := json.Unmarshal([]byte(push.Fields["meta"]), &meta); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"region": "45000000000", "serviceCode": "10000000113", "targetCode": "-10000000113"}; !maps.Equal(meta, want) {
		t.Errorf("meta %v, want %v", meta, want)
	}
	files := f.archive(t, id)
	if got := slices.Sorted(maps.Keys(files)); !slices.Equal(got, []string{"order.xml", "order.xml.sig", "req.xml", "req.xml.sig"}) {
		t.Fatalf("archive holds %v", got)
	}
	for _, n := range []string{"req.xml", "order.xml"} {
		checkSig(t, n, files[n], files[n+".sig"])
	}
}

// checkSig verifies a .sig as a detached CMS over data with a signature time-stamp token.
func checkSig(t *testing.T, name string, data, sig []byte) {
	t.Helper()
	p7, err := pkcs7.Parse(sig)
	if err != nil {
		t.Fatalf("%s.sig is not CMS: %v", name, err)
	}
	if len(p7.Content) != 0 {
		t.Errorf("%s.sig is not detached", name)
	}
	p7.Content = data
	if err := p7.Verify(); err != nil {
		t.Errorf("%s.sig does not verify over %s: %v", name, name, err)
	}
	stamped := false
	for _, a := range p7.Signers[0].UnauthenticatedAttributes {
		stamped = stamped || a.Type.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14})
	}
	if !stamped {
		t.Errorf("%s.sig has no signature time-stamp token", name)
	}
}

// A chunked submission creates the order by JSON (Table 6), then sends the chunks with meta,
// orderId, chunk 0..n-1, chunks n and file, the first first and the last last, every non-last chunk
// 5 000 000..50 000 000 bytes, 206 for each but the last, 200 for the last (EPGU-2.1.3).
func TestSubmitChunked(t *testing.T) {
	f := newFake(t)
	c := New(f.config())
	s := submission(t)
	s.Files["scan.bin"] = bigAttachment()
	s.Chunked = true
	id, err := c.Submit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	api := f.apiHits()
	if len(api) < 2 || api[0].Path != "/api/gusmev/order" {
		t.Fatalf("API requests %v, want /order first", paths(api))
	}
	if ct := api[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("/order Content-Type %q, want application/json (Table 5)", ct)
	}
	chunks := f.seen("/api/gusmev/push/chunked")
	if got := chunkIndices(chunks); !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("chunks sent in order %v, want [0 1 2]", got)
	}
	for k, h := range chunks {
		if h.Fields["orderId"] != strconv.FormatInt(id, 10) || h.Fields["chunks"] != "3" || h.Fields["meta"] == "" {
			t.Errorf("chunk %d fields %v", k, h.Fields)
		}
		last := k == len(chunks)-1
		if size := len(h.File); size > MaxChunkSize || (!last && size < MinChunkSize) {
			t.Errorf("chunk %d is %d bytes, outside the bounds of EPGU-2.1.3", k, size)
		}
		if want := map[bool]int{false: 206, true: 200}[last]; h.Status != want {
			t.Errorf("chunk %d answered %d, want %d", k, h.Status, want)
		}
	}
	files := f.archive(t, id)
	if !bytes.Equal(files["scan.bin"], bigAttachment()) {
		t.Error("the chunks do not reassemble into the archive")
	}
}

// The client refuses a chunk size outside 5 000 000..50 000 000 bytes and sends nothing
// (EPGU-2.1.3); the bounds themselves are allowed.
func TestChunkBounds(t *testing.T) {
	for _, tc := range []struct {
		size int
		ok   bool
	}{{4_999_999, false}, {MinChunkSize, true}, {MaxChunkSize, true}, {50_000_001, false}} {
		t.Run(strconv.Itoa(tc.size), func(t *testing.T) {
			f := newFake(t)
			cfg := f.config()
			cfg.ChunkSize = tc.size
			s := submission(t)
			s.Files["scan.bin"] = bigAttachment()
			s.Chunked = true
			_, err := New(cfg).Submit(context.Background(), s)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range f.seen("/api/gusmev/push/chunked") {
					if len(h.File) > tc.size {
						t.Errorf("chunk of %d bytes, over ChunkSize %d", len(h.File), tc.size)
					}
				}
				return
			}
			var b *rule.Breach
			if !errors.As(err, &b) || b.Rule != "EPGU-2.1.3" {
				t.Fatalf("error %v, want a breach of EPGU-2.1.3", err)
			}
			if api := f.apiHits(); len(api) != 0 {
				t.Errorf("sent %v despite the refusal", paths(api))
			}
		})
	}
}

// SetOrderID writes the number /order gave into the files before they are validated and signed.
func TestSetOrderID(t *testing.T) {
	f := newFake(t)
	s := submission(t)
	s.SetOrderID = func(id int64, files map[string][]byte) error {
		files["order.xml"] = businessXML(id)
		return nil
	}
	id, err := New(f.config()).Submit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	files := f.archive(t, id)
	if want := fmt.Sprintf("<OrderId>%d</OrderId>", id); !bytes.Contains(files["order.xml"], []byte(want)) {
		t.Errorf("order.xml does not carry %s:\n%s", want, files["order.xml"])
	}
	checkSig(t, "order.xml", files["order.xml"], files["order.xml.sig"])
}

// A business XML that breaks its schema is refused before anything is sent, with the violations.
func TestInvalidXMLRefused(t *testing.T) {
	f := newFake(t)
	s := submission(t)
	s.Files["order.xml"] = bytes.Replace(businessXML(0), []byte("<Subject>справка</Subject>"), nil, 1)
	_, err := New(f.config()).Submit(context.Background(), s)
	var inv *InvalidXMLError
	if !errors.As(err, &inv) || !errors.Is(err, ErrInvalidXML) || len(inv.Violations) == 0 {
		t.Fatalf("error %v, want an InvalidXMLError with violations", err)
	}
	if hs := f.seen(""); len(hs) != 0 {
		t.Errorf("sent %v despite the refusal", paths(hs))
	}
}

// A file name with a folder is refused: the archive must be flat (EPGU-2.1.3).
func TestFlatArchive(t *testing.T) {
	f := newFake(t)
	s := submission(t)
	s.Files["docs/scan.pdf"] = []byte("%PDF")
	_, err := New(f.config()).Submit(context.Background(), s)
	var b *rule.Breach
	if !errors.As(err, &b) || b.Rule != "EPGU-2.1.3" {
		t.Fatalf("error %v, want a breach of EPGU-2.1.3", err)
	}
	if api := f.apiHits(); len(api) != 0 {
		t.Errorf("sent %v despite the refusal", paths(api))
	}
}
