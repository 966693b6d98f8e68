package gospochta

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/gospochta/agency"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// The reference system's HTTP paths: the trigger the harness POSTs its requests to, and where
// Gospochta pushes the states of what it sent (NotifyPath + the system's mnemonic, GP-W-STATES).
const (
	TriggerPath = "/trigger"
	NotifyPath  = "/notify/"
)

// Reference is the built-in reference agency system as the system under test of a demonstration:
// it takes the harness's trigger requests on channel gospochta as an agency's system would and
// acts through simulators/gospochta/agency, sending (Send) and reading (Receive). A demonstration
// certifies nothing; with Defects it shows that the scenarios catch each fault.
//
// As an http.Handler it serves the trigger (POST TriggerPath, or any path but NotifyPath's) and the
// state pushes (POST NotifyPath{mnemonic}).
type Reference struct {
	Identity  *pki.Identity // the system's certificate: mTLS, JWT assertions, document signatures
	PollPause time.Duration // between fetches of a search task (zero: the client's hour)
	Defects   []string      // agency.KnownDefects
	// NotifyBase is the base URL at which the harness's Gospochta reaches this handler for pushes
	// (notifyUrl = NotifyBase + NotifyPath + mnemonic). Empty: ServeHTTP takes the address it is
	// triggered at (http://Host), which is right for a container that does not know its mapped
	// port; Fire called directly then cannot send.
	NotifyBase string

	mu       sync.Mutex
	installs []*refInstall // the most recently used first, at most maxRefInstalls
}

// maxRefInstalls bounds the installations kept. A long-running sample agency meets a new contour
// in every scenario; only the recent ones can still be pushed to.
const maxRefInstalls = 16

// refInstall is one installation of the reference system: its client for one contour and
// mnemonic, with the credentials it was set up with.
type refInstall struct {
	gateway, auth, mnemonic string
	hmacKey, apiKey         []byte
	ca                      string
	client                  *agency.Client
}

// Describe names the system for the report.
func (r *Reference) Describe() string { return "the built-in reference system (in-process)" }

// Fire does what the trigger request asks.
func (r *Reference) Fire(ctx context.Context, req trigger.Request) (trigger.Result, error) {
	return r.fire(ctx, req, r.NotifyBase)
}

func (r *Reference) fire(ctx context.Context, req trigger.Request, notifyBase string) (trigger.Result, error) {
	if err := req.Check(); err != nil {
		return trigger.Result{}, err
	}
	if req.Channel != trigger.Gospochta {
		return trigger.Result{}, fmt.Errorf("the reference system takes channel %s only, not %q", trigger.Gospochta, req.Channel)
	}
	in, err := r.install(req)
	if err != nil {
		return trigger.Result{}, err
	}
	if req.Action == trigger.Receive {
		return refReceive(ctx, in.client, req.Gospochta)
	}
	return refSend(ctx, in.client, req, notifyBase)
}

