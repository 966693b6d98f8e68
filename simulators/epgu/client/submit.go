package client

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/schema"
)

// Submission is one order to send.
type Submission struct {
	Region      string // OKATO (EPGU-T6)
	ServiceCode string
	TargetCode  string
	// Files are the archive's files by name: req.xml, the business XML, attachments.
	Files map[string][]byte
	// Schema is the business XML's XSD when known; the client refuses to send a business XML that
	// breaks it.
	Schema interface {
		Validate([]byte) []schema.Violation
	}
	// BusinessFile names the business XML among Files.
	BusinessFile string
	// Sign adds <file>.sig, a detached signature with a TSA time-stamp, beside every file
	// (EPGU-2.1.3).
	Sign bool
	// Chunked sends by /order and /push/chunked instead of /push; an archive over MaxPushSize goes by
	// chunks anyway (EPGU-2.1.1).
	Chunked bool
	// SetOrderID, when set, writes the order number into the files before they are validated,
	// signed and sent; it makes the submission chunked, since only /order gives the number first
	// (EPGU-2.1.2).
	SetOrderID func(orderID int64, files map[string][]byte) error
}

// meta is the order's metadata (EPGU-T6) as the samples of Tables 10 and 14 write it.
type meta struct {
	Region      string `json:"region"`
	ServiceCode string `json:"serviceCode"`
	TargetCode  string `json:"targetCode"`
}

// Submit sends the submission and returns the order number. It validates the business XML first
// and sends nothing when it breaks its schema (*InvalidXMLError).
func (c *Client) Submit(ctx context.Context, s Submission) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(s.Files) == 0 {
		return 0, fmt.Errorf("submit: no files")
	}
	if err := checkChunkSize(c.cfg.ChunkSize); err != nil {
		return 0, fmt.Errorf("submit: %w", err)
	}
	files := make(map[string][]byte, len(s.Files))
	for n, b := range s.Files {
		files[n] = b
	}
	if err := c.validate(s, files); err != nil {
		return 0, fmt.Errorf("submit: %w", err)
	}
	m := meta{Region: s.Region, ServiceCode: s.ServiceCode, TargetCode: s.TargetCode}
	chunked := s.Chunked || s.SetOrderID != nil
	if !chunked {
		archive, err := c.archive(s, files)
		if err != nil {
			return 0, fmt.Errorf("submit: %w", err)
		}
		if len(archive) <= MaxPushSize {
			id, err := c.push(ctx, m, archive)
			if err != nil {
				return 0, fmt.Errorf("submit: %w", err)
			}
			return id, nil
		}
		// EPGU-2.1.1: an archive over 50 000 000 bytes goes by chunks.
	}
	id, err := c.createOrder(ctx, m)
	if err != nil {
		return 0, fmt.Errorf("submit: %w", err)
	}
	if s.SetOrderID != nil {
		if err := s.SetOrderID(id, files); err != nil {
			return id, fmt.Errorf("submit order %d: write the order number: %w", id, err)
		}
		if err := c.validate(s, files); err != nil {
			return id, fmt.Errorf("submit order %d: %w", id, err)
		}
	}
	archive, err := c.archive(s, files)
	if err != nil {
		return id, fmt.Errorf("submit order %d: %w", id, err)
	}
	if err := c.pushChunked(ctx, m, id, archive); err != nil {
		return id, fmt.Errorf("submit order %d: %w", id, err)
	}
	return id, nil
}

// validate checks the business XML against its schema when both are known; the invalid-xml defect
// skips the check (and archive breaks the XML).
func (c *Client) validate(s Submission, files map[string][]byte) error {
	if s.Schema == nil || s.BusinessFile == "" || c.has(DefectInvalidXML) {
		return nil
	}
	doc, ok := files[s.BusinessFile]
	if !ok {
		return fmt.Errorf("the business XML %s is not among the files", s.BusinessFile)
	}
	if v := s.Schema.Validate(doc); len(v) > 0 {
		return &InvalidXMLError{File: s.BusinessFile, Violations: v}
	}
	return nil
}

// archive signs the files when asked and zips them flat. The invalid-xml defect breaks the business
// XML first, so its signature is over the broken XML and only the XML is at fault.
func (c *Client) archive(s Submission, files map[string][]byte) ([]byte, error) {
	if c.has(DefectInvalidXML) {
		name := businessFile(s, files)
		if name == "" {
			return nil, fmt.Errorf("defect %s: no business XML among the files", DefectInvalidXML)
		}
		broken, err := breakXML(files[name], s.Schema)
		if err != nil {
			return nil, fmt.Errorf("defect %s: %s: %w", DefectInvalidXML, name, err)
		}
		files = maps.Clone(files)
		files[name] = broken
	}
	all := make(map[string][]byte, 2*len(files))
	for n, b := range files {
		all[n] = b
	}
	if s.Sign && !c.has(DefectNoSig) {
		// WALK-SIG: the signature value is time-stamped (the walkthrough's "штамп времени").
		var opts []cms.SignOption
		if c.cfg.TSAURL != "" {
			opts = append(opts, cms.WithTimestamp(c.cfg.TSAURL, c.cfg.HTTPClient))
		}
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if strings.HasSuffix(n, ".sig") {
				continue
			}
			// EPGU-2.1.3: the detached signature of req.xml is req.xml.sig.
			sig, err := cms.SignDetached(c.cfg.Identity, files[n], opts...)
			if err != nil {
				return nil, fmt.Errorf("sign %s: %w", n, err)
			}
			all[n+".sig"] = sig
		}
	}
	return buildArchive(all)
}

// createOrder creates the order: POST /api/gusmev/order with the metadata (EPGU-T4, T6, T7).
func (c *Client) createOrder(ctx context.Context, m meta) (int64, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return 0, err
	}
	r, err := c.do(ctx, call{method: http.MethodPost, path: "/api/gusmev/order", contentType: "application/json", body: body})
	if err != nil {
		return 0, fmt.Errorf("create order: %w", err)
	}
	return orderIDOf(r, "create order")
}

// push sends the archive by the single method: POST /api/gusmev/push, meta and file (EPGU-T12, T14).
func (c *Client) push(ctx context.Context, m meta, archive []byte) (int64, error) {
	body, ctype, err := multipartBody(func(w *multipart.Writer) error {
		if err := writeMeta(w, m); err != nil {
			return err
		}
		return writeFile(w, "archive.zip", archive)
	})
	if err != nil {
		return 0, fmt.Errorf("push: %w", err)
	}
	r, err := c.do(ctx, call{method: http.MethodPost, path: "/api/gusmev/push", contentType: ctype, body: body})
	if err != nil {
		return 0, fmt.Errorf("push: %w", err)
	}
	return orderIDOf(r, "push")
}

// orderIDOf reads {"orderId": n} (EPGU-T7, T11, T15).
func orderIDOf(r *reply, what string) (int64, error) {
	var b struct {
		OrderID int64 `json:"orderId"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil || b.OrderID == 0 {
		return 0, fmt.Errorf("%s: the answer has no orderId: %q", what, truncate(r.body, 200))
	}
	return b.OrderID, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
