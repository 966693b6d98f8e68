package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Group commit. A commit costs the same whether it holds one write or a hundred: at synchronous=FULL
// it is an fsync, at NORMAL a write of the WAL frames and the locking around it. Under load the
// gateway's writes arrive from many requests at once and, on the one connection Open allows, used to
// queue for a commit each. A Committer gathers the writes waiting at the moment into one transaction
// and commits them together; each caller still returns only after the commit that holds its write,
// so what a returned write guarantees (durable, decided) is unchanged.

// DefaultMaxBatch is how many writes a Committer commits together at most.
const DefaultMaxBatch = 64

// ErrClosed is returned for a write offered to a Committer that was closed.
var ErrClosed = errors.New("sqlitedb: the database is closed")

// Committer commits the writes of concurrent callers in shared transactions (group commit). The
// callers themselves do the work, one at a time (leader and followers): a caller finding no other at
// work takes the writes waiting, at most MaxBatch of them, runs each in a savepoint of one
// transaction and commits it, until its own write is done; the others wait for their outcome or for
// their turn. A caller alone thus writes at once, on its own goroutine, and under load one commit
// holds the writes that queued while the previous one was on its way to disk.
//
// A write that fails is rolled back to its savepoint and fails alone. When the shared transaction
// itself fails (the commit, or a statement error that SQLite answers by rolling back the whole
// transaction), none of its writes happened, and each is run again in a transaction of its own: one
// write's failure is never another's. Writes are run in the order they were offered.
type Committer struct {
	db       *sql.DB
	maxBatch int

	// queue holds the writes offered and not yet taken: at most one batch, so a caller waits (within
	// its context) when the committing is that far behind, and memory stays bounded.
	queue chan *write
	// lead is held by the caller at work: taking writes from queue and committing them.
	lead chan struct{}

	mu        sync.RWMutex // held shared while a write is offered, exclusively by Close
	closed    bool
	closeOnce sync.Once

	writes, commits, retried atomic.Uint64
}

// CommitterOption changes a Committer's defaults.
type CommitterOption func(*Committer)

// MaxBatch sets how many writes are committed together at most (n >= 1).
func MaxBatch(n int) CommitterOption { return func(c *Committer) { c.maxBatch = max(1, n) } }

// NewCommitter returns the Committer of db. Every write to db should go through it: a write made
// beside it waits for the one connection like any other, but gains nothing.
func NewCommitter(db *sql.DB, opts ...CommitterOption) *Committer {
	c := &Committer{db: db, maxBatch: DefaultMaxBatch, lead: make(chan struct{}, 1)}
	for _, o := range opts {
		o(c)
	}
	c.queue = make(chan *write, c.maxBatch)
	return c
}

// A write's states: offered, taken into a batch, or withdrawn by a caller that stopped waiting.
const (
	offered int32 = iota
	taken
	withdrawn
)

type write struct {
	fn       func(context.Context, *Tx) error
	state    atomic.Int32
	err      error
	panicked any           // a panic of fn, raised again in the caller
	done     chan struct{} // closed when err is final
}

// Do runs fn in a transaction, shared with other callers' writes, and returns once that transaction
// has committed: nil then means fn's writes are in the database as durably as its synchronous
// setting makes any commit. An error from fn is returned as it is (errors.As works), and fn's writes
// are undone; the error too is returned only after the commit, since what fn read may have been
// another write of the same transaction. fn may be run more than once (again alone, when the shared
// transaction fails), so it must set its results afresh on every run; and it must use tx only, never
// the database itself, whose one connection the transaction holds.
//
// ctx bounds the wait for a place in the queue and for the write to be taken into a batch. Once
// taken, a write runs to its end and Do reports how it ended, so a caller never gives up on a write
// that then happens. A batch has no deadline of its own: its statements are short, what can stall
// them is a lock, which SQLite's busy timeout (10 s, see Open) bounds, or the disk, which no
// deadline interrupts; and a cancellable context would cost a goroutine per statement in the driver.
func (c *Committer) Do(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	w := &write{fn: fn, done: make(chan struct{})}
	if err := c.offer(ctx, w); err != nil {
		return err
	}
	for {
		select {
		case <-w.done:
			return w.outcome()
		case c.lead <- struct{}{}:
			// Nobody else is at work: commit what waits until w is done. Whoever led before has
			// finished its batches, so w is done or still queued.
			c.leading(func() {
				for !w.finished() && c.commitNext() {
				}
			})
		case <-ctx.Done():
			if w.state.CompareAndSwap(offered, withdrawn) {
				return ctx.Err()
			}
			<-w.done
			return w.outcome()
		}
	}
}

