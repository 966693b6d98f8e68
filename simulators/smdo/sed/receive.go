package sed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// pathIncoming is the incoming package API below the router's base URL.
const pathIncoming = "sender/1.0.0/org/SMDO~1.0.0/package"

// pageSize is the size of a page of the incoming list, the largest the router takes.
const pageSize = 100

// maxPages bounds one pass, so that a router answering hasNext for ever cannot hold it.
const maxPages = 1000

// Incoming is a package the system took from its incoming list.
type Incoming struct {
	PackageID, ConfirmID, ParentID string
	From                           string // from.idAbonent; "ROUTER" for the router's own packets
	MsgID, IDNumber                string
	MsgType, MsgAcknow             int
	// Sender is the sending subscriber: idAbonent, smdoCode (header.sender.id) and name.
	Sender Party
	// Title, RegNumber and RegDate are the document's, when the package holds one.
	Title, RegNumber, RegDate string
	// Files are the downloaded files by their docTransfer name (by attachment name when the name is
	// missing or repeated), for documents and additional materials.
	Files map[string][]byte
	// Raw is the package as the list gave it.
	Raw json.RawMessage
	// Notice is set for the router's packets and for acknowledgements.
	Notice *Notice
	// Confirmed says the package was confirmed (not with the no-confirm defect).
	Confirmed bool
}

// Notice is a delivery receipt of the router, a notice of it (a refusal), or a receiver's
// delivery or registration notice (SMDO-RECEIPT, SMDO-NOTICE, SMDO-ACK).
type Notice struct {
	PackageID string // the notice's own package
	AckType   int    // AckDelivery or AckRegistration; 0 for a router notice without acknowledgement
	ErrorCode int    // of the acknowledgement: AckRegistered, AckNotSubject, AckRefused
	Value     string // the acknowledgement's value, else the router's message
	From      string // from.idAbonent: "ROUTER" or the receiver
	About     string // parentId: the package it concerns
	MsgID     string // the acknowledged msg_id
	Message   string // the router's body.message
	// Refusal marks a router notice that is not a delivery receipt: the router refused the package.
	Refusal bool
}

// ReceiveOnce is one pass of the receiving thread: it lists every page of new packages, downloads
// the files of documents and additional materials, takes notices into its outgoing records,
// answers documents asking for acknowledgement with a delivery notice then a registration notice
// (SMDO-ACK), and then confirms each package (SMDO-CONFIRM). A package not taken whole (a file or a
// notice failed) is left unconfirmed for the next pass. It returns the packages taken, those a
// Send took while waiting for its receipt included. A pass lists no sooner than PollInterval after
// the previous pass of either thread had its answer, so it may first wait (SMDO-POLL). A pass reads
// every page at once: its list calls come back to back.
func (c *Client) ReceiveOnce(ctx context.Context) ([]Incoming, error) {
	if c.err != nil {
		return nil, c.err
	}
	got, listErr, err := c.pass(ctx)
	c.mu.Lock()
	got = append(c.pending, got...)
	errs := append(c.pendingErr, listErr, err)
	c.pending, c.pendingErr = nil, nil
	c.mu.Unlock()
	return got, errors.Join(errs...)
}

// Run is the receiving thread: ReceiveOnce now and then every PollInterval (counted from the
// previous list's answer) until ctx ends. A failed pass does not end it, as the walkthrough's thread
// runs on its period whatever the last pass met: what was not confirmed is offered again and taken
// on the next pass. It returns every package taken and the last pass's error, if that pass failed;
// the end of ctx is not an error.
func (c *Client) Run(ctx context.Context) ([]Incoming, error) {
	if c.err != nil {
		return nil, c.err
	}
	var all []Incoming
	var last error
	for {
		got, err := c.ReceiveOnce(ctx)
		all = append(all, got...)
		if err != nil && ctx.Err() == nil {
			// A pass that failed before listing set no schedule: wait a period before the next,
			// rather than calling the router again at once.
			_ = c.cfg.Sleep(ctx, c.pollEvery())
		}
		if ctx.Err() != nil {
			return all, last
		}
		last = err
	}
}