// install is the installation for the request's contour and mnemonic: the one kept when its
// credentials are those of the request (a request that leaves one out keeps the installation's),
// else a new one in its place.
func (r *Reference) install(req trigger.Request) (*refInstall, error) {
	g := req.Gospochta
	want := &refInstall{gateway: req.Gateway, auth: req.Auth, mnemonic: g.Mnemonic, apiKey: []byte(req.APIKey), ca: req.CA}
	if g.HMACKey != "" {
		key, err := base64.StdEncoding.DecodeString(g.HMACKey)
		if err != nil || len(key) != wire.KeySize {
			return nil, fmt.Errorf("trigger request: gospochta.hmacKey is not base64 of %d bytes", wire.KeySize)
		}
		want.hmacKey = key
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var old *refInstall
	for i, in := range r.installs {
		if in.gateway == want.gateway && in.mnemonic == want.mnemonic {
			old = in
			r.installs = append(r.installs[:i], r.installs[i+1:]...)
			break
		}
	}
	if old != nil {
		if want.hmacKey == nil {
			want.hmacKey = old.hmacKey
		}
		if len(want.apiKey) == 0 {
			want.apiKey = old.apiKey
		}
		if want.ca == "" {
			want.ca = old.ca
		}
		if want.auth == old.auth && bytes.Equal(want.hmacKey, old.hmacKey) && bytes.Equal(want.apiKey, old.apiKey) && want.ca == old.ca {
			r.installs = append([]*refInstall{old}, r.installs...)
			return old, nil
		}
		old.client.CloseIdleConnections()
	}
	roots, err := refRoots(want.ca)
	if err != nil {
		return nil, err
	}
	want.client, err = agency.New(agency.Config{ESIAURL: want.auth, APIURL: want.gateway, Mnemonic: want.mnemonic,
		Identity: r.Identity, APIKey: want.apiKey, HMACKey: want.hmacKey, Roots: roots, PollPause: r.PollPause, Defects: r.Defects})
	if err != nil {
		return nil, err
	}
	r.installs = append([]*refInstall{want}, r.installs...)
	for len(r.installs) > maxRefInstalls {
		r.installs[len(r.installs)-1].client.CloseIdleConnections()
		r.installs = r.installs[:len(r.installs)-1]
	}
	return want, nil
}

// refRoots are the roots the contour's certificates must chain to: the CA chain the request
// brings (the test contour's), else nil, the system's own roots. An empty pool would trust no
// server at all.
func refRoots(ca string) (*x509.CertPool, error) {
	if ca == "" {
		return nil, nil
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(ca)) {
		return nil, errors.New("trigger request: ca holds no PEM certificate")
	}
	return roots, nil
}

// refSend sends the request's document and reports it as the trigger contract says: Accepted once
// the verified receipt is held, Refused for a receipt that does not verify, Failed for a refusal
// of Gospochta or ESIA (Code: its code) or no answer.
func refSend(ctx context.Context, c *agency.Client, req trigger.Request, notifyBase string) (trigger.Result, error) {
	g := req.Gospochta
	if notifyBase == "" {
		return trigger.Result{}, errors.New("the reference system has no NotifyBase: serve it over HTTP (ServeHTTP takes the address it is triggered at) or set NotifyBase, so that Gospochta can push the states (GP-W-STATES)")
	}
	doc, err := base64.StdEncoding.DecodeString(req.Files[g.Document])
	if err != nil {
		return trigger.Result{}, fmt.Errorf("trigger request: file %s is not base64: %w", g.Document, err)
	}
	name := path.Base(g.Document)
	mimeType, _, _ := strings.Cut(mime.TypeByExtension(path.Ext(name)), ";")
	sent, err := c.Send(ctx, agency.Outgoing{Kind: g.Kind, RecipientID: g.Recipient, Subject: g.Subject,
		FileName: name, MimeType: mimeType, Document: doc, PersonalData: g.PersonalData,
		NotifyURL: strings.TrimSuffix(notifyBase, "/") + NotifyPath + url.PathEscape(c.Mnemonic())})
	res := trigger.Result{Outcome: trigger.Accepted, MessageID: sent.MessageID, State: sent.State,
		Gospochta: &trigger.GospochtaResult{RequestIDs: sent.RequestIDs}}
	var receipt *agency.ReceiptError
	switch {
	case errors.As(err, &receipt):
		res.Outcome, res.Error = trigger.Refused, err.Error()
	case err != nil:
		res.Outcome, res.Error, res.Code = trigger.Failed, err.Error(), refCode(err)
	}
	return res, nil
}

// refReceive reads the organisation's Gospochta over the request's period: Received with every
// message whose card it opened, or Failed (with what it read) when the reading stopped.
func refReceive(ctx context.Context, c *agency.Client, g *trigger.GospochtaRequest) (trigger.Result, error) {
	from, err := time.Parse(time.RFC3339, g.From)
	if err != nil {
		return trigger.Result{}, fmt.Errorf("trigger request: gospochta.from %q is not RFC 3339 with an offset, e.g. 2026-12-01T00:00:00+03:00", g.From)
	}
	to, err := time.Parse(time.RFC3339, g.To)
	if err != nil {
		return trigger.Result{}, fmt.Errorf("trigger request: gospochta.to %q is not RFC 3339 with an offset, e.g. 2026-12-02T00:00:00+03:00", g.To)
	}
	read, err := c.Read(ctx, from, to, g.StatusFilter)
	res := trigger.Result{Outcome: trigger.Received, Gospochta: &trigger.GospochtaResult{RequestIDs: read.RequestIDs}}
	for _, m := range read.Messages {
		gr := trigger.GospochtaRead{ThreadUUID: m.ThreadUUID, MessageUUID: m.MessageUUID}
		for _, f := range m.Files {
			gr.Files = append(gr.Files, trigger.GospochtaFile{AttachmentUUID: f.AttachmentUUID, Downloaded: f.Downloaded,
				SignatureVerified: f.SignatureVerified})
		}
		res.Gospochta.Read = append(res.Gospochta.Read, gr)
	}
	if err != nil {
		res.Outcome, res.Error, res.Code = trigger.Failed, err.Error(), refCode(err)
	}
	return res, nil
}

// refCode is the code a failure reports: the error body's (Gospochta's, or ESIA's code), or
// ERROR for a search task that failed.
func refCode(err error) string {
	var ae *agency.APIError
	var te *agency.TaskError
	switch {
	case errors.As(err, &ae):
		return ae.Code
	case errors.As(err, &te):
		return wire.TaskError
	}
	return ""
}

// ServeHTTP is the reference system behind the HTTP trigger an agency's system offers
// (internal/trigger.HTTP), and the notifyUrl Gospochta pushes to.
func (r *Reference) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if mnemonic, ok := strings.CutPrefix(hr.URL.Path, NotifyPath); ok {
		r.notify(w, hr, mnemonic)
		return
	}
	base := r.NotifyBase
	if base == "" {
		scheme := "http"
		if hr.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + hr.Host
	}
	trigger.Handler(refTrigger{r: r, notifyBase: base}).ServeHTTP(w, hr)
}

// notify hands a push to the installation of the mnemonic used last (GP-W-STATES).
func (r *Reference) notify(w http.ResponseWriter, hr *http.Request, mnemonic string) {
	r.mu.Lock()
	var c *agency.Client
	for _, in := range r.installs {
		if in.mnemonic == mnemonic {
			c = in.client
			break
		}
	}
	r.mu.Unlock()
	if c == nil {
		server.WriteJSON(w, http.StatusNotFound, wire.Error{Code: wire.CodeInvalid,
			Message: fmt.Sprintf("no system %q sends from here; the notifyUrl is %s{mnemonic} of a system that sent", mnemonic, NotifyPath)})
		return
	}
	c.NotificationHandler().ServeHTTP(w, hr)
}

// refTrigger is the Reference fired through ServeHTTP, with the notify base the request gave.
type refTrigger struct {
	r          *Reference
	notifyBase string
}

func (t refTrigger) Fire(ctx context.Context, req trigger.Request) (trigger.Result, error) {
	return t.r.fire(ctx, req, t.notifyBase)
}

func (t refTrigger) Describe() string { return t.r.Describe() }
