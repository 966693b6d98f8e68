package sqlitedb

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const testSchema = `CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)`

func openTest(t *testing.T, opts ...CommitterOption) (*Committer, func(string) bool) {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "t.sqlite"), Full, testSchema)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCommitter(db, opts...)
	t.Cleanup(func() { c.Close(); db.Close() })
	has := func(k string) bool {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM t WHERE k = ?`, k).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	return c, has
}

func insert(k string) func(context.Context, *Tx) error {
	return func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO t (k) VALUES (?)`, k)
		return err
	}
}

// batched runs fns at once, each through c.Do, and makes them one batch: nobody commits until all
// are queued. It returns each one's outcome, a panic in Do as an error.
func batched(t *testing.T, c *Committer, fns []func(context.Context, *Tx) error) []error {
	t.Helper()
	if len(fns) > c.maxBatch {
		t.Fatalf("%d writes do not fit one batch of %d", len(fns), c.maxBatch)
	}
	c.lead <- struct{}{} // the test is at work: the writes queue
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("panic: %v", p)
				}
			}()
			errs[i] = c.Do(context.Background(), fn)
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); len(c.queue) < len(fns); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d writes queued", len(c.queue), len(fns))
		}
	}
	<-c.lead
	wg.Wait()
	return errs
}

// Many writes offered at once all land, each Do returning nil only for a committed write, and they
// share commits: the point of the Committer.
func TestCommitterLandsEveryConcurrentWrite(t *testing.T) {
	c, has := openTest(t)
	const n = 300
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Do(context.Background(), insert(fmt.Sprint("k", i)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if !has(fmt.Sprint("k", i)) {
			t.Fatalf("write %d returned nil but is not in the database", i)
		}
	}
	if s := c.Stats(); s.Writes != n || s.Commits >= n || s.Retried != 0 {
		t.Fatalf("stats %+v: want %d writes in fewer commits, none retried", s, n)
	}
}

var errRefused = errors.New("refused by the write itself")

// A write that fails fails alone: its own changes are undone, the others of its batch commit, and
// each caller gets its own outcome, the write's own error as it was returned.
func TestCommitterFailedWriteFailsAlone(t *testing.T) {
	c, has := openTest(t)
	if err := c.Do(context.Background(), insert("taken")); err != nil {
		t.Fatal(err)
	}
	errs := batched(t, c, []func(context.Context, *Tx) error{
		insert("a"),
		func(ctx context.Context, tx *Tx) error { // writes, then refuses
			if err := insert("undone")(ctx, tx); err != nil {
				return err
			}
			return errRefused
		},
		insert("b"),
		func(ctx context.Context, tx *Tx) error { // writes, then breaks a constraint
			if err := insert("half")(ctx, tx); err != nil {
				return err
			}
			return insert("taken")(ctx, tx)
		},
		insert("c"),
	})
	if errs[0] != nil || errs[2] != nil || errs[4] != nil {
		t.Fatalf("the good writes failed: %v", errs)
	}
	if !errors.Is(errs[1], errRefused) || errs[3] == nil {
		t.Fatalf("the failing writes: %v, %v", errs[1], errs[3])
	}
	for k, want := range map[string]bool{"a": true, "b": true, "c": true, "undone": false, "half": false} {
		if has(k) != want {
			t.Errorf("%s in the database: %v, want %v", k, !want, want)
		}
	}
	if s := c.Stats(); s.Commits != 2 || s.Retried != 0 {
		t.Fatalf("stats %+v: want the five writes in one commit after the first", s)
	}
}

// When the shared transaction itself fails (here a write ends it, as SQLite does on a full disk),
// none of its writes happened: each runs again alone, and only the culprit fails.
func TestCommitterRetriesAloneWhenTheBatchFails(t *testing.T) {
	c, has := openTest(t)
	errs := batched(t, c, []func(context.Context, *Tx) error{
		insert("a"),
		func(ctx context.Context, tx *Tx) error {
			_, err := tx.Exec(ctx, `ROLLBACK`)
			return err
		},
		insert("b"),
	})
	if errs[0] != nil || errs[2] != nil || errs[1] == nil {
		t.Fatalf("outcomes %v: want the rollback alone to fail", errs)
	}
	if !has("a") || !has("b") {
		t.Fatal("a write of the failed batch was lost")
	}
	if s := c.Stats(); s.Retried != 1 || s.Commits != 2 {
		t.Fatalf("stats %+v: want one failed batch and two writes committed alone", s)
	}
}

// A caller that stops waiting before its write is taken gets its context's error and its write
// never happens; a queue full of such abandoned writes does not stop the next caller.
func TestCommitterWithdrawnWrites(t *testing.T) {
	c, has := openTest(t, MaxBatch(2))
	c.lead <- struct{}{}
	var wg sync.WaitGroup
	for i := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Do(ctx, insert(fmt.Sprint("gone", i))); !errors.Is(err, context.Canceled) {
				t.Errorf("a withdrawn write returned %v", err)
			}
		}()
		for len(c.queue) <= i {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}
	wg.Wait()
	<-c.lead
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Do(ctx, insert("next")); err != nil {
		t.Fatalf("after a queue of abandoned writes: %v", err)
	}
	if has("gone0") || has("gone1") || !has("next") {
		t.Fatal("an abandoned write happened, or the next one did not")
	}
}

// Close finishes the writes offered, then refuses new ones.
func TestCommitterCloseDrains(t *testing.T) {
	c, has := openTest(t)
	c.lead <- struct{}{}
	errs := make(chan error, 3)
	for i := range 3 {
		go func() { errs <- c.Do(context.Background(), insert(fmt.Sprint("k", i))) }()
	}
	for len(c.queue) < 3 {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	<-c.lead
	<-closed
	for i := range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if !has(fmt.Sprint("k", i)) {
			t.Fatalf("k%d, offered before Close, is not in the database", i)
		}
	}
	if err := c.Do(context.Background(), insert("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("a write after Close: %v", err)
	}
}

// A write that panics panics in its caller; the others of its batch commit.
func TestCommitterPanicStaysWithItsCaller(t *testing.T) {
	c, has := openTest(t)
	errs := batched(t, c, []func(context.Context, *Tx) error{
		insert("a"),
		func(ctx context.Context, tx *Tx) error { panic("boom") },
		insert("b"),
	})
	if errs[0] != nil || errs[2] != nil || errs[1] == nil || errs[1].Error() != "panic: boom" {
		t.Fatalf("outcomes %v: want the panic in its own caller only", errs)
	}
	if !has("a") || !has("b") {
		t.Fatal("a panic lost the other writes of its batch")
	}
}
