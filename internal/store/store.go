// Package store is the gateway's durable message store for the asynchronous channel: every accepted
// message, the chain it belongs to, its delivery state with the full history of changes, and the
// outbox of status notifications. It is SQLite in WAL mode with synchronous=FULL, so a message is on
// disk when Accept returns: the gateway answers the sender only after that, and after a
// crash every accepted message is still deliverable. It also keeps the replay keys of what it
// accepted, each claimed in the transaction that records the acceptance (AcceptOnce, UpdateOnce).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/sqlitedb"
)

// States of a message (A1-T8 row 2): the values of the gateway's MessageState.
const (
	OnDelivery      = "ON_DELIVERY"
	Delivered       = "DELIVERED"
	NotDelivered    = "NOT_DELIVERED"
	DeliveryStopped = "DELIVERY_STOPPED"
)

// Message is one accepted asynchronous message.
type Message struct {
	MessageID     string // the gateway's identifier (A1-T2 row 2)
	CorrelationID string // the chain's identifier (A1-T2 row 3)
	SessionID     string // the gateway's session of the sendMessage that brought it
	ServiceID     string
	MessageType   string
	SenderID      string
	RecipientID   string
	Endpoint      string // the recipient's push endpoint; empty when the recipient pulls (GetMessages)
	Envelope      []byte // the sendMessage element as it is delivered (A1-T13), the gateway's ids filled in
	State         string
	StatusCode    string
	StatusMessage string
	StatusDate    time.Time
	Received      time.Time // the gateway read the message
	Accepted      time.Time // the message was stored: R-47 acceptance
	Attempts      int       // push attempts or GetMessages hand-outs so far
	NextAttempt   time.Time // when the next push is due
}

// Change is one entry of a message's status history.
type Change struct {
	Seq           int64
	At            time.Time
	State         string
	StatusCode    string
	StatusMessage string
	Detail        string
}

// Chain is a chain of messages (A1-T13 row 4): who started it and who serves it.
type Chain struct {
	CorrelationID string
	ServiceID     string
	InitiatorID   string
	OwnerID       string
}

// Notification is a status notification (A1-T16) waiting in the outbox for its participant.
type Notification struct {
	ID          string // notificationId
	MessageID   string
	SystemID    string // the participant notified: the message's sender
	Endpoint    string
	State       string
	StatusCode  string
	StatusMsg   string
	StatusDate  time.Time
	Attempts    int
	NextAttempt time.Time
}

// Store is the durable message store.
type Store struct {
	db *sql.DB
	w  *sqlitedb.Committer // every write: concurrent acceptances share a commit, and its fsync
}

const schemaSQL = `
CREATE TABLE IF NOT EXISTS chains (
	correlation_id TEXT PRIMARY KEY,
	service_id     TEXT NOT NULL,
	initiator_id   TEXT NOT NULL,
	owner_id       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
	message_id     TEXT PRIMARY KEY,
	correlation_id TEXT NOT NULL,
	session_id     TEXT NOT NULL,
	service_id     TEXT NOT NULL,
	message_type   TEXT NOT NULL,
	sender_id      TEXT NOT NULL,
	recipient_id   TEXT NOT NULL,
	endpoint       TEXT NOT NULL,
	envelope       BLOB NOT NULL,
	state          TEXT NOT NULL,
	status_code    TEXT NOT NULL,
	status_message TEXT NOT NULL,
	status_ns      INTEGER NOT NULL,
	received_ns    INTEGER NOT NULL,
	accepted_ns    INTEGER NOT NULL,
	attempts       INTEGER NOT NULL DEFAULT 0,
	next_ns        INTEGER NOT NULL,
	seq            INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_recipient ON messages(recipient_id, service_id, state, seq);
-- Each acceptance numbers its message MAX(seq) + 1, and each wakes the pusher (DuePush,
-- NextPushDue): without these two indexes, both read every message stored (messages_due, which they
-- replace, held the pulled messages too), and acceptance slowed down as the store filled.
CREATE INDEX IF NOT EXISTS messages_seq ON messages(seq);
CREATE INDEX IF NOT EXISTS messages_push ON messages(state, next_ns, seq) WHERE endpoint != '';
DROP INDEX IF EXISTS messages_due;
CREATE TABLE IF NOT EXISTS history (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	message_id     TEXT NOT NULL,
	at_ns          INTEGER NOT NULL,
	state          TEXT NOT NULL,
	status_code    TEXT NOT NULL,
	status_message TEXT NOT NULL,
	detail         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_message ON history(message_id, seq);
CREATE TABLE IF NOT EXISTS notifications (
	id          TEXT PRIMARY KEY,
	message_id  TEXT NOT NULL,
	system_id   TEXT NOT NULL,
	endpoint    TEXT NOT NULL,
	state       TEXT NOT NULL,
	status_code TEXT NOT NULL,
	status_msg  TEXT NOT NULL,
	status_ns   INTEGER NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_ns     INTEGER NOT NULL,
	done        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications(done, next_ns);
CREATE TABLE IF NOT EXISTS replay_keys (
	sender_id TEXT NOT NULL,
	kind      TEXT NOT NULL,
	digest    TEXT NOT NULL,
	ref       TEXT NOT NULL,
	at_ns     INTEGER NOT NULL,
	PRIMARY KEY (sender_id, kind, digest)
);`

