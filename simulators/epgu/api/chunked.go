package api

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
)

// upload is a chunked push in progress (EPGU-2.1.3).
type upload struct {
	n     int
	start time.Time // when the first chunk arrived: the window runs from here
	parts map[int][]byte
	bytes int64
}

// pushChunked is POST /api/gusmev/push/chunked: the archive of an order reserved by /order, in
// chunks (EPGU-2.1.3). Every non-last chunk is answered 206, the last 200, both {"orderId"}.
func (a *API) pushChunked(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.authorize(w, r)
	if !ok {
		return
	}
	lim := a.limits
	f, err := readForm(w, r, lim.MaxChunkBytes)
	if err != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T9", "Content-Type", "a multipart/form-data body", err.Error(), "send the chunk as multipart/form-data"))
		return
	}
	rec := exchangeOf(r)
	rec.ChunkBytes = int64(len(f.file))
	id, err := strconv.ParseInt(strings.TrimSpace(f.fields["orderId"]), 10, 64)
	if err != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T10", "orderId", "the order number from /order", quoteOrNone(f.fields["orderId"]), "send the part orderId"))
		return
	}
	rec.OrderID = id
	idx, n, b := a.chunkIndex(f, rec)
	if b == nil {
		b = a.chunkSize(f, idx, n)
	}
	if b != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, b)
		return
	}

	a.mu.Lock()
	o := a.orders[id]
	switch {
	case o == nil:
		a.mu.Unlock()
		fail(w, r, http.StatusNotFound, CodeNotFound, "Заявление "+itoa(id)+" не найдено", nil)
		return
	case o.owner != ownerOf(tok):
		a.mu.Unlock()
		fail(w, r, http.StatusForbidden, CodeOrderAccess, "У пользователя нет прав для работы с текущим заявлением", nil)
		return
	}
	if meta, ok := f.fields["meta"]; ok {
		m, mb := parseMeta([]byte(meta), "EPGU-T10")
		if mb == nil && m != o.meta {
			mb = br("EPGU-T10", "meta", fmt.Sprintf("the metadata of order %d: %+v", id, o.meta), fmt.Sprintf("%+v", m), "send the metadata the order was created with")
		}
		if mb != nil {
			a.mu.Unlock()
			refuse(w, r, http.StatusBadRequest, CodeBadRequest, mb)
			return
		}
	} else {
		rec.Note = "no part meta: Table 10 marks it mandatory, the §5.2 examples leave it out; tolerated"
	}
	archive, status, b := a.acceptChunk(o, idx, n, f.file)
	a.mu.Unlock()
	if b != nil {
		refuse(w, r, status, CodeBadRequest, b)
		return
	}
	if archive == nil {
		writeJSON(w, http.StatusPartialContent, orderIDDoc{id})
		return
	}
	a.submit(o, archive)
	writeJSON(w, http.StatusOK, orderIDDoc{id})
}

// chunkIndex reads chunk and chunks as a 0-based index and a count. Both absent is one request with
// the whole archive (the chunk fields are optional in Table 10); the configured numbering decides
// the rest, and a number that fits only the other numbering is refused naming both readings.
func (a *API) chunkIndex(f *form, rec *Request) (idx, n int, b *rule.Breach) {
	cs, hasC := f.fields["chunk"]
	ns, hasN := f.fields["chunks"]
	if !hasC && !hasN {
		return 0, 1, nil
	}
	if !hasC || !hasN {
		return 0, 0, br("EPGU-T10", "chunk", "chunk and chunks together, or neither", "only one of them", "send both chunk and chunks with every chunk")
	}
	c, err1 := strconv.Atoi(strings.TrimSpace(cs))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if err1 != nil || err2 != nil || n < 1 {
		return 0, 0, br("EPGU-T10", "chunk", "whole numbers, chunks ≥ 1", fmt.Sprintf("chunk=%q chunks=%q", cs, ns), "send chunk and chunks as numbers")
	}
	rec.Chunk, rec.Chunks = c, n
	base := a.base()
	if c < base || c > n-1+base {
		return 0, 0, &rule.Breach{Rule: "EPGU-2.1.3", Field: "chunk",
			Expected: fmt.Sprintf("chunk in %d..%d (%s)", base, n-1+base, a.numberingName()),
			Observed: fmt.Sprintf("chunk=%d of chunks=%d", c, n),
			Note:     readings(c, n),
			Fix:      "number the chunks as the simulator is set to, or set the simulator's numbering to the client's"}
	}
	return c - base, n, nil
}

func (a *API) base() int {
	if a.fromZero {
		return 0
	}
	return 1
}

func (a *API) numberingName() string {
	if a.fromZero {
		return "numbered from 0 as §2.1.3 says: Chunk = i (0... n-1)"
	}
	return "numbered from 1 as the §5.2 example does: chunk=1 of chunks=2 first"
}

// readings says what a chunk number means under both numberings of the spec.
func readings(c, n int) string {
	read := func(base int) string {
		i := c - base
		switch {
		case i < 0 || i >= n:
			return "out of range"
		case n == 1:
			return "the only chunk"
		case i == 0:
			return "the first chunk"
		case i == n-1:
			return "the last chunk"
		}
		return fmt.Sprintf("middle chunk %d of %d", i+1, n)
	}
	return fmt.Sprintf("read from 0 (§2.1.3) chunk=%d of %d is %s; read from 1 (§5.2 example) it is %s", c, n, read(0), read(1))
}

