package post

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// message is a message as held (s.mu guards it).
type message struct {
	id, sender, kind, recipient, subject, hash, notifyURL string
	requestID, fileName, mimeType, signer                 string
	fields                                                map[string]string
	nonces                                                map[string]bool // its fields' nonces, remembered once accepted
	states                                                []State
	acceptedAt, deliveredAt, readAt                       time.Time
	receipt, receiptSig                                   []byte
	receiptFetches                                        int
	firstReceiptFetch                                     time.Time
	notifications                                         []Notification
	nextPush                                              int  // the first notification not finished
	pushing                                               bool // a worker is pushing its notifications
}

func (m *message) snapshot() Message {
	return Message{ID: m.id, Sender: m.sender, Kind: m.kind, RecipientID: m.recipient, Subject: m.subject,
		DocumentHash: m.hash, NotifyURL: m.notifyURL, RequestID: m.requestID, FileName: m.fileName, MimeType: m.mimeType,
		Signer: m.signer, Fields: maps.Clone(m.fields), States: slices.Clone(m.states), AcceptedAt: m.acceptedAt,
		DeliveredAt: m.deliveredAt, ReadAt: m.readAt, ReceiptFetches: m.receiptFetches, FirstReceiptFetch: m.firstReceiptFetch,
		Notifications: slices.Clone(m.notifications)}
}

// settled says nothing more happens to the message: it is read and every push is finished, so the
// cap may drop it.
func (m *message) settled() bool {
	return !m.readAt.IsZero() && m.nextPush == len(m.notifications) && !m.pushing
}

// accept keeps a checked message as sent: its hash in the registry, its nonces spent, its
// delivery scheduled. It refuses when the service holds MaxMessages unsettled messages, or when a
// concurrent send spent one of its nonces first.
func (s *Service) accept(m *message) (int, string, *rule.Breach) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for nk := range m.nonces {
		if s.nonces.has(nk) {
			return http.StatusUnprocessableEntity, wire.CodeNonce, breach("GP-W-ENC", "personalData.fields",
				msg.F("nonces never used before under the recipient's key"), msg.F("a nonce another message used"),
				msg.F("make a new random nonce for every field of every message"))
		}
	}
	if len(s.order) >= s.limits.MaxMessages {
		s.evictLocked()
	}
	if len(s.order) >= s.limits.MaxMessages {
		b := breach("GP-W-FAILRATE", "", msg.F("room for the message (the simulator holds at most %d unsettled messages)", s.limits.MaxMessages),
			msg.F("none left"), msg.F("send again once earlier messages are read"))
		b.Note = msg.F("a limit of the simulator, not a breach by the system")
		return http.StatusServiceUnavailable, wire.CodeBusy, b
	}
	for nk := range m.nonces {
		s.nonces.add(nk)
	}
	m.nonces = nil
	now := s.now()
	m.acceptedAt = now
	m.states = []State{{State: wire.StateSent, At: now}}
	s.messages[m.id] = m
	s.order = append(s.order, m.id)
	// GP-W-SIGN: the registry keeps the first registration of a document; the same document sent
	// again (to another recipient) is the same registered hash.
	if s.registry[m.hash] == nil {
		s.registry[m.hash] = &wire.RegistryEntry{DocumentHash: m.hash, MessageID: m.id, Sender: m.sender,
			Signer: m.signer, RegisteredAt: stamp(now)}
	}
	id := m.id
	s.afterLocked(s.deliverDelay, func() { s.deliver(id) })
	return 0, "", nil
}

// evictLocked drops the oldest settled messages until there is room for one more (s.mu held).
func (s *Service) evictLocked() {
	keep := s.order[:0]
	excess := len(s.order) - s.limits.MaxMessages + 1
	for _, id := range s.order {
		m := s.messages[id]
		if excess > 0 && m.settled() {
			delete(s.messages, id)
			if e := s.registry[m.hash]; e != nil && e.MessageID == id {
				delete(s.registry, m.hash)
			}
			excess--
			continue
		}
		keep = append(keep, id)
	}
	clear(s.order[len(keep):])
	s.order = keep
}

// afterLocked runs f once d has passed, unless the service is closed first (s.mu held; f runs
// without it).
func (s *Service) afterLocked(d time.Duration, f func()) {
	if s.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		_, pending := s.timers[t]
		delete(s.timers, t)
		s.mu.Unlock()
		if pending { // else stopped by Close
			f()
		}
	})
	s.timers[t] = struct{}{}
}

// later is the time a state is reached: the clock's, but never before its nominal time, so that a
// virtual clock that has not moved still shows the delay.
func later(now, due time.Time) time.Time {
	if now.Before(due) {
		return due
	}
	return now
}

