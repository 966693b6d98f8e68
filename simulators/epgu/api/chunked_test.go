package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// split cuts an archive into chunks of size bytes, the last one shorter.
func split(b []byte, size int) [][]byte {
	var out [][]byte
	for len(b) > size {
		out = append(out, b[:size])
		b = b[size:]
	}
	return append(out, b)
}

// The spec's own sizes: non-last chunks of 5 000 000 bytes at least, the archive reassembled in
// order and checked.
func TestChunkedSpecSizes(t *testing.T) {
	e := newEnv(t, nil)
	archive := makeZip(t, 10_000_000, "req.xml", "piev_epgu.xml")
	chunks := split(archive, 5_000_000)
	if len(chunks) != 3 {
		t.Fatalf("%d chunks", len(chunks))
	}
	id := e.createOrder("alice", fsspMeta)

	short := e.chunk("alice", id, 0, 3, chunks[0][:4_999_999])
	short.errorCode(t, http.StatusBadRequest, CodeBadRequest)
	if rec := e.lastRequest(); rec.Breach == nil || rec.Breach.Rule != "EPGU-2.1.3" || rec.ChunkBytes != 4_999_999 || rec.Chunks != 3 {
		t.Errorf("log entry %+v", rec)
	}
	for i, c := range chunks {
		r := e.chunk("alice", id, i, 3, c)
		want := http.StatusPartialContent
		if i == 2 {
			want = http.StatusOK
		}
		if r.status != want || orderIDOf(t, r) != id {
			t.Fatalf("chunk %d: %d %s", i, r.status, r.body)
		}
	}
	snap, _ := e.api.Order(id)
	if !snap.Chunked || len(snap.Files) != 3 || snap.Files[2].Name != "pad.bin" || snap.Files[2].Size != 10_000_000 {
		t.Errorf("assembled archive: %+v", snap.Files)
	}
}

func TestChunkRules(t *testing.T) {
	archive := makeZip(t, 300, "req.xml")
	chunks := split(archive, 150) // 4 chunks under smallChunks: 100..1000 bytes
	if len(chunks) != 4 {
		t.Fatalf("%d chunks of a %d-byte archive", len(chunks), len(archive))
	}
	n := len(chunks)
	last := n - 1

	type step struct {
		advance time.Duration
		chunk   int // -1: no chunk fields
		chunks  int
		data    []byte
		status  int
		note    string // a fragment the refusal must name
	}
	cases := []struct {
		name  string
		opts  []Option
		steps []step
	}{
		{"in order", nil, []step{
			{0, 0, n, chunks[0], 206, ""}, {0, 1, n, chunks[1], 206, ""}, {0, 2, n, chunks[2], 206, ""}, {0, last, n, chunks[last], 200, ""}}},
		{"middle chunks in any order", nil, []step{
			{0, 0, n, chunks[0], 206, ""}, {0, 2, n, chunks[2], 206, ""}, {0, 1, n, chunks[1], 206, ""}, {0, last, n, chunks[last], 200, ""}}},
		{"first chunk not first", nil, []step{{0, 1, n, chunks[1], 400, "the first chunk first"}}},
		{"last chunk before the middle ones", nil, []step{
			{0, 0, n, chunks[0], 206, ""}, {0, last, n, chunks[last], 400, "the last chunk last"}}},
		{"non-last chunk too small", nil, []step{{0, 0, n, chunks[0][:99], 400, "non-last chunk"}}},
		{"chunk too large", nil, []step{{0, 0, n, make([]byte, 1001), 400, "at most 1000 bytes"}}},
		{"chunks count changes", nil, []step{{0, 0, n, chunks[0], 206, ""}, {0, 1, n + 1, chunks[1], 400, "same chunk count"}}},
		{"chunk without chunks", nil, []step{{0, 0, 0, chunks[0], 400, "chunk and chunks together"}}},
		{"within the window", nil, []step{
			{0, 0, n, chunks[0], 206, ""}, {2 * time.Minute, 1, n, chunks[1], 206, ""}, {2 * time.Minute, 2, n, chunks[2], 206, ""},
			{time.Minute, last, n, chunks[last], 200, ""}}},
		{"outside the window", nil, []step{
			{0, 0, n, chunks[0], 206, ""}, {5*time.Minute + time.Millisecond, 1, n, chunks[1], 400, "within 5m0s of the first"},
			{0, 2, n, chunks[2], 400, "the first chunk first"}, // the expired upload was discarded
			{0, 0, n, chunks[0], 206, ""}, {0, 1, n, chunks[1], 206, ""}, {0, 2, n, chunks[2], 206, ""}, {0, last, n, chunks[last], 200, ""}}},
		{"whole archive without chunk fields", nil, []step{{0, -1, 0, archive, 200, ""}}},
		{"0-based: chunk=1 of chunks=1 names both readings", nil, []step{{0, 1, 1, archive, 400, "read from 1 (§5.2 example) it is the only chunk"}}},
		{"0-based: chunk=n of n names both readings", nil, []step{{0, n, n, chunks[0], 400, "read from 0 (§2.1.3) chunk=" + fmt.Sprint(n) + " of " + fmt.Sprint(n) + " is out of range"}}},
		{"1-based as the §5.2 example", []Option{WithChunkNumbering(false)}, []step{
			{0, 1, n, chunks[0], 206, ""}, {0, 2, n, chunks[1], 206, ""}, {0, 3, n, chunks[2], 206, ""}, {0, n, n, chunks[last], 200, ""}}},
		{"1-based: chunk=0 names both readings", []Option{WithChunkNumbering(false)}, []step{{0, 0, n, chunks[0], 400, "read from 0 (§2.1.3) chunk=0 of " + fmt.Sprint(n) + " is the first chunk"}}},
		{"resent chunk replaces the first copy", nil, []step{
			{0, 0, n, chunks[0], 206, ""}, {0, 1, n, chunks[1], 206, ""}, {0, 1, n, chunks[1], 206, ""}, {0, 2, n, chunks[2], 206, ""},
			{0, last, n, chunks[last], 200, ""}}},
		{"chunk after the last", nil, []step{
			{0, -1, 0, archive, 200, ""}, {0, 0, n, chunks[0], 409, "already has its archive"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil, append([]Option{WithLimits(smallChunks())}, c.opts...)...)
			id := e.createOrder("alice", fsspMeta)
			for i, s := range c.steps {
				e.clk.Advance(s.advance)
				var r reply
				if s.chunks == 0 && s.chunk >= 0 {
					ct, body := multipartBody(t, part{"orderId", "", "", fmt.Sprint(id)}, part{"chunk", "", "", "0"}, filePart(s.data))
					r = e.do("POST", "/api/gusmev/push/chunked", "alice", ct, body)
				} else {
					r = e.chunk("alice", id, s.chunk, s.chunks, s.data)
				}
				if r.status != s.status {
					t.Fatalf("step %d: status %d, want %d: %s", i, r.status, s.status, r.body)
				}
				if s.status >= 400 {
					m := r.errorCode(t, s.status, CodeBadRequest)
					if !strings.Contains(m["message"].(string), s.note) {
						t.Fatalf("step %d: message %q does not name %q", i, m["message"], s.note)
					}
				} else if orderIDOf(t, r) != id {
					t.Fatalf("step %d: other orderId", i)
				}
			}
		})
	}
}