// chunkSize applies EPGU-2.1.3: every non-last chunk MinChunkBytes..MaxChunkBytes, the last at most
// MaxChunkBytes and not empty.
func (a *API) chunkSize(f *form, idx, n int) *rule.Breach {
	lim := a.limits
	size := int64(len(f.file))
	last := idx == n-1
	switch {
	case !f.hasFile:
		return br("EPGU-T10", "file", "the part file with the chunk's bytes", "no part file", "send the chunk in the part file")
	case f.tooLarge:
		return br("EPGU-2.1.3", "file", fmt.Sprintf("a chunk of at most %d bytes", lim.MaxChunkBytes), fmt.Sprintf("more than %d bytes", lim.MaxChunkBytes), "split the archive into smaller chunks")
	case size == 0:
		return br("EPGU-2.1.3", "file", "a chunk of at least 1 byte", "an empty part file", "send the chunk's bytes")
	case !last && size < lim.MinChunkBytes:
		return br("EPGU-2.1.3", "file", fmt.Sprintf("a non-last chunk of %d..%d bytes", lim.MinChunkBytes, lim.MaxChunkBytes),
			fmt.Sprintf("chunk %d of %d: %d bytes", idx+a.base(), n, size), "make every chunk but the last at least the minimum size")
	}
	return nil
}

// acceptChunk applies the order rules of EPGU-2.1.3 to a chunk (first chunk first, last chunk last,
// all within the window of the first) and stores it. With the last chunk it returns the assembled
// archive, which the caller submits. Called with a.mu held.
func (a *API) acceptChunk(o *order, idx, n int, data []byte) ([]byte, int, *rule.Breach) {
	lim := a.limits
	now := a.clock.Now()
	if o.phase != phaseReserved {
		return nil, http.StatusConflict, br("EPGU-2.1.3", "orderId", fmt.Sprintf("order %d waiting for its archive", o.id),
			fmt.Sprintf("order %d already has its archive (sent by %s)", o.id, map[bool]string{true: "/push/chunked", false: "/push"}[o.chunked]), "create a new order for a new archive")
	}
	up := o.upload
	if up != nil && now.Sub(up.start) > lim.ChunkWindow {
		o.upload, up = nil, nil
		if idx != 0 {
			return nil, http.StatusBadRequest, &rule.Breach{Rule: "EPGU-2.1.3", Field: "chunk",
				Expected: fmt.Sprintf("every chunk within %s of the first", lim.ChunkWindow),
				Observed: fmt.Sprintf("chunk %d of %d arrived after the window; the chunks received are discarded", idx+a.base(), n),
				Fix:      "send all chunks within the window, starting again with the first"}
		}
	}
	a.sweepUploads(now)
	if up == nil {
		if idx != 0 {
			return nil, http.StatusBadRequest, &rule.Breach{Rule: "EPGU-2.1.3", Field: "chunk",
				Expected: "the first chunk first (" + a.numberingName() + ")",
				Observed: fmt.Sprintf("chunk %d of %d while no upload of order %d is in progress", idx+a.base(), n, o.id),
				Note:     readings(idx+a.base(), n),
				Fix:      "send the first chunk before any other"}
		}
		up = &upload{n: n, start: now, parts: map[int][]byte{}}
		o.upload = up
		a.uploads[o.id] = o
	}
	if n != up.n {
		return nil, http.StatusBadRequest, br("EPGU-2.1.3", "chunks", fmt.Sprintf("chunks=%d as the first chunk said", up.n), fmt.Sprintf("chunks=%d", n), "send the same chunk count with every chunk")
	}
	if idx == n-1 && n > 1 {
		if missing := up.missing(); len(missing) > 0 {
			return nil, http.StatusBadRequest, br("EPGU-2.1.3", "chunk", "the last chunk last, after every other chunk",
				fmt.Sprintf("the last chunk while chunks %s have not arrived", a.list(missing)), "send the last chunk only when all the others are answered 206")
		}
	}
	if old, dup := up.parts[idx]; dup {
		up.bytes -= int64(len(old)) // a resent chunk replaces the first copy
	}
	if up.bytes+int64(len(data)) > lim.MaxArchiveBytes {
		o.upload = nil
		delete(a.uploads, o.id)
		return nil, http.StatusBadRequest, br("EPGU-2.1.3", "file", fmt.Sprintf("an archive of at most %d bytes (the simulator's cap)", lim.MaxArchiveBytes),
			"more", "send a smaller archive")
	}
	up.parts[idx], up.bytes = data, up.bytes+int64(len(data))
	if idx != n-1 {
		return nil, 0, nil
	}
	archive := make([]byte, 0, up.bytes)
	for i := 0; i < n; i++ {
		archive = append(archive, up.parts[i]...)
	}
	o.upload, o.phase = nil, phaseAssembling
	delete(a.uploads, o.id)
	return archive, 0, nil
}

// sweepUploads drops uploads whose window has passed, so abandoned chunks do not hold memory.
func (a *API) sweepUploads(now time.Time) {
	for id, o := range a.uploads {
		if o.upload == nil || now.Sub(o.upload.start) > a.limits.ChunkWindow {
			o.upload = nil
			delete(a.uploads, id)
		}
	}
}

func (u *upload) missing() []int {
	var out []int
	for i := 0; i < u.n-1; i++ {
		if _, ok := u.parts[i]; !ok {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}

func (a *API) list(idx []int) string {
	s := make([]string, len(idx))
	for i, v := range idx {
		s[i] = strconv.Itoa(v + a.base())
	}
	return strings.Join(s, ", ")
}
