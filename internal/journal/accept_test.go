package journal_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/journal"
)

// of many copies of one message accepted at once, AcceptOnce lets exactly one through and
// records exactly one ACCEPTED event; the others learn the session that accepted it. The decision
// survives reopening the journal, and another sender, channel or messageId is another message.
func TestAcceptOnceAcceptsOneOfConcurrentCopies(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.sqlite")
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const copies = 40
	replays := make([]*journal.Replay, copies)
	errs := make([]error, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replays[i], errs[i] = j.AcceptOnce(ctx, journal.Event{Channel: "sync", SessionID: fmt.Sprint("s", i), MessageID: "m1", SenderID: "IS-A"})
		}()
	}
	wg.Wait()
	first := ""
	for i := range copies {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if replays[i] == nil {
			if first != "" {
				t.Fatalf("accepted twice: sessions %s and s%d", first, i)
			}
			first = fmt.Sprint("s", i)
		}
	}
	if first == "" {
		t.Fatal("no copy accepted")
	}
	for _, r := range replays {
		if r != nil && r.SessionID != first {
			t.Fatalf("replay names session %s, want %s", r.SessionID, first)
		}
	}
	accepted := 0
	for i := range copies {
		events, err := j.Events(ctx, fmt.Sprint("s", i))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Kind == journal.Accepted {
				accepted++
			}
		}
	}
	if accepted != 1 {
		t.Fatalf("%d ACCEPTED events, want 1", accepted)
	}
	j.Close()

	j, err = journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if seen, err := j.Accepted(ctx, "sync", "IS-A", "m1"); err != nil || !seen {
		t.Fatalf("after reopening: accepted %v, %v", seen, err)
	}
	if r, err := j.AcceptOnce(ctx, journal.Event{Channel: "sync", SessionID: "again", MessageID: "m1", SenderID: "IS-A"}); err != nil || r == nil || r.SessionID != first {
		t.Fatalf("replay after reopening: %+v, %v", r, err)
	}
	for _, e := range []journal.Event{
		{Channel: "sync", SessionID: "b", MessageID: "m1", SenderID: "IS-B"},
		{Channel: "rest", SessionID: "c", MessageID: "m1", SenderID: "IS-A"},
		{Channel: "sync", SessionID: "d", MessageID: "m2", SenderID: "IS-A"},
	} {
		if r, err := j.AcceptOnce(ctx, e); err != nil || r != nil {
			t.Fatalf("%+v refused as a replay: %+v, %v", e, r, err)
		}
	}
}

// an exchange's acceptance is one commit with its receipt and its hand-over to the
// owner, written in the order of their times; a replay writes none of them, so its receipt is
// journalled with its refusal.
func TestAcceptOnceWritesTheExchangesEventsWithIt(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	at := time.Now()
	exchange := func(session string) (journal.Event, []journal.Event) {
		e := journal.Event{Channel: "sync", SessionID: session, MessageID: "m1", SenderID: "IS-A", Time: at.Add(time.Millisecond)}
		return e, []journal.Event{
			{Kind: journal.Routed, Channel: "sync", SessionID: session, Time: at.Add(2 * time.Millisecond)},
			{Kind: journal.Received, Channel: "sync", SessionID: session, Time: at},
		}
	}
	e, with := exchange("first")
	if r, err := j.AcceptOnce(ctx, e, with...); err != nil || r != nil {
		t.Fatalf("%+v, %v", r, err)
	}
	events, err := j.Events(ctx, "first")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []journal.Kind
	for _, ev := range events {
		kinds = append(kinds, ev.Kind)
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]journal.Kind{journal.Received, journal.Accepted, journal.Routed}) {
		t.Fatalf("events %v, want the receipt, the acceptance and the hand-over in that order", kinds)
	}
	e, with = exchange("replay")
	if r, err := j.AcceptOnce(ctx, e, with...); err != nil || r == nil || r.SessionID != "first" {
		t.Fatalf("replay: %+v, %v", r, err)
	}
	if events, err := j.Events(ctx, "replay"); err != nil || len(events) != 0 {
		t.Fatalf("a replay wrote %+v (%v)", events, err)
	}
}