func TestChunkedParallelMiddle(t *testing.T) {
	e := newEnv(t, nil, WithLimits(smallChunks()))
	archive := makeZip(t, 2000, "req.xml")
	chunks := split(archive, 200)
	n := len(chunks)
	id := e.createOrder("alice", fsspMeta)
	if r := e.chunk("alice", id, 0, n, chunks[0]); r.status != 206 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := n - 2; i >= 1; i-- {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if r := e.chunk("alice", id, i, n, chunks[i]); r.status != 206 {
				errs <- fmt.Sprintf("chunk %d: %d %s", i, r.status, r.body)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if r := e.chunk("alice", id, n-1, n, chunks[n-1]); r.status != 200 {
		t.Fatalf("last: %d %s", r.status, r.body)
	}
	snap, _ := e.api.Order(id)
	if len(snap.Files) != 2 || snap.Files[1].Size != 2000 {
		t.Errorf("reassembled archive is not the original: %+v", snap.Files)
	}
}

func TestChunkedOwnershipAndMeta(t *testing.T) {
	e := newEnv(t, nil, WithLimits(smallChunks()))
	id := e.createOrder("alice", fsspMeta)
	data := bytes.Repeat([]byte{1}, 200)
	e.chunk("bob", id, 0, 2, data).errorCode(t, http.StatusForbidden, CodeOrderAccess)
	// EPGU-A4: an unknown order is 204 without a body, as for the details.
	if r := e.chunk("alice", 42, 0, 2, data); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Errorf("chunk of an unknown order: %d %q, want 204 without body (Appendix 4)", r.status, r.body)
	}
	other := `{"region":"45","serviceCode":"60010153","targetCode":"-60010153"}`
	ct, body := multipartBody(t, metaPart(other), part{"orderId", "", "", fmt.Sprint(id)}, part{"chunk", "", "", "0"}, part{"chunks", "", "", "2"}, filePart(data))
	e.do("POST", "/api/gusmev/push/chunked", "alice", ct, body).errorCode(t, http.StatusBadRequest, CodeBadRequest)
	ct, body = multipartBody(t, metaPart(fsspMeta), part{"orderId", "", "", fmt.Sprint(id)}, part{"chunk", "", "", "0"}, part{"chunks", "", "", "2"}, filePart(data))
	if r := e.do("POST", "/api/gusmev/push/chunked", "alice", ct, body); r.status != 206 {
		t.Fatalf("with the order's meta: %d %s", r.status, r.body)
	}
	if rec := e.lastRequest(); rec.Note != "" {
		t.Errorf("note with meta present: %q", rec.Note)
	}
	e.chunk("alice", id, 1, 2, data)
	if rec := e.lastRequest(); !strings.Contains(rec.Note, "no part meta") {
		t.Errorf("the missing meta is not noted: %+v", rec)
	}
	if snap, _ := e.api.Order(id); snap.Submitted.IsZero() || snap.Uploading {
		t.Errorf("snapshot %+v", snap)
	}
}