// deliver makes a sent message delivered: the act of acceptance signed (GP-W-RECEIPT), the state
// pushed (GP-W-STATES), the reading scheduled.
func (s *Service) deliver(id string) {
	s.mu.Lock()
	m := s.messages[id]
	if m == nil || !m.deliveredAt.IsZero() {
		s.mu.Unlock()
		return
	}
	at := later(s.now(), m.acceptedAt.Add(s.deliverDelay))
	rc := wire.Receipt{MessageID: m.id, DocumentHash: m.hash, Sender: m.sender, RecipientID: m.recipient, Kind: m.kind,
		SentAt: stamp(m.acceptedAt), DeliveredAt: stamp(at)}
	s.mu.Unlock()
	raw, err := json.Marshal(rc)
	if err == nil {
		var sig []byte
		if sig, err = cms.SignDetached(s.signer, raw); err == nil {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.closed || s.messages[id] != m {
				return
			}
			m.receipt, m.receiptSig, m.deliveredAt = raw, sig, at
			m.states = append(m.states, State{State: wire.StateDelivered, At: at})
			s.queuePushLocked(m, wire.StateDelivered, at)
			s.afterLocked(s.readDelay, func() { s.read(id) })
			return
		}
	}
	// The message stays sent: the harness sees the delivery missing, and the log says why.
	s.logger.Error("gospochta post: cannot sign the act of acceptance", "message", id, "error", err)
}

// read makes a delivered message read and pushes the state.
func (s *Service) read(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messages[id]
	if m == nil || !m.readAt.IsZero() {
		return
	}
	at := later(s.now(), m.deliveredAt.Add(s.readDelay))
	m.readAt = at
	m.states = append(m.states, State{State: wire.StateRead, At: at})
	s.queuePushLocked(m, wire.StateRead, at)
}

// queuePushLocked adds the push of a state to the message's queue and starts its worker if none
// runs: one worker per message pushes its states in order, so a sender never hears "read" before
// "delivered" (s.mu held).
func (s *Service) queuePushLocked(m *message, state string, at time.Time) {
	m.notifications = append(m.notifications, Notification{State: state, At: at})
	if m.pushing {
		return
	}
	if s.closed {
		m.notifications[len(m.notifications)-1].Err = msg.F("not pushed: the service was closed")
		m.nextPush = len(m.notifications)
		return
	}
	m.pushing = true
	s.pushes.Add(1)
	go s.pushAll(m)
}

// pushAll pushes the message's queued notifications in order, each until acknowledged or
// PushAttempts failed, pausing RetryPause between attempts (GP-W-STATES).
func (s *Service) pushAll(m *message) {
	defer s.pushes.Done()
	for {
		s.mu.Lock()
		if m.nextPush >= len(m.notifications) {
			m.pushing = false
			s.mu.Unlock()
			return
		}
		i, n := m.nextPush, m.notifications[m.nextPush]
		var key []byte
		if sys := s.systems[m.sender]; sys != nil {
			key = sys.HMACKey
		}
		s.mu.Unlock()
		for attempt := 1; attempt <= PushAttempts; attempt++ {
			if attempt > 1 && !s.pause() {
				s.mu.Lock()
				m.notifications[i].Err = msg.F("push stopped: the service was closed")
				s.mu.Unlock()
				break
			}
			status, problem := s.pushOnce(m, n, key)
			s.mu.Lock()
			p := &m.notifications[i]
			p.Attempts, p.Status, p.Acknowledged, p.Err = attempt, status, problem.IsZero(), problem
			s.mu.Unlock()
			if problem.IsZero() || s.ctx.Err() != nil {
				break
			}
		}
		s.mu.Lock()
		m.nextPush++
		s.mu.Unlock()
	}
}

// pause waits RetryPause, or says the service was closed meanwhile.
func (s *Service) pause() bool {
	t := time.NewTimer(s.retryPause)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// pushOnce POSTs one notification to the sender's notifyUrl with a request id of its own and the
// packet's HMAC under the system's key, as the sender's requests carry them (GP-W-AUDIT,
// GP-W-HMAC), and audits it. It returns the status answered and, unless 2xx, why it failed.
func (s *Service) pushOnce(m *message, n Notification, key []byte) (status int, problem msg.Text) {
	body, _ := json.Marshal(wire.Notification{MessageID: m.id, State: n.State, At: stamp(n.At)})
	e := AuditEntry{RequestID: uuid.NewString(), Time: s.now(), System: m.sender, Direction: DirectionOut,
		Method: http.MethodPost, Path: m.notifyURL, Endpoint: "notify", MessageID: m.id}
	defer func() {
		e.Status = status
		if !problem.IsZero() {
			e.Error, e.Rule = problem.String(), "GP-W-STATES"
			e.Breach = breach("GP-W-STATES", "notifyUrl", msg.F("a 2xx answer acknowledging the notification of state %s", n.State),
				problem, msg.F("take the notification at notifyUrl and answer it 2xx"))
		}
		s.audit.Add(bounded(e))
	}()
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, m.notifyURL, bytes.NewReader(body))
	if err != nil {
		return 0, msg.F("the notifyUrl cannot be requested: %s", msg.Of(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(wire.HeaderRequestID, e.RequestID)
	if key != nil {
		wire.SignPacket(key, req, body)
	}
	resp, err := s.notify.Do(req)
	if err != nil {
		return 0, msg.F("no answer: %s", msg.Of(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, msg.F("answered %d", resp.StatusCode)
	}
	return resp.StatusCode, msg.Text{}
}
