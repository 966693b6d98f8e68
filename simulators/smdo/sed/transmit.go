package sed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
)

// pathOutgoing is the outgoing package API below the router's base URL (SMDO-SEND).
const pathOutgoing = "receiver/1.0.0/org/SMDO~1.0.0/package"

// transmit is one run of the sending thread for p: after the restart pause, create, attach each
// file, put the filled package, put each file's signature, send. It stops at the first negative
// answer (SMDO-HALT); the ignore-refusal defect goes on to send.
func (c *Client) transmit(ctx context.Context, p *pkg, files []*outFile) (string, error) {
	c.sending.Lock()
	defer c.sending.Unlock()
	if err := c.restartPause(ctx); err != nil {
		return "", fmt.Errorf("send: %w", err)
	}
	defer func() { c.lastSent = c.cfg.Clock.Now() }()

	created, err := c.create(ctx, p)
	if err != nil {
		return "", err // nothing to send without a package
	}
	p.PackageID, p.ConfirmID, p.HeaderID, p.State = created.PackageID, created.ConfirmID, created.HeaderID, created.State
	c.out.bind(p.Body.Envelop.MsgID, p.PackageID)
	h := halt{ignore: c.has(DefectIgnoreRefusal)}
	for _, f := range files {
		if h.stop(c.attach(ctx, p.PackageID, f)) {
			return p.PackageID, h.err
		}
	}
	if len(files) > 0 {
		if err := c.fill(p, files); err != nil {
			return p.PackageID, err
		}
		if h.stop(c.update(ctx, p)) {
			return p.PackageID, h.err
		}
		for _, f := range files {
			if f.signature == nil || f.attachID == "" {
				continue
			}
			if h.stop(c.putSigns(ctx, p.PackageID, f)) {
				return p.PackageID, h.err
			}
		}
	}
	return p.PackageID, c.sendNow(ctx, p.PackageID)
}

// restartPause waits until RestartPause after the previous send ended (SMDO-RESTART); the
// fast-restart defect does not.
func (c *Client) restartPause(ctx context.Context) error {
	if c.lastSent.IsZero() || c.has(DefectFastRestart) {
		return ctx.Err()
	}
	return c.sleepUntil(ctx, c.lastSent.Add(c.cfg.RestartPause))
}

// halt decides, after each stage, whether the sending thread stops (SMDO-HALT).
type halt struct {
	ignore bool // the ignore-refusal defect: a refusal does not stop it
	err    error
}

func (h *halt) stop(err error) bool {
	if err == nil {
		return false
	}
	var re *RefusedError
	if h.ignore && errors.As(err, &re) && re.Stage != StageToken {
		return false
	}
	h.err = err
	return true
}

// refused makes a failed call of a stage into its *RefusedError; an error without an answer of the
// router (the network) is returned as it is.
func refused(stage, packageID, file string, err error) error {
	var re *RefusedError
	if errors.As(err, &re) {
		return err // the token was refused
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("%s: %w", stage, err)
	}
	return &RefusedError{Stage: stage, PackageID: packageID, File: file, Status: ae.Status,
		Message: ae.Message, Rule: ae.Rule, Err: err}
}

// create posts the package and reads the router's: packageId, confirmId, headerId.
func (c *Client) create(ctx context.Context, p *pkg) (*pkg, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	r, err := c.do(ctx, call{method: http.MethodPost, path: pathOutgoing, contentType: "application/json", body: body})
	if err != nil {
		return nil, refused(StageCreate, "", "", err)
	}
	var got pkg
	if err := json.Unmarshal(r.body, &got); err != nil || got.PackageID == "" {
		return nil, fmt.Errorf("create: the answer has no packageId: %q", truncate(r.body, 200))
	}
	return &got, nil
}

// attach posts one file, multipart field "file" named by its referenceid.
func (c *Client) attach(ctx context.Context, packageID string, f *outFile) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("file", f.referenceID)
	if err == nil {
		_, err = part.Write(f.Data)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return fmt.Errorf("attach %s: %w", f.Name, err)
	}
	r, err := c.do(ctx, call{method: http.MethodPost, path: pathOutgoing + "/" + url.PathEscape(packageID) + "/attach",
		contentType: w.FormDataContentType(), body: buf.Bytes()})
	if err != nil {
		return refused(StageAttach, packageID, f.Name, err)
	}
	var a attachment
	if err := json.Unmarshal(r.body, &a); err != nil || a.ID == "" {
		return fmt.Errorf("attach %s: the answer has no id: %q", f.Name, truncate(r.body, 200))
	}
	f.attachID = a.ID
	return nil
}

// update puts the whole package, its docTransfer filled.
func (c *Client) update(ctx context.Context, p *pkg) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if _, err := c.do(ctx, call{method: http.MethodPut, path: pathOutgoing, contentType: "application/json", body: body}); err != nil {
		return refused(StageUpdate, p.PackageID, "", err)
	}
	return nil
}

// putSigns puts a file's signature, which the router verifies at once (SMDO-SIGN).
func (c *Client) putSigns(ctx context.Context, packageID string, f *outFile) error {
	s, err := c.signOf(f.signature)
	if err != nil {
		return err
	}
	body, err := json.Marshal([]sign{s})
	if err != nil {
		return err
	}
	p := pathOutgoing + "/" + url.PathEscape(packageID) + "/attach/" + url.PathEscape(f.attachID) + "/signs"
	if _, err := c.do(ctx, call{method: http.MethodPut, path: p, contentType: "application/json", body: body}); err != nil {
		return refused(StageSigns, packageID, f.Name, err)
	}
	return nil
}

// sendNow asks the router to send the package: 204, accepted for processing (SMDO-SEND).
func (c *Client) sendNow(ctx context.Context, packageID string) error {
	r, err := c.do(ctx, call{method: http.MethodGet, path: pathOutgoing + "/" + url.PathEscape(packageID) + "/send"})
	if err != nil {
		return refused(StageSend, packageID, "", err)
	}
	if r.status != http.StatusNoContent {
		return fmt.Errorf("send %s: HTTP %d, want 204", packageID, r.status)
	}
	return nil
}