// pollEvery is the period of the passes; the poll-fast defect polls ten times as often.
func (c *Client) pollEvery() time.Duration {
	if c.has(DefectPollFast) {
		return c.cfg.PollInterval / 10
	}
	return c.cfg.PollInterval
}

// pass is one poll of either thread. Every package is taken under the polling lock, its notices
// sent before it is confirmed, so that two passes never take the same package.
func (c *Client) pass(ctx context.Context) (taken []Incoming, listErr, err error) {
	return c.take(ctx)
}

// take is one poll: it waits for the poll period, lists, and takes each package listed.
func (c *Client) take(ctx context.Context) (taken []Incoming, listErr, err error) {
	c.polling.Lock()
	defer c.polling.Unlock()
	if !c.lastPoll.IsZero() {
		if err := c.sleepUntil(ctx, c.lastPoll.Add(c.pollEvery())); err != nil {
			return nil, err, nil
		}
	}
	items, err := c.list(ctx)
	// The period counts from the answer of the last page, so that the router, which sees when the
	// calls arrive, never sees two passes closer than the period, whatever the network's delay.
	c.lastPoll = c.cfg.Clock.Now()
	if err != nil {
		return nil, err, nil
	}
	var errs []error
	for _, raw := range items {
		in, err := c.takeOne(ctx, raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		taken = append(taken, in)
	}
	return taken, nil, errors.Join(errs...)
}

// list reads every page of the new packages. The pages are read before any is confirmed, since a
// confirmed package leaves the list and would shift the pages after it.
func (c *Client) list(ctx context.Context) ([]json.RawMessage, error) {
	var items []json.RawMessage
	seen := map[string]bool{}
	for n := 0; n < maxPages; n++ {
		body, _ := json.Marshal(map[string]any{"page": n, "size": pageSize, "onlyNew": true})
		r, err := c.do(ctx, call{method: http.MethodPost, path: pathIncoming, contentType: "application/json", body: body})
		if err != nil {
			return nil, fmt.Errorf("list the incoming packages: %w", err)
		}
		var p page
		if err := json.Unmarshal(r.body, &p); err != nil {
			return nil, fmt.Errorf("list the incoming packages: page %d: %w", n, err)
		}
		for _, raw := range p.Content {
			var id struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(raw, &id) == nil && !seen[id.ID] {
				seen[id.ID] = true
				items = append(items, raw)
			}
		}
		if !p.HasNext || len(p.Content) == 0 {
			return items, nil
		}
	}
	return items, nil
}

// takeOne downloads a package's files, files its notice, answers it when it asks for
// acknowledgement, and confirms it. A package whose files did not all download whole, or whose
// notices did not all go out, is not confirmed: the router offers it again (SMDO-CONFIRM) and the
// next pass takes it up where this one stopped, so that no file and no notice is lost (SMDO-ACK).
func (c *Client) takeOne(ctx context.Context, raw json.RawMessage) (Incoming, error) {
	var it incomingItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return Incoming{}, fmt.Errorf("an incoming package: %w", err)
	}
	in := incomingOf(it, raw)
	if in.Notice == nil && len(it.Attachments) > 0 {
		files, err := c.download(ctx, it)
		if err != nil {
			return in, err
		}
		in.Files = files
	}
	if in.Notice != nil {
		c.out.note(*in.Notice)
	}
	if err := c.acknowledge(ctx, in); err != nil {
		return in, err
	}
	if c.has(DefectNoConfirm) {
		return in, nil
	}
	if err := c.confirm(ctx, it.ConfirmID); err != nil {
		return in, fmt.Errorf("confirm package %s: %w", it.ID, err)
	}
	// Confirmed, the package leaves the list, and with it the need to know what was answered.
	c.answered(in.MsgID)
	in.Confirmed = true
	return in, nil
}