// offer puts w in the queue, waiting within ctx while it is full.
func (c *Committer) offer(ctx context.Context, w *write) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return ErrClosed
	}
	for {
		select {
		case c.queue <- w:
			return nil
		default:
		}
		select {
		case c.queue <- w:
			return nil
		case c.lead <- struct{}{}:
			// The queue is full and nobody is at work, as when the callers of the writes in it
			// have all stopped waiting: make room.
			c.leading(func() { c.commitNext() })
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// leading runs work with the lead taken and gives it back, even if work panics.
func (c *Committer) leading(work func()) {
	defer func() { <-c.lead }()
	work()
}

func (w *write) finished() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

func (w *write) outcome() error {
	if w.panicked != nil {
		panic(w.panicked)
	}
	return w.err
}

// Stats are a Committer's counts since it started.
type Stats struct {
	Writes  uint64 // writes run to their end, successful or not
	Commits uint64 // transactions committed (a write alone counts one)
	Retried uint64 // shared transactions that failed, their writes then run alone
}

// Stats returns how many writes shared how many commits.
func (c *Committer) Stats() Stats {
	return Stats{Writes: c.writes.Load(), Commits: c.commits.Load(), Retried: c.retried.Load()}
}

// Close refuses new writes, finishes those offered and returns. It does not close the database.
func (c *Committer) Close() {
	c.closeOnce.Do(func() {
		c.mu.Lock() // waits for the callers still offering a write: the queued ones' callers commit
		c.closed = true
		c.mu.Unlock()
		c.lead <- struct{}{} // kept: nobody else commits from now on
		for c.commitNext() {
		}
	})
}

// commitNext takes the writes waiting, up to a batch, and commits them; false when none waited.
func (c *Committer) commitNext() bool {
	batch := make([]*write, 0, min(len(c.queue), c.maxBatch))
	for len(batch) < c.maxBatch {
		select {
		case w := <-c.queue:
			if w.state.CompareAndSwap(offered, taken) {
				batch = append(batch, w)
			}
			continue
		default:
		}
		break
	}
	if len(batch) == 0 {
		return len(c.queue) > 0 // only withdrawn writes were taken: look again
	}
	c.commit(batch)
	return true
}

// errAbandoned is the outcome of a write whose batch ended in a panic of the driver.
var errAbandoned = errors.New("sqlitedb: the write's batch was abandoned")

// commit runs a batch and tells each caller how its write ended.
func (c *Committer) commit(batch []*write) {
	ended := false
	defer func() {
		// Every caller learns an outcome, even when the driver panicked (the panic goes on).
		for _, w := range batch {
			if !ended && w.err == nil {
				w.err = errAbandoned
			}
			close(w.done)
		}
	}()
	ctx := context.Background()
	if len(batch) == 1 || c.together(ctx, batch) != nil {
		// Alone, or the shared transaction failed and none of its writes happened: each write is
		// run again in a transaction of its own and gets its own outcome.
		if len(batch) > 1 {
			c.retried.Add(1)
		}
		for _, w := range batch {
			w.err = c.alone(ctx, w)
		}
	}
	c.writes.Add(uint64(len(batch)))
	ended = true
}

// together runs the batch in one transaction, each write in a savepoint, and commits it. The
// writes' own outcomes are left in w.err; the error returned is the transaction's.
func (c *Committer) together(ctx context.Context, batch []*write) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t := newTx(tx)
	for _, w := range batch {
		if _, err := t.Exec(ctx, `SAVEPOINT write`); err != nil {
			return err
		}
		if w.err = w.call(ctx, t); w.err != nil {
			if _, err := t.Exec(ctx, `ROLLBACK TO write`); err != nil {
				return err // SQLite rolled the whole transaction back: it has no savepoint left
			}
		}
		if _, err := t.Exec(ctx, `RELEASE write`); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	c.commits.Add(1)
	return nil
}

// alone runs one write in a transaction of its own.
func (c *Committer) alone(ctx context.Context, w *write) error {
	w.panicked = nil
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := w.call(ctx, newTx(tx)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	c.commits.Add(1)
	return nil
}

// call runs w's function; a panic becomes an error here (the batch goes on) and is raised again
// in w's caller.
func (w *write) call(ctx context.Context, t *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.panicked = p
			err = fmt.Errorf("sqlitedb: a write panicked: %v", p)
		}
	}()
	return w.fn(ctx, t)
}

// Tx is the transaction a write runs in. Its statements are prepared once per transaction and
// reused by every write of the batch.
type Tx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func newTx(tx *sql.Tx) *Tx { return &Tx{tx: tx, stmts: map[string]*sql.Stmt{}} }

func (t *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := t.stmts[query]; ok {
		return s, nil
	}
	s, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	t.stmts[query] = s
	return s, nil
}

// Exec executes a statement that returns no rows.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// QueryRow executes a query that returns at most one row.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := t.stmt(ctx, query)
	if err != nil {
		return t.tx.QueryRowContext(ctx, query, args...) // reports the same error through the Row
	}
	return s.QueryRowContext(ctx, args...)
}
