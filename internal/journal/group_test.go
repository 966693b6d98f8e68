package journal

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// Exchanges journaled at once share commits, and lose nothing by it: every event a
// Record or RecordAll returned for is in the journal under the sequence number returned, each
// exchange's events in the order it wrote them; of the copies of each message accepted at once
// exactly one is accepted and every other copy is told that one, also when the copies share a
// commit. All of it is still there after the journal is closed and opened again.
func TestConcurrentExchangesAllLand(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.sqlite")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const exchanges, messages = 240, 12 // twenty copies of each message
	type outcome struct {
		seq    int64
		replay *Replay
		err    error
	}
	out := make([]outcome, exchanges)
	var wg sync.WaitGroup
	for i := range exchanges {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &out[i]
			e := Event{Channel: "sync", SessionID: fmt.Sprint("s", i), MessageID: fmt.Sprint("m", i%messages), SenderID: "IS-A"}
			e.Kind = Received
			if o.seq, o.err = j.Record(ctx, e); o.err != nil {
				return
			}
			if o.replay, o.err = j.AcceptOnce(ctx, e); o.err != nil {
				return
			}
			if o.replay != nil {
				e.Kind, e.Code, e.Rule = Rejected, "SCE022", "R-61"
				_, o.err = j.Record(ctx, e)
				return
			}
			owner, answered := e, e
			owner.Kind, answered.Kind = OwnerAnswered, Answered
			o.err = j.RecordAll(ctx, owner, answered)
		}()
	}
	wg.Wait()
	if s := j.w.Stats(); s.Commits >= s.Writes {
		t.Errorf("%d writes in %d commits: concurrent exchanges did not share a commit", s.Writes, s.Commits)
	}
	if n := j.WriteErrors(); n != 0 {
		t.Errorf("%d write errors", n)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if j, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	accepted := map[string]string{} // message -> session that accepted it
	for i, o := range out {
		if o.err != nil {
			t.Fatalf("exchange %d: %v", i, o.err)
		}
		if o.replay == nil {
			m := fmt.Sprint("m", i%messages)
			if first, twice := accepted[m]; twice {
				t.Fatalf("%s accepted twice: sessions %s and s%d", m, first, i)
			}
			accepted[m] = fmt.Sprint("s", i)
		}
	}
	if len(accepted) != messages {
		t.Fatalf("%d messages accepted, want %d", len(accepted), messages)
	}
	for i, o := range out {
		events, err := j.Events(ctx, fmt.Sprint("s", i))
		if err != nil {
			t.Fatal(err)
		}
		want := []Kind{Received, Accepted, OwnerAnswered, Answered}
		if o.replay != nil {
			want = []Kind{Received, Rejected}
			if first := accepted[fmt.Sprint("m", i%messages)]; o.replay.SessionID != first {
				t.Fatalf("the replay s%d names %s, want %s, which accepted the message", i, o.replay.SessionID, first)
			}
		}
		if len(events) != len(want) {
			t.Fatalf("s%d has %d events, want %v", i, len(events), want)
		}
		for k, e := range events {
			if e.Kind != want[k] {
				t.Fatalf("s%d event %d is %s, want %v in this order", i, k, e.Kind, want)
			}
		}
		if events[0].Seq != o.seq {
			t.Fatalf("s%d: Record returned seq %d, the journal holds it as %d", i, o.seq, events[0].Seq)
		}
	}
}
