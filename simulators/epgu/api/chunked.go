package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
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
	// held is what this request holds of the upload budget; a stored chunk passes its bytes to the
	// upload, the last chunk takes the whole archive's back until it is checked.
	held := reservation(r, lim.MaxChunkBytes)
	if !a.reserveUpload(w, r, held) {
		return
	}
	defer func() { a.uploading.give(held) }()
	f, err := readForm(w, r, lim.MaxChunkBytes)
	if err != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T9", "Content-Type", msg.F("a multipart/form-data body"), msg.Of(err), msg.F("send the chunk as multipart/form-data")))
		return
	}
	a.uploading.give(held - int64(len(f.file)))
	held = int64(len(f.file))
	rec := exchangeOf(r)
	rec.ChunkBytes = int64(len(f.file))
	id, err := strconv.ParseInt(strings.TrimSpace(f.fields["orderId"]), 10, 64)
	if err != nil {
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, br("EPGU-T10", "orderId", msg.F("the order number from /order"), quoteOrNone(f.fields["orderId"]), msg.F("send the part orderId")))
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
	o, archive, ok := a.storeChunk(w, r, tok, f, id, idx, n, &held)
	switch {
	case !ok:
	case archive == nil:
		server.WriteJSON(w, http.StatusPartialContent, orderIDDoc{id})
	default:
		a.submit(o, archive)
		server.WriteJSON(w, http.StatusOK, orderIDDoc{id})
	}
}

// storeChunk checks the chunk against its order (EPGU-A4: 204 unknown, 403 another's; EPGU-T10 its
// meta) and stores it, answering a refusal itself. With the last chunk it returns the archive.
func (a *API) storeChunk(w http.ResponseWriter, r *http.Request, tok AccessToken, f *form, id int64, idx, n int, held *int64) (*order, []byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.ownedOrder(w, r, tok, id, http.StatusNoContent)
	if !ok {
		return nil, nil, false
	}
	if meta, ok := f.fields["meta"]; ok {
		m, mb := parseMeta([]byte(meta), "EPGU-T10")
		if mb == nil && m != o.meta {
			mb = br("EPGU-T10", "meta", msg.F("the metadata of order %d: %+v", id, o.meta), msg.Raw(fmt.Sprintf("%+v", m)), msg.F("send the metadata the order was created with"))
		}
		if mb != nil {
			refuse(w, r, http.StatusBadRequest, CodeBadRequest, mb)
			return nil, nil, false
		}
	} else {
		exchangeOf(r).Note = "no part meta: Table 10 marks it mandatory, the §5.2 examples leave it out; tolerated"
	}
	archive, status, b := a.acceptChunk(o, idx, n, f.file, held)
	if b != nil {
		refuse(w, r, status, CodeBadRequest, b)
		return nil, nil, false
	}
	return o, archive, true
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
		return 0, 0, br("EPGU-T10", "chunk", msg.F("chunk and chunks together, or neither"), msg.F("only one of them"), msg.F("send both chunk and chunks with every chunk"))
	}
	c, err1 := strconv.Atoi(strings.TrimSpace(cs))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if err1 != nil || err2 != nil || n < 1 {
		return 0, 0, br("EPGU-T10", "chunk", msg.F("whole numbers, chunks ≥ 1"), msg.Raw(fmt.Sprintf("chunk=%q chunks=%q", cs, ns)), msg.F("send chunk and chunks as numbers"))
	}
	rec.Chunk, rec.Chunks = c, n
	// Every non-last chunk holds at least MinChunkBytes and the archive at most MaxArchiveBytes
	// (EPGU-2.1.3 and the simulator's cap), so a larger count can never complete: it is refused
	// before any state is kept for it.
	if most := a.maxChunks(); int64(n) > most {
		return 0, 0, br("EPGU-2.1.3", "chunks", msg.F("at most %d chunks: an archive of at most %d bytes (the simulator's cap) in non-last chunks of at least %d bytes",
			most, a.limits.MaxArchiveBytes, a.limits.MinChunkBytes), msg.Raw(fmt.Sprintf("chunks=%d", n)), msg.F("split the archive into fewer, larger chunks"))
	}
	base := a.base()
	if c < base || c > n-1+base {
		return 0, 0, &rule.Breach{Rule: "EPGU-2.1.3", Field: msg.Raw("chunk"),
			Expected: msg.F("chunk in %d..%d (%s)", base, n-1+base, a.numberingName()),
			Observed: msg.F("chunk=%d of chunks=%d", c, n),
			Note:     readings(c, n),
			Fix:      msg.F("number the chunks as the simulator is set to, or set the simulator's numbering to the client's")}
	}
	return c - base, n, nil
}

