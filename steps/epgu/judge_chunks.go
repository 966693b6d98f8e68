package epgu

import (
	"net/http"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/simulators/epgu/api"
)

// chunkCalls are the system's chunk uploads in order of arrival.
func (w *World) chunkCalls() []api.Request {
	var out []api.Request
	for _, r := range w.calls() {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/api/gusmev/push/chunked") && r.Chunks > 0 && !r.Fault {
			out = append(out, r)
		}
	}
	return out
}

func (w *World) orderBeforeChunks() error {
	var created, chunked time.Time
	for _, r := range w.calls() {
		if created.IsZero() && route(r.Path) == "/api/gusmev/order" && r.Status == http.StatusOK {
			created = r.At
		}
		if chunked.IsZero() && strings.HasPrefix(r.Path, "/api/gusmev/push/chunked") {
			chunked = r.At
		}
	}
	return w.evidence.Check("EPGU-2.1.2", msg.F("POST /api/gusmev/order answered with the orderId before the first chunk"),
		msg.F("order created %v, first chunk %v%s", stamp(created), stamp(chunked), w.outcome()),
		!created.IsZero() && !chunked.IsZero() && created.Before(chunked))
}

func (w *World) chunkOrder() error {
	calls := w.chunkCalls()
	if len(calls) == 0 {
		return w.evidence.Check("EPGU-2.1.3", msg.F("the archive in chunks"), msg.F("no chunk%s", w.outcome()), false)
	}
	n := calls[0].Chunks
	firstIndex := firstChunk(calls)
	lastIndex := firstIndex + n - 1
	order := make([]int, len(calls))
	seen := map[int]bool{}
	ok, lastCame := calls[0].Chunk == firstIndex, false
	for i, c := range calls {
		order[i] = c.Chunk
		if c.Chunk == lastIndex {
			lastCame = true
			// The last chunk comes after every other one has arrived.
			ok = ok && len(seen) == n-1
		}
		seen[c.Chunk] = true
	}
	return w.evidence.Check("EPGU-2.1.3", msg.F("the first chunk first and the last chunk last, after all the others"),
		msg.F("chunks in the order %v of %d%s", order, n, w.outcome()), ok && lastCame)
}

func (w *World) chunkSizes() error {
	calls := w.chunkCalls()
	spec := api.SpecLimits()
	var bad []msg.Text
	for _, c := range calls {
		// The last chunk is the one numbered last, wherever it came (a retried one included).
		last := c.Chunk == firstChunk(calls)+c.Chunks-1
		if (!last && (c.ChunkBytes < spec.MinChunkBytes || c.ChunkBytes > spec.MaxChunkBytes)) || (last && c.ChunkBytes > spec.MaxChunkBytes) {
			bad = append(bad, msg.F("chunk %d: %d bytes", c.Chunk, c.ChunkBytes))
		}
	}
	return w.evidence.Check("EPGU-2.1.3", msg.F("every chunk but the last 5 000 000 to 50 000 000 bytes, the last at most 50 000 000"),
		msg.F("%d chunks, outside the bounds: %s", len(calls), list(bad)), len(calls) > 0 && len(bad) == 0)
}

func (w *World) chunkWindow() error {
	calls := w.chunkCalls()
	if len(calls) == 0 {
		return w.evidence.Check("EPGU-2.1.3", msg.F("chunks within the window"), msg.F("no chunk%s", w.outcome()), false)
	}
	span := calls[len(calls)-1].SimAt.Sub(calls[0].SimAt)
	return w.evidence.Check("EPGU-2.1.3", msg.F("the last chunk within %s of the first (5 minutes at time scale %g)", w.suite.limits.ChunkWindow, w.suite.opts.TimeScale),
		msg.F("last chunk %s after the first", span.Round(time.Millisecond)), span <= w.suite.limits.ChunkWindow)
}

// firstChunk is the lowest chunk number the client sent: 0 as the specification's text says, 1 as
// its example.
func firstChunk(calls []api.Request) int {
	first := calls[0].Chunk
	for _, c := range calls {
		first = min(first, c.Chunk)
	}
	return first
}
