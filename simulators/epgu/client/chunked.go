package client

import (
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// checkChunkSize keeps every non-last chunk within 5 000 000..50 000 000 bytes (EPGU-2.1.3).
func checkChunkSize(n int) error {
	if n < MinChunkSize || n > MaxChunkSize {
		return &rule.Breach{Rule: "EPGU-2.1.3", Field: msg.Raw("ChunkSize"),
			Expected: msg.F("%d to %d bytes for every non-last chunk", MinChunkSize, MaxChunkSize),
			Observed: msg.F("%d bytes", n), Fix: msg.F("set Config.ChunkSize within the bounds")}
	}
	return nil
}

// split cuts the archive by bytes into chunks of size, the last one shorter (EPGU-2.1.3).
func split(archive []byte, size int) [][]byte {
	var chunks [][]byte
	for len(archive) > size {
		chunks = append(chunks, archive[:size])
		archive = archive[size:]
	}
	return append(chunks, archive)
}

// sendOrder is the order the chunks go in: the first first, the last last (EPGU-2.1.3). The
// chunk-order defect sends the last one second, before the middle ones (or first, with two chunks).
func (c *Client) sendOrder(n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if c.has(DefectChunkOrder) && n >= 2 {
		if n == 2 {
			return []int{1, 0}
		}
		order = append([]int{0, n - 1}, order[1:n-1]...)
	}
	return order
}

// pushChunked uploads the archive by chunks: POST /api/gusmev/push/chunked with meta, orderId, chunk
// (0..n-1), chunks (n) and file (EPGU-T8, T10); 206 for every chunk but the last, 200 for the last
// (EPGU-T11). All chunks go within the chunk window counted from the first (EPGU-2.1.3): the client
// gives up rather than send a chunk after it.
func (c *Client) pushChunked(ctx context.Context, m meta, orderID int64, archive []byte) error {
	chunks := split(archive, c.cfg.ChunkSize)
	n := len(chunks)
	var first time.Time
	for k, i := range c.sendOrder(n) {
		var deadline time.Time
		switch {
		case k == 0:
			first = c.cfg.Clock.Now()
		case c.has(DefectChunkWindow):
			if k == 1 {
				// The defect: dawdle past the window after the first chunk, and send on regardless.
				if err := c.cfg.Sleep(ctx, c.cfg.ChunkWindow+time.Second); err != nil {
					return err
				}
			}
		default:
			deadline = first.Add(c.cfg.ChunkWindow)
			if now := c.cfg.Clock.Now(); !now.Before(deadline) {
				return fmt.Errorf("chunk %d of %d: not sent: %w", i, n, &rule.Breach{Rule: "EPGU-2.1.3", Field: msg.Raw("chunk"),
					Expected: msg.F("every chunk within %s of the first", c.cfg.ChunkWindow),
					Observed: msg.F("%s since the first", now.Sub(first)),
					Fix:      msg.F("send the chunks faster, or the archive by /push when it is small enough")})
			}
		}
		name := "archive.zip"
		if n > 1 {
			name = fmt.Sprintf("archive.z%03d", i+1)
		}
		body, ctype, err := multipartBody(func(w *multipart.Writer) error {
			if err := writeMeta(w, m); err != nil {
				return err
			}
			for _, f := range [][2]string{{"orderId", strconv.FormatInt(orderID, 10)}, {"chunk", strconv.Itoa(i)}, {"chunks", strconv.Itoa(n)}} {
				if err := w.WriteField(f[0], f[1]); err != nil {
					return err
				}
			}
			return writeFile(w, name, chunks[i])
		})
		if err != nil {
			return fmt.Errorf("chunk %d of %d: %w", i, n, err)
		}
		r, err := c.do(ctx, call{method: http.MethodPost, path: "/api/gusmev/push/chunked", contentType: ctype, body: body, deadline: deadline})
		if err != nil {
			return fmt.Errorf("chunk %d of %d: %w", i, n, err)
		}
		var b struct {
			OrderID int64 `json:"orderId"`
		}
		if err := json.Unmarshal(r.body, &b); err != nil || b.OrderID != orderID {
			return fmt.Errorf("chunk %d of %d: the answer is not {\"orderId\": %d}: %q", i, n, orderID, truncate(r.body, 200))
		}
		want := http.StatusPartialContent
		if i == n-1 {
			want = http.StatusOK
		}
		if r.status != want {
			return fmt.Errorf("chunk %d of %d: HTTP %d, expected %d (EPGU-T11)", i, n, r.status, want)
		}
	}
	return nil
}