// maxChunks is the largest chunk count an archive within MaxArchiveBytes can have.
func (a *API) maxChunks() int64 {
	return a.limits.MaxArchiveBytes/max(a.limits.MinChunkBytes, 1) + 1
}

func (a *API) base() int {
	if a.fromZero {
		return 0
	}
	return 1
}

func (a *API) numberingName() msg.Text {
	if a.fromZero {
		return msg.F("numbered from 0 as §2.1.3 says: Chunk = i (0... n-1)")
	}
	return msg.F("numbered from 1 as the §5.2 example does: chunk=1 of chunks=2 first")
}

// readings says what a chunk number means under both numberings of the spec.
func readings(c, n int) msg.Text {
	read := func(base int) msg.Text {
		i := c - base
		switch {
		case i < 0 || i >= n:
			return msg.F("out of range")
		case n == 1:
			return msg.F("the only chunk")
		case i == 0:
			return msg.F("the first chunk")
		case i == n-1:
			return msg.F("the last chunk")
		}
		return msg.F("middle chunk %d of %d", i+1, n)
	}
	return msg.F("read from 0 (§2.1.3) chunk=%d of %d is %s; read from 1 (§5.2 example) it is %s", c, n, read(0), read(1))
}

// chunkSize applies EPGU-2.1.3: every non-last chunk MinChunkBytes..MaxChunkBytes, the last at most
// MaxChunkBytes and not empty.
func (a *API) chunkSize(f *form, idx, n int) *rule.Breach {
	lim := a.limits
	size := int64(len(f.file))
	last := idx == n-1
	switch {
	case !f.hasFile:
		return br("EPGU-T10", "file", msg.F("the part file with the chunk's bytes"), msg.F("no part file"), msg.F("send the chunk in the part file"))
	case f.tooLarge:
		return br("EPGU-2.1.3", "file", msg.F("a chunk of at most %d bytes", lim.MaxChunkBytes), msg.F("more than %d bytes", lim.MaxChunkBytes), msg.F("split the archive into smaller chunks"))
	case size == 0:
		return br("EPGU-2.1.3", "file", msg.F("a chunk of at least 1 byte"), msg.F("an empty part file"), msg.F("send the chunk's bytes"))
	case !last && size < lim.MinChunkBytes:
		return br("EPGU-2.1.3", "file", msg.F("a non-last chunk of %d..%d bytes", lim.MinChunkBytes, lim.MaxChunkBytes),
			msg.F("chunk %d of %d: %d bytes", idx+a.base(), n, size), msg.F("make every chunk but the last at least the minimum size"))
	}
	return nil
}

