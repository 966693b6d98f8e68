package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// an accepted message is on disk when Accept returns, after a power cut too: the store runs
// with synchronous=FULL (an fsync per commit), which group commit shares, never lowers.
func TestOpenStoresDurably(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "messages.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mode, journal string
	if err := st.db.QueryRow(`PRAGMA synchronous`).Scan(&mode); err != nil || mode != "2" {
		t.Fatalf("synchronous %q (%v), want 2 (FULL)", mode, err)
	}
	if err := st.db.QueryRow(`PRAGMA journal_mode`).Scan(&journal); err != nil || journal != "wal" {
		t.Fatalf("journal_mode %q (%v), want wal", journal, err)
	}
}

// Messages accepted at once share commits and lose nothing by it: every acceptance
// that returned nil is stored, each with a place of its own in the recipient's queue; of the copies
// of one message exactly one is stored and the others are told which.
func TestConcurrentAcceptancesAllLand(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "messages.sqlite")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const distinct, copies = 120, 20
	errs := make([]error, distinct+copies)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := time.Now()
			id := fmt.Sprint("m", i)
			m := Message{MessageID: id, CorrelationID: "c-" + id, SessionID: "s-" + id, ServiceID: "S", MessageType: "REQUEST",
				SenderID: "IS-A", RecipientID: "IS-B", Envelope: []byte("<m/>"), StatusCode: "100", Received: now, Accepted: now}
			key := Key{SenderID: "IS-A", Kind: "sendMessage", Digest: "sha256:" + id}
			if i >= distinct {
				key.Digest = "sha256:copy"
			}
			errs[i] = st.AcceptOnce(ctx, key, m, &Chain{CorrelationID: m.CorrelationID, ServiceID: "S", InitiatorID: "IS-A", OwnerID: "IS-B"})
		}()
	}
	wg.Wait()
	if s := st.w.Stats(); s.Commits >= s.Writes {
		t.Errorf("%d acceptances in %d commits: none shared a commit", s.Writes, s.Commits)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	first := ""
	for i, err := range errs {
		var replay *ReplayError
		switch {
		case i < distinct && err != nil:
			t.Fatalf("m%d: %v", i, err)
		case i >= distinct && err == nil && first != "":
			t.Fatalf("the copy was stored twice: %s and m%d", first, i)
		case i >= distinct && err == nil:
			first = fmt.Sprint("m", i)
		case i >= distinct && !errors.As(err, &replay):
			t.Fatalf("copy m%d: %v", i, err)
		}
	}
	for i, err := range errs {
		var replay *ReplayError
		if errors.As(err, &replay) && replay.First != first {
			t.Fatalf("copy m%d is told %s was first, want %s", i, replay.First, first)
		}
	}
	pending, err := st.Pending(ctx, Selection{RecipientID: "IS-B", ServiceID: "S", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != distinct+1 {
		t.Fatalf("%d messages stored, want %d", len(pending), distinct+1)
	}
	var seqs []int64
	if err := func() error {
		rows, err := st.db.Query(`SELECT seq FROM messages`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s int64
			if err := rows.Scan(&s); err != nil {
				return err
			}
			seqs = append(seqs, s)
		}
		return rows.Err()
	}(); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, s := range seqs {
		if seen[s] {
			t.Fatalf("two messages share the place %d in the queue", s)
		}
		seen[s] = true
	}
}
