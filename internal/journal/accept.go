package journal

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// Replay is the first acceptance of a message that arrived again.
type Replay struct {
	SessionID string    // the exchange that accepted the message first
	Time      time.Time // when it was accepted
}

// AcceptOnce records e, an ACCEPTED event, unless e.Channel already accepted e.MessageID from
// e.SenderID (R-61: a message accepted once is not accepted again). The check and the record are
// one transaction, decided by the primary key of the accepted table: of any number of copies of a
// message sent at once, exactly one is accepted. For a replay it records nothing and returns the
// first acceptance; the caller journals the refusal.
func (j *Journal) AcceptOnce(ctx context.Context, e Event) (*Replay, error) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Kind = Accepted
	e = stored(e)
	ctx, cancel := writeContext(ctx)
	defer cancel()
	replay, err := j.acceptOnce(ctx, e)
	if err != nil {
		j.writeErrors.Add(1)
		return nil, msg.Errorf("journal %s of session %s: %w", e.Kind, e.SessionID, err)
	}
	return replay, nil
}

func (j *Journal) acceptOnce(ctx context.Context, e Event) (*Replay, error) {
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO accepted (channel, sender_id, message_id, session_id, time_ns)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, e.Channel, e.SenderID, e.MessageID, e.SessionID, e.Time.UnixNano())
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		r := &Replay{}
		var ns int64
		err := tx.QueryRowContext(ctx, `SELECT session_id, time_ns FROM accepted WHERE channel = ? AND sender_id = ? AND message_id = ?`,
			e.Channel, e.SenderID, e.MessageID).Scan(&r.SessionID, &ns)
		if errors.Is(err, sql.ErrNoRows) {
			err = msg.Errorf("the accepted key conflicted but cannot be read")
		}
		r.Time = time.Unix(0, ns)
		return r, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events
		(time_ns, time, kind, channel, session_id, message_id, sender_id, service_id, code, rule, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Time.UnixNano(), e.Time.UTC().Format(time.RFC3339Nano), string(e.Kind), e.Channel, e.SessionID,
		e.MessageID, e.SenderID, e.ServiceID, e.Code, e.Rule, e.Detail); err != nil {
		return nil, err
	}
	return nil, tx.Commit()
}