// acceptChunk applies the order rules of EPGU-2.1.3 to a chunk (first chunk first, last chunk last,
// all within the window of the first) and stores it. With the last chunk it returns the assembled
// archive, which the caller submits. The budget the request holds (*held) passes to the upload with
// a stored chunk and back, the whole archive's, with the last. Called with a.mu held.
func (a *API) acceptChunk(o *order, idx, n int, data []byte, held *int64) ([]byte, int, *rule.Breach) {
	lim := a.limits
	now := a.clock.Now()
	if o.phase != phaseReserved {
		return nil, http.StatusConflict, br("EPGU-2.1.3", "orderId", msg.F("order %d waiting for its archive", o.id),
			msg.F("order %d already has its archive (sent by %s)", o.id, map[bool]string{true: "/push/chunked", false: "/push"}[o.chunked]), msg.F("create a new order for a new archive"))
	}
	up := o.upload
	if up != nil && now.Sub(up.start) > lim.ChunkWindow {
		a.dropUpload(o)
		up = nil
		if idx != 0 {
			return nil, http.StatusBadRequest, &rule.Breach{Rule: "EPGU-2.1.3", Field: msg.Raw("chunk"),
				Expected: msg.F("every chunk within %s of the first", lim.ChunkWindow),
				Observed: msg.F("chunk %d of %d arrived after the window; the chunks received are discarded", idx+a.base(), n),
				Fix:      msg.F("send all chunks within the window, starting again with the first")}
		}
	}
	a.sweepUploads(now)
	if up == nil {
		if idx != 0 {
			return nil, http.StatusBadRequest, &rule.Breach{Rule: "EPGU-2.1.3", Field: msg.Raw("chunk"),
				Expected: msg.F("the first chunk first (%s)", a.numberingName()),
				Observed: msg.F("chunk %d of %d while no upload of order %d is in progress", idx+a.base(), n, o.id),
				Note:     readings(idx+a.base(), n),
				Fix:      msg.F("send the first chunk before any other")}
		}
		up = &upload{n: n, start: now, parts: map[int][]byte{}}
		o.upload = up
		a.uploads[o.id] = o
	}
	if n != up.n {
		return nil, http.StatusBadRequest, br("EPGU-2.1.3", "chunks", msg.F("chunks=%d as the first chunk said", up.n), msg.Raw(fmt.Sprintf("chunks=%d", n)), msg.F("send the same chunk count with every chunk"))
	}
	if idx == n-1 && n > 1 {
		if count, first := up.missing(); count > 0 {
			return nil, http.StatusBadRequest, br("EPGU-2.1.3", "chunk", msg.F("the last chunk last, after every other chunk"),
				msg.F("the last chunk while %d chunks have not arrived (the first of them: %s)", count, a.list(first)), msg.F("send the last chunk only when all the others are answered 206"))
		}
	}
	size := int64(len(data))
	old, dup := up.parts[idx]
	if up.bytes-int64(len(old))+size > lim.MaxArchiveBytes {
		a.dropUpload(o)
		return nil, http.StatusBadRequest, br("EPGU-2.1.3", "file", msg.F("an archive of at most %d bytes (the simulator's cap)", lim.MaxArchiveBytes),
			msg.F("more"), msg.F("send a smaller archive"))
	}
	if dup { // a resent chunk replaces the first copy
		up.bytes -= int64(len(old))
		a.uploading.give(int64(len(old)))
	}
	up.parts[idx], up.bytes = data, up.bytes+size
	*held -= size
	if idx != n-1 {
		return nil, 0, nil
	}
	archive := make([]byte, 0, up.bytes)
	for i := 0; i < n; i++ {
		archive = append(archive, up.parts[i]...)
	}
	*held += up.bytes
	o.upload, o.phase = nil, phaseAssembling
	delete(a.uploads, o.id)
	return archive, 0, nil
}

// dropUpload discards an order's upload in progress and gives its bytes back to the budget.
func (a *API) dropUpload(o *order) {
	if o.upload != nil {
		a.uploading.give(o.upload.bytes)
	}
	o.upload = nil
	delete(a.uploads, o.id)
}

// sweepUploads drops uploads whose window has passed, so abandoned chunks do not hold memory.
func (a *API) sweepUploads(now time.Time) {
	for _, o := range a.uploads {
		if o.upload == nil || now.Sub(o.upload.start) > a.limits.ChunkWindow {
			a.dropUpload(o)
		}
	}
}

// missing counts the non-last chunks not yet received and names the first ten. It costs the chunks
// received, not the chunk count: the first gap lies within them.
func (u *upload) missing() (count int, first []int) {
	received := 0
	for i := range u.parts {
		if i < u.n-1 {
			received++
		}
	}
	count = u.n - 1 - received
	for i := 0; i < u.n-1 && len(first) < 10 && len(first) < count; i++ {
		if _, ok := u.parts[i]; !ok {
			first = append(first, i)
		}
	}
	return count, first
}

func (a *API) list(idx []int) string {
	s := make([]string, len(idx))
	for i, v := range idx {
		s[i] = strconv.Itoa(v + a.base())
	}
	return strings.Join(s, ", ")
}
