package journal

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/sqlitedb"
)

// Replay is the first acceptance of a message that arrived again.
type Replay struct {
	SessionID string    // the exchange that accepted the message first
	Time      time.Time // when it was accepted
}

// AcceptOnce records e, an ACCEPTED event, unless e.Channel already accepted e.MessageID from
// e.SenderID (R-61: a message accepted once is not accepted again). The check and the record are
// one write, decided by the primary key of the accepted table: of any number of copies of a message
// sent at once, exactly one is accepted, whether they share a commit or not (a copy in the same
// transaction sees the first's row). For a replay it records nothing and returns the first
// acceptance, once that acceptance is committed; the caller journals the refusal.
//
// with are other events of the exchange, written in the same transaction when the message is
// accepted and not at all when it is a replay; all of them are written in the order of their times
// (the receipt stamped before the acceptance, the hand-over to the owner after it), so that an
// exchange's acceptance costs one commit.
func (j *Journal) AcceptOnce(ctx context.Context, e Event, with ...Event) (*Replay, error) {
	e.Kind = Accepted
	now := time.Now()
	e = stamped(e, now)
	events := []Event{e}
	for _, o := range with {
		events = append(events, stamped(o, now))
	}
	slices.SortStableFunc(events, func(a, b Event) int { return a.Time.Compare(b.Time) })
	ctx, cancel := writeContext(ctx)
	defer cancel()
	var replay *Replay
	err := j.w.Do(ctx, func(ctx context.Context, tx *sqlitedb.Tx) (err error) {
		if replay, err = claim(ctx, tx, e); err != nil || replay != nil {
			return err
		}
		for _, ev := range events {
			if _, err := insert(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		j.writeErrors.Add(uint64(len(events)))
		return nil, msg.Errorf("journal %s of session %s: %w", e.Kind, e.SessionID, err)
	}
	return replay, nil
}

// claim takes the message's key in the accepted table, or returns the acceptance that holds it.
func claim(ctx context.Context, tx *sqlitedb.Tx, e Event) (*Replay, error) {
	res, err := tx.Exec(ctx, `INSERT INTO accepted (channel, sender_id, message_id, session_id, time_ns)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, e.Channel, e.SenderID, e.MessageID, e.SessionID, e.Time.UnixNano())
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		r := &Replay{}
		var ns int64
		err := tx.QueryRow(ctx, `SELECT session_id, time_ns FROM accepted WHERE channel = ? AND sender_id = ? AND message_id = ?`,
			e.Channel, e.SenderID, e.MessageID).Scan(&r.SessionID, &ns)
		if errors.Is(err, sql.ErrNoRows) {
			err = msg.Errorf("the accepted key conflicted but cannot be read")
		}
		r.Time = time.Unix(0, ns)
		return r, err
	}
	return nil, nil
}
