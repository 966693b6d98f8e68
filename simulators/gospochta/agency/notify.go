package agency

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/ring"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// Notification is a state notification pushed to the system (GP-W-STATES), as it took it.
type Notification struct {
	wire.Notification
	RequestID string
	Received  time.Time
	// Verified says its X-Packet-HMAC verified with the system's key; an unverified push is
	// answered 401 packet.hmac and not believed.
	Verified bool
}

const (
	// maxNotifications bounds the notifications kept, and the message states learnt from them.
	maxNotifications = 10_000
	// maxNotificationBody bounds a push's body: a notification is three short fields.
	maxNotificationBody = 64 << 10
)

// notes holds what the pushes said: the log and each message's furthest state, with a channel
// closed on every change for the senders waiting on one.
type notes struct {
	log     ring.Log[Notification]
	mu      sync.Mutex
	states  map[string]string // message id → the furthest state pushed
	order   []string          // the message ids in states, oldest first, to drop beyond the bound
	changed chan struct{}
}

func (n *notes) init() {
	n.log.Cap = maxNotifications
	n.states = map[string]string{}
	n.changed = make(chan struct{})
}

// stateRank orders the states of a message: a late push of an earlier state does not undo a later
// one.
func stateRank(s string) int {
	switch s {
	case wire.StateSent:
		return 1
	case wire.StateDelivered:
		return 2
	case wire.StateRead:
		return 3
	}
	return 0
}

func (n *notes) add(note Notification) {
	n.log.Add(note)
	if !note.Verified || stateRank(note.State) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	old, known := n.states[note.MessageID]
	if stateRank(note.State) <= stateRank(old) {
		return
	}
	if !known {
		n.order = append(n.order, note.MessageID)
		if len(n.order) > maxNotifications {
			delete(n.states, n.order[0])
			n.order = append(n.order[:0:0], n.order[1:]...)
		}
	}
	n.states[note.MessageID] = note.State
	close(n.changed)
	n.changed = make(chan struct{})
}

// state is the furthest state pushed for a message, and a channel closed at the next change.
func (n *notes) state(id string) (string, <-chan struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.states[id], n.changed
}

// Notifications are the pushes taken, oldest first (the newest 10 000).
func (c *Client) Notifications() []Notification { return c.notes.log.All(nil) }

// NotificationHandler takes the state pushes of Gospochta at the notifyUrl the system gives
// (GP-W-STATES): it checks the packet's HMAC (GP-W-HMAC: a push is a packet too), records the
// notification and acknowledges it with 204; an unverified one is answered 401 packet.hmac.
func (c *Client) NotificationHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			server.WriteJSON(w, http.StatusMethodNotAllowed, wire.Error{Code: wire.CodeInvalid, Message: "a notification is POSTed"})
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxNotificationBody+1))
		if err != nil {
			server.WriteJSON(w, http.StatusBadRequest, wire.Error{Code: wire.CodeInvalid, Message: "reading the body: " + err.Error()})
			return
		}
		if len(body) > maxNotificationBody {
			server.WriteJSON(w, http.StatusRequestEntityTooLarge, wire.Error{Code: wire.CodeTooLarge,
				Message: "a notification is at most 64 KiB"})
			return
		}
		note := Notification{RequestID: r.Header.Get(wire.HeaderRequestID), Received: c.cfg.Clock.Now(),
			Verified: len(c.cfg.HMACKey) == wire.KeySize && wire.VerifyPacket(c.cfg.HMACKey, r, body)}
		if err := json.Unmarshal(body, &note.Notification); err != nil || note.MessageID == "" || note.State == "" {
			server.WriteJSON(w, http.StatusBadRequest, wire.Error{Code: wire.CodeInvalid,
				Message: "the body is not a notification {messageId, state, at}; send wire.Notification JSON"})
			return
		}
		c.notes.add(note)
		if !note.Verified {
			server.WriteJSON(w, http.StatusUnauthorized, wire.Error{Code: wire.CodeHMAC,
				Message: "X-Packet-HMAC is missing or is not the HMAC-SHA-256 of this packet with the system's key (GP-W-HMAC)"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// waitNotified waits until the pushes changed or d passed on the client's clock, or ctx ended
// (its error).
func (c *Client) waitNotified(ctx context.Context, changed <-chan struct{}, d time.Duration) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.sleep(sctx, d) }()
	select {
	case <-changed:
		cancel()
		<-done
	case <-done:
	}
	return ctx.Err()
}