// Open opens (creating if needed) the store at path; ":memory:" gives a private in-memory store for
// unit tests, which of course survives nothing. Writes go through a group commit
// (sqlitedb.Committer): messages accepted at once share one commit, and one fsync, and each Accept
// returns only after the commit that holds its message (BenchmarkAsyncAcceptance in the gateway).
func Open(path string) (*Store, error) {
	db, err := sqlitedb.Open(path, sqlitedb.Full, schemaSQL)
	if err != nil {
		return nil, fmt.Errorf("message store: %w", err)
	}
	return &Store{db: db, w: sqlitedb.NewCommitter(db)}, nil
}

// Close writes what is still waiting for its commit and closes the store.
func (s *Store) Close() error {
	s.w.Close()
	return s.db.Close()
}

// ErrNotFound is returned for an unknown message or chain.
var ErrNotFound = msg.Errorf("not in the message store")

// Accept stores a new message in state ON_DELIVERY, with the first entry of its history and, for a
// message that starts a chain, the chain. It returns once the transaction is on disk.
func (s *Store) Accept(ctx context.Context, m Message, chain *Chain) error {
	return s.accept(ctx, nil, m, chain)
}

// AcceptOnce is Accept under a replay key: the key is claimed in the same transaction that
// stores the message, under the table's primary key, so of any number of copies sent at once, or
// again after a crash, exactly one is stored. A copy whose key was claimed before gets a
// *ReplayError naming the messageId of the first and nothing is stored.
func (s *Store) AcceptOnce(ctx context.Context, key Key, m Message, chain *Chain) error {
	return s.accept(ctx, &key, m, chain)
}

func (s *Store) accept(ctx context.Context, key *Key, m Message, chain *Chain) error {
	return s.w.Do(ctx, func(ctx context.Context, tx *sqlitedb.Tx) error { return accept(ctx, tx, key, m, chain) })
}

func accept(ctx context.Context, tx *sqlitedb.Tx, key *Key, m Message, chain *Chain) error {
	if key != nil {
		if err := claimKey(ctx, tx, *key, m.MessageID, m.Accepted); err != nil {
			return err
		}
	}
	if chain != nil {
		if _, err := tx.Exec(ctx, `INSERT INTO chains (correlation_id, service_id, initiator_id, owner_id)
			VALUES (?, ?, ?, ?)`, chain.CorrelationID, chain.ServiceID, chain.InitiatorID, chain.OwnerID); err != nil {
			return msg.Errorf("store chain %s: %w", chain.CorrelationID, err)
		}
	}
	var seq int64
	if err := tx.QueryRow(ctx, nextSeqSQL).Scan(&seq); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO messages (message_id, correlation_id, session_id, service_id,
		message_type, sender_id, recipient_id, endpoint, envelope, state, status_code, status_message, status_ns,
		received_ns, accepted_ns, attempts, next_ns, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
		m.MessageID, m.CorrelationID, m.SessionID, m.ServiceID, m.MessageType, m.SenderID, m.RecipientID, m.Endpoint,
		m.Envelope, OnDelivery, m.StatusCode, m.StatusMessage, m.Accepted.UnixNano(), m.Received.UnixNano(),
		m.Accepted.UnixNano(), m.Accepted.UnixNano(), seq); err != nil {
		return msg.Errorf("store message %s: %w", m.MessageID, err)
	}
	return addHistory(ctx, tx, m.MessageID, Change{At: m.Accepted, State: OnDelivery,
		StatusCode: m.StatusCode, StatusMessage: m.StatusMessage, Detail: "accepted"})
}

