package smdo

import (
	"container/list"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/smdo/sed"
)

// Reference is the built-in reference СЭД as the system under test of a demonstration: it takes the
// harness's trigger requests as an agency's system would and acts through simulators/smdo/sed. A
// demonstration certifies nothing; with Defects it shows that the scenarios catch each fault.
type Reference struct {
	Identity     *pki.Identity
	PollInterval time.Duration // the receiving thread's period (5 minutes, shrunk with the run's time scale)
	RestartPause time.Duration // the sending thread's pause (10 seconds, shrunk likewise)
	Defects      []string

	mu      sync.Mutex
	systems *lru[*system] // by router and credentials: one installation each
}

// maxSystems bounds the installations kept. A long-running sample agency meets a new router or new
// credentials in every scenario; only the recent ones can still be asked to reply or complete.
const maxSystems = 16

// maxRemembered bounds what one installation remembers of what it received and what it sent.
const maxRemembered = 10_000

// system is one installation of the reference СЭД: its client keeps the end of its last send (the
// restart pause holds across triggers), and it remembers what it received and sent, as a СЭД's
// database does, so that a later reply or additional materials can name them.
type system struct {
	client       *sed.Client
	closeIdle    func() // closes its idle connections when the installation is dropped
	mu           sync.Mutex
	received     *lru[sed.Incoming] // by package id, without the files
	sent         *lru[sed.Sent]     // by registration number
	registration int                // how it registers what it receives (trigger request)
}

// Describe names the system for the report.
func (r *Reference) Describe() string { return "the built-in reference СЭД (in-process)" }

// Fire does what the trigger request asks.
func (r *Reference) Fire(ctx context.Context, req trigger.Request) (trigger.Result, error) {
	if err := req.Check(); err != nil {
		return trigger.Result{}, err
	}
	if req.Channel != trigger.SMDO {
		return trigger.Result{}, fmt.Errorf("the reference СЭД takes channel %s only, not %q", trigger.SMDO, req.Channel)
	}
	s, err := r.system(req)
	if err != nil {
		return trigger.Result{}, err
	}
	if req.Action == trigger.Receive {
		return s.receive(ctx, req.SMDO)
	}
	return s.send(ctx, req)
}

func (r *Reference) system(req trigger.Request) (*system, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := req.Gateway + "\x00" + req.SMDO.Credentials
	if r.systems == nil {
		r.systems = newLRU(maxSystems, func(s *system) { s.closeIdle() })
	}
	if s, ok := r.systems.get(key); ok {
		return s, nil
	}
	user, pass, ok := strings.Cut(req.SMDO.Credentials, ":")
	if !ok {
		return nil, errors.New("trigger request: smdo.credentials is not username:password")
	}
	roots, err := trustedRoots(req.CA)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	s := &system{closeIdle: tr.CloseIdleConnections,
		received: newLRU[sed.Incoming](maxRemembered, nil), sent: newLRU[sed.Sent](maxRemembered, nil)}
	me := req.SMDO.Subscriber
	s.client = sed.New(sed.Config{RouterURL: req.Gateway, Username: user, Password: pass,
		Subscriber: sed.Party{ID: me.ID, Code: me.Code, Name: me.Name}, Identity: r.Identity,
		HTTPClient:   &http.Client{Transport: tr, Timeout: time.Minute},
		PollInterval: r.PollInterval, RestartPause: r.RestartPause, Defects: r.Defects,
		Register: s.register})
	r.systems.put(key, s)
	return s, nil
}

// trustedRoots are the roots the router's certificate must chain to: the CA chain the request
// brings (the test contour's), else nil, the system's own roots, for a router whose certificate a
// public CA issued. An empty pool would trust no server at all.
func trustedRoots(ca string) (*x509.CertPool, error) {
	if ca == "" {
		return nil, nil
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(ca)) {
		return nil, errors.New("trigger request: ca holds no PEM certificate")
	}
	return roots, nil
}

func (s *system) register(sed.Incoming) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.registration {
	case 1:
		return 1, "Документ не подлежит регистрации"
	case 2:
		return 2, "Отказ в регистрации"
	}
	return 0, ""
}

// receive runs the receiving thread for the request's window.
func (s *system) receive(ctx context.Context, req *trigger.SMDORequest) (trigger.Result, error) {
	window, err := time.ParseDuration(req.Window)
	if err != nil || window <= 0 {
		return trigger.Result{}, fmt.Errorf("trigger request: smdo.window %q is not a positive duration like 90s", req.Window)
	}
	s.mu.Lock()
	s.registration = req.Registration
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	took, err := s.client.Run(ctx)
	res := trigger.Result{Outcome: trigger.Received}
	s.mu.Lock()
	for _, in := range took {
		s.received.put(in.PackageID, forReply(in))
		res.Taken = append(res.Taken, trigger.Taken{MessageID: in.PackageID, Accepted: true})
	}
	s.mu.Unlock()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		res.Outcome, res.Error = trigger.Failed, err.Error()
	}
	return res, nil
}