// incomingOf reads what the system needs of a listed package.
func incomingOf(it incomingItem, raw json.RawMessage) Incoming {
	in := Incoming{PackageID: it.ID, ConfirmID: it.ConfirmID, ParentID: it.ParentID, From: it.From.IDAbonent,
		Sender: Party{ID: it.From.IDAbonent, Name: it.From.Name}, Raw: raw}
	env := it.Body.Envelop
	if env != nil {
		in.MsgID, in.MsgType, in.MsgAcknow = env.MsgID, env.Header.MsgType, env.Header.MsgAcknow
		in.Sender.Code = env.Header.Sender.ID
		if in.Sender.Name == "" {
			in.Sender.Name = env.Header.Sender.Name
		}
		if d := env.Body.Document; d != nil {
			in.IDNumber, in.Title = d.IDNumber, d.Title
			if d.RegNumber != nil {
				in.RegNumber, in.RegDate = d.RegNumber.Value, d.RegNumber.RegDate
			}
		}
	}
	in.Notice = noticeOf(it)
	return in
}

// noticeOf is the notice a package carries: any packet of the router, or an acknowledgement.
func noticeOf(it incomingItem) *Notice {
	var ack *acknowledgement
	env := it.Body.Envelop
	if env != nil {
		ack = env.Body.Acknowledgement
	}
	fromRouter := it.From.IDAbonent == routerID
	if !fromRouter && (ack == nil || env.Header.MsgType != MsgAcknowledgement) {
		return nil
	}
	n := &Notice{PackageID: it.ID, From: it.From.IDAbonent, About: it.ParentID, Message: it.Body.Message}
	if ack != nil {
		n.AckType, n.MsgID = ack.AckType, ack.MsgID
		for _, r := range ack.AckResult {
			if n.Value == "" {
				n.Value = r.Value
			}
			n.ErrorCode = max(n.ErrorCode, r.ErrorCode)
		}
	}
	if n.Value == "" {
		n.Value = n.Message
	}
	// SMDO-RECEIPT: the router's receipt is its delivery acknowledgement with errorcode 0; any
	// other packet of the router about a package is a refusal (SMDO-NOTICE).
	n.Refusal = fromRouter && !(ack != nil && ack.AckType == AckDelivery && n.ErrorCode == 0)
	return n
}

// download gets every file of a package whole, keyed by its docTransfer name.
func (c *Client) download(ctx context.Context, it incomingItem) (map[string][]byte, error) {
	names := transferNames(it)
	files := make(map[string][]byte, len(it.Attachments))
	for _, a := range it.Attachments {
		p := pathIncoming + "/" + url.PathEscape(it.ID) + "/attach/" + url.PathEscape(a.ID)
		r, err := c.do(ctx, call{method: http.MethodGet, path: p, accept: "application/octet-stream, */*"})
		if err != nil {
			return nil, fmt.Errorf("download %s of package %s: %w", a.Name, it.ID, err)
		}
		// A file shorter or longer than the list says did not come whole; taking it would confirm
		// a document the system does not have.
		if a.Size != nil && int64(len(r.body)) != *a.Size {
			return nil, fmt.Errorf("download %s of package %s: %d bytes, the list gives its size as %d", a.Name, it.ID, len(r.body), *a.Size)
		}
		name := names[a.Name]
		if _, dup := files[name]; name == "" || dup {
			name = a.Name
		}
		files[name] = r.body
	}
	return files, nil
}

// transferNames maps each attachment name (referenceid) to its docTransfer's file name.
func transferNames(it incomingItem) map[string]string {
	names := map[string]string{}
	env := it.Body.Envelop
	if env == nil {
		return names
	}
	var ts []docTransfer
	if d := env.Body.Document; d != nil {
		ts = append(ts, d.DocTransfer...)
	}
	if a := env.Body.AddDocuments; a != nil {
		for _, f := range a.Folder {
			ts = append(ts, f.DocTransfer...)
		}
	}
	for _, t := range ts {
		names[t.Data.ReferenceID] = t.Name
	}
	return names
}

// confirm tells the router the package was received (SMDO-CONFIRM).
func (c *Client) confirm(ctx context.Context, confirmID string) error {
	_, err := c.do(ctx, call{method: http.MethodGet, path: pathIncoming + "/confirm/" + url.PathEscape(confirmID)})
	return err
}