// The queries run on every acceptance: each must find its rows through an index, not by reading
// every message stored (TestHotQueriesUseIndexes).
const (
	nextSeqSQL     = `SELECT COALESCE(MAX(seq), 0) + 1 FROM messages`
	duePushWhere   = `WHERE state = ? AND endpoint != '' AND next_ns <= ? ORDER BY next_ns, seq LIMIT ?`
	nextPushDueSQL = `SELECT MIN(next_ns) FROM messages WHERE state = ? AND endpoint != ''`
)

// Key identifies a request for replay protection: who sent it and a digest of what was sent.
// The asynchronous channel cannot use the sender's messageId, which the sender leaves empty and the
// gateway assigns (A1-T13 row 3), so the digest covers the request's own content; the gateway
// documents what each Kind digests.
type Key struct {
	SenderID string // the authenticated sender
	Kind     string // the operation: "sendMessage", "sendDeliveryNotification"
	Digest   string // "sha256:" and the hex digest of the request's content
}

// ReplayError says that a request's key was claimed before: the request is a replay, or a
// retry of a request already accepted.
type ReplayError struct {
	Key   Key
	First string    // the messageId (sendMessage) or notificationId given to the first copy
	At    time.Time // when the first copy was accepted
}

func (e *ReplayError) Error() string {
	return fmt.Sprintf("%s from %s with content %s was already accepted as %s at %s",
		e.Key.Kind, e.Key.SenderID, e.Key.Digest, e.First, e.At.UTC().Format(time.RFC3339Nano))
}