// forReply is what the system keeps of a package it took: what a reply names (ids, msg_id,
// idnumber, registration number, sender), not the files nor the raw package, which the trigger's
// result does not carry and which would otherwise pile up for as long as the system runs.
func forReply(in sed.Incoming) sed.Incoming {
	in.Files, in.Raw = nil, nil
	return in
}

// send sends the request's document (or, for a multiple send, its copies), a reply or additional
// materials, and reports how it ended.
func (s *system) send(ctx context.Context, req trigger.Request) (trigger.Result, error) {
	o, err := s.outgoing(req)
	if err != nil {
		return trigger.Result{}, err
	}
	docs := []sed.Outgoing{o}
	for i := 2; i <= req.SMDO.Documents; i++ {
		if i == 2 {
			docs[0].RegNumber = o.RegNumber + "-1"
		}
		copied := o
		copied.RegNumber = fmt.Sprintf("%s-%d", o.RegNumber, i)
		docs = append(docs, copied)
	}
	all, err := s.client.SendAll(ctx, docs)
	var first sed.Sent
	if len(all) > 0 {
		first = all[0]
	}
	var refused *sed.RefusedError
	var unregistered *sed.RegistrationRefusedError
	switch {
	case errors.As(err, &unregistered):
		return trigger.Result{Outcome: trigger.Refused, MessageID: first.PackageID, Code: strconv.Itoa(unregistered.ErrorCode), Error: err.Error()}, nil
	case errors.As(err, &refused), err != nil:
		return trigger.Result{Outcome: trigger.Failed, MessageID: first.PackageID, Error: err.Error()}, nil
	}
	s.mu.Lock()
	for i, d := range docs {
		if d.Adds == nil {
			s.sent.put(d.RegNumber, all[i])
		}
	}
	s.mu.Unlock()
	res := trigger.Result{Outcome: trigger.Accepted, MessageID: first.PackageID, State: "delivered"}
	if first.Registration != nil {
		res.State, res.Code = "registered", strconv.Itoa(first.Registration.ErrorCode)
	}
	return res, nil
}

// outgoing is the document the request describes, with its files in the order of their names.
func (s *system) outgoing(req trigger.Request) (sed.Outgoing, error) {
	r := req.SMDO
	o := sed.Outgoing{Kind: r.Kind, Title: r.Title, RegNumber: r.RegNumber, AskAck: r.AskAck}
	for _, p := range r.To {
		o.To = append(o.To, sed.Party{ID: p.ID, Code: p.Code, Name: p.Name})
	}
	for _, name := range slices.Sorted(maps.Keys(req.Files)) {
		b, err := base64.StdEncoding.DecodeString(req.Files[name])
		if err != nil {
			return o, fmt.Errorf("trigger request: file %s is not base64: %w", name, err)
		}
		o.Files = append(o.Files, sed.File{Name: path.Base(name), Data: b})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ReplyTo != "" {
		in, ok := s.received.get(r.ReplyTo)
		if !ok {
			return o, fmt.Errorf("trigger request: smdo.replyTo %s is no package this system received", r.ReplyTo)
		}
		o.ReplyTo = &in
	}
	if r.AddType != 0 {
		doc, ok := s.sent.get(r.Referred)
		if !ok {
			return o, fmt.Errorf("trigger request: smdo.referred %q is the registration number of no document this system sent", r.Referred)
		}
		o.Adds = &sed.Additions{AddType: r.AddType, Referred: doc}
	}
	return o, nil
}

// ServeHTTP is the reference СЭД behind the HTTP trigger an agency's system offers
// (internal/trigger.HTTP).
func (r *Reference) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	trigger.Handler(r).ServeHTTP(w, hr)
}

// lru keeps at most limit values by key and drops the least recently used beyond. It is not safe
// for concurrent use: its owner's mutex guards it.
type lru[V any] struct {
	limit   int
	order   *list.List // of *lruEntry[V], the most recently used first
	byKey   map[string]*list.Element
	dropped func(V) // nil, or called with each value dropped
}

type lruEntry[V any] struct {
	key   string
	value V
}

func newLRU[V any](limit int, dropped func(V)) *lru[V] {
	return &lru[V]{limit: limit, order: list.New(), byKey: map[string]*list.Element{}, dropped: dropped}
}

// get is the value of key, which becomes the most recently used.
func (l *lru[V]) get(key string) (V, bool) {
	e, ok := l.byKey[key]
	if !ok {
		var zero V
		return zero, false
	}
	l.order.MoveToFront(e)
	return e.Value.(*lruEntry[V]).value, true
}

// put sets the value of key, the most recently used, and drops the least recently used beyond
// the limit.
func (l *lru[V]) put(key string, v V) {
	if e, ok := l.byKey[key]; ok {
		e.Value.(*lruEntry[V]).value = v
		l.order.MoveToFront(e)
		return
	}
	l.byKey[key] = l.order.PushFront(&lruEntry[V]{key: key, value: v})
	for l.order.Len() > l.limit {
		old := l.order.Remove(l.order.Back()).(*lruEntry[V])
		delete(l.byKey, old.key)
		if l.dropped != nil {
			l.dropped(old.value)
		}
	}
}

// len is the number of values kept.
func (l *lru[V]) len() int { return l.order.Len() }