// claimKey claims a replay key inside tx for ref, or returns the *ReplayError of its first claim.
// The decision is the INSERT itself: the primary key lets one of any concurrent claims through.
func claimKey(ctx context.Context, tx *sqlitedb.Tx, k Key, ref string, at time.Time) error {
	res, err := tx.Exec(ctx, `INSERT INTO replay_keys (sender_id, kind, digest, ref, at_ns) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, k.SenderID, k.Kind, k.Digest, ref, at.UnixNano())
	if err != nil {
		return msg.Errorf("replay key of %s: %w", ref, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	e := &ReplayError{Key: k}
	var ns int64
	if err := tx.QueryRow(ctx, `SELECT ref, at_ns FROM replay_keys WHERE sender_id = ? AND kind = ? AND digest = ?`,
		k.SenderID, k.Kind, k.Digest).Scan(&e.First, &ns); err != nil {
		return msg.Errorf("replay key of %s: %w", ref, err)
	}
	e.At = time.Unix(0, ns)
	return e
}

func addHistory(ctx context.Context, tx *sqlitedb.Tx, messageID string, c Change) error {
	_, err := tx.Exec(ctx, `INSERT INTO history (message_id, at_ns, state, status_code, status_message, detail)
		VALUES (?, ?, ?, ?, ?, ?)`, messageID, c.At.UnixNano(), c.State, c.StatusCode, c.StatusMessage, c.Detail)
	if err != nil {
		return msg.Errorf("history of %s: %w", messageID, err)
	}
	return nil
}

// Chain returns a chain by its correlationId.
func (s *Store) Chain(ctx context.Context, correlationID string) (Chain, error) {
	c := Chain{CorrelationID: correlationID}
	err := s.db.QueryRowContext(ctx, `SELECT service_id, initiator_id, owner_id FROM chains WHERE correlation_id = ?`,
		correlationID).Scan(&c.ServiceID, &c.InitiatorID, &c.OwnerID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, msg.Errorf("chain %s: %w", correlationID, ErrNotFound)
	}
	return c, err
}

const messageColumns = `message_id, correlation_id, session_id, service_id, message_type, sender_id, recipient_id,
	endpoint, envelope, state, status_code, status_message, status_ns, received_ns, accepted_ns, attempts, next_ns`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var status, received, accepted, next int64
	err := row.Scan(&m.MessageID, &m.CorrelationID, &m.SessionID, &m.ServiceID, &m.MessageType, &m.SenderID,
		&m.RecipientID, &m.Endpoint, &m.Envelope, &m.State, &m.StatusCode, &m.StatusMessage, &status, &received,
		&accepted, &m.Attempts, &next)
	m.StatusDate, m.Received, m.Accepted, m.NextAttempt = time.Unix(0, status), time.Unix(0, received), time.Unix(0, accepted), time.Unix(0, next)
	return m, err
}

func (s *Store) messages(ctx context.Context, query string, args ...any) ([]Message, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages `+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Get returns one message.
func (s *Store) Get(ctx context.Context, messageID string) (Message, error) {
	m, err := scanMessage(s.db.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE message_id = ?`, messageID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, msg.Errorf("message %s: %w", messageID, ErrNotFound)
	}
	return m, err
}

// History returns a message's status history, oldest first.
func (s *Store) History(ctx context.Context, messageID string) ([]Change, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at_ns, state, status_code, status_message, detail
		FROM history WHERE message_id = ? ORDER BY seq`, messageID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var at int64
		if err := rows.Scan(&c.Seq, &at, &c.State, &c.StatusCode, &c.StatusMessage, &c.Detail); err != nil {
			return nil, err
		}
		c.At = time.Unix(0, at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// DuePush returns messages to push now: on delivery, with a push endpoint, their next attempt due.
func (s *Store) DuePush(ctx context.Context, now time.Time, limit int) ([]Message, error) {
	return s.messages(ctx, duePushWhere, OnDelivery, now.UnixNano(), limit)
}

// PushDue reads a message again just before it is pushed and says whether it is still due: on
// delivery, with a push endpoint, its next attempt due. A list from DuePush is stale by the time a
// worker is free; a message pushed and acknowledged meanwhile must not be pushed again.
func (s *Store) PushDue(ctx context.Context, messageID string, now time.Time) (Message, bool, error) {
	m, err := s.Get(ctx, messageID)
	if err != nil {
		return m, false, err
	}
	return m, m.State == OnDelivery && m.Endpoint != "" && !m.NextAttempt.After(now), nil
}

// NextPushDue is when the earliest waiting push is due; zero when none waits.
func (s *Store) NextPushDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.db.QueryRowContext(ctx, nextPushDueSQL, OnDelivery).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, err
	}
	return time.Unix(0, next.Int64), nil
}

// Selection is what GetMessages asks for (A1-T10): the recipient's messages of a service, narrowed
// to one message or one chain, at most Limit of them.
type Selection struct {
	RecipientID   string
	ServiceID     string
	MessageID     string
	CorrelationID string
	Limit         int
}

// Pending returns the pull messages of a selection still waiting for the recipient's confirmation,
// oldest first.
func (s *Store) Pending(ctx context.Context, sel Selection) ([]Message, error) {
	q := `WHERE recipient_id = ? AND service_id = ? AND state = ? AND endpoint = ''`
	args := []any{sel.RecipientID, sel.ServiceID, OnDelivery}
	if sel.MessageID != "" {
		q += ` AND message_id = ?`
		args = append(args, sel.MessageID)
	}
	if sel.CorrelationID != "" {
		q += ` AND correlation_id = ?`
		args = append(args, sel.CorrelationID)
	}
	q += ` ORDER BY seq LIMIT ?`
	args = append(args, sel.Limit)
	return s.messages(ctx, q, args...)
}

// Update changes a message's state and status, appends the change to its history and, when n is not
// nil, queues the status notification in the same transaction: a state change is never recorded
// without its notification. Attempts and NextAttempt are stored as given.
func (s *Store) Update(ctx context.Context, messageID string, c Change, attempts int, next time.Time, n *Notification) error {
	return s.update(ctx, nil, "", messageID, c, attempts, next, n)
}

// UpdateOnce is Update under a replay key, claimed for ref in the same transaction: of two
// copies of one delivery notification only the first changes the message; the other gets a
// *ReplayError and changes nothing.
func (s *Store) UpdateOnce(ctx context.Context, key Key, ref, messageID string, c Change, attempts int, next time.Time, n *Notification) error {
	return s.update(ctx, &key, ref, messageID, c, attempts, next, n)
}

func (s *Store) update(ctx context.Context, key *Key, ref, messageID string, c Change, attempts int, next time.Time, n *Notification) error {
	return s.w.Do(ctx, func(ctx context.Context, tx *sqlitedb.Tx) error {
		return update(ctx, tx, key, ref, messageID, c, attempts, next, n)
	})
}

func update(ctx context.Context, tx *sqlitedb.Tx, key *Key, ref, messageID string, c Change, attempts int, next time.Time, n *Notification) error {
	if key != nil {
		if err := claimKey(ctx, tx, *key, ref, c.At); err != nil {
			return err
		}
	}
	res, err := tx.Exec(ctx, `UPDATE messages SET state = ?, status_code = ?, status_message = ?, status_ns = ?,
		attempts = ?, next_ns = ? WHERE message_id = ?`, c.State, c.StatusCode, c.StatusMessage, c.At.UnixNano(),
		attempts, next.UnixNano(), messageID)
	if err != nil {
		return msg.Errorf("update %s: %w", messageID, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return msg.Errorf("update %s: %w", messageID, ErrNotFound)
	}
	if err := addHistory(ctx, tx, messageID, c); err != nil {
		return err
	}
	if n != nil {
		if _, err := tx.Exec(ctx, `INSERT INTO notifications (id, message_id, system_id, endpoint, state,
			status_code, status_msg, status_ns, next_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.ID, n.MessageID, n.SystemID,
			n.Endpoint, n.State, n.StatusCode, n.StatusMsg, n.StatusDate.UnixNano(), n.StatusDate.UnixNano()); err != nil {
			return msg.Errorf("queue notification of %s: %w", messageID, err)
		}
	}
	return nil
}

// DueNotifications returns status notifications to send now.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, limit int) ([]Notification, error) {
	return s.notifications(ctx, `done = 0 AND next_ns <= ? ORDER BY next_ns LIMIT ?`, now.UnixNano(), limit)
}

// NotificationDue reads a notification again just before it is sent and says whether it is still
// due, for the same reason as PushDue.
func (s *Store) NotificationDue(ctx context.Context, id string, now time.Time) (Notification, bool, error) {
	ns, err := s.notifications(ctx, `id = ? AND done = 0 AND next_ns <= ?`, id, now.UnixNano())
	if err != nil || len(ns) == 0 {
		return Notification{}, false, err
	}
	return ns[0], true, nil
}

// NotificationAttempted records an attempt to send a notification: done when the participant
// answered, or rescheduled for next.
func (s *Store) NotificationAttempted(ctx context.Context, id string, attempts int, done bool, next time.Time) error {
	return s.w.Do(ctx, func(ctx context.Context, tx *sqlitedb.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE notifications SET attempts = ?, done = ?, next_ns = ? WHERE id = ?`,
			attempts, done, next.UnixNano(), id)
		return err
	})
}

// Notifications returns every notification queued for a message, oldest first.
func (s *Store) Notifications(ctx context.Context, messageID string) ([]Notification, error) {
	return s.notifications(ctx, `message_id = ? ORDER BY status_ns`, messageID)
}

// notifications reads the notifications selected by where (a WHERE clause and its ordering).
func (s *Store) notifications(ctx context.Context, where string, args ...any) ([]Notification, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, message_id, system_id, endpoint, state, status_code, status_msg,
		status_ns, attempts, next_ns FROM notifications WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var status, next int64
		if err := rows.Scan(&n.ID, &n.MessageID, &n.SystemID, &n.Endpoint, &n.State, &n.StatusCode, &n.StatusMsg,
			&status, &n.Attempts, &next); err != nil {
			return nil, err
		}
		n.StatusDate, n.NextAttempt = time.Unix(0, status), time.Unix(0, next)
		out = append(out, n)
	}
	return out, rows.Err()
}

// Count returns how many messages are in each state.
func (s *Store) Count(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM messages GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}
