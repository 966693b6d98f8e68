package gateway_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// A client that hangs up does not erase its exchange: every exchange the gateway received has its
// outcome in the journal, whether the client left while the owner was working or in the
// middle of sending its body.
func TestJournalKeepsTheExchangesOfClientsThatHangUp(t *testing.T) {
	r := newRig(t, rule.RulesLimits())
	r.owner.Handle("S1", owner.Behaviour{Latency: 300 * time.Millisecond})
	since := time.Now()
	const each = 25
	body, err := envelope.Marshal(r.initiator.Request("S1", envelope.StringData("ping")))
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(r.gateway.URL(), "http://")
	var wg sync.WaitGroup
	for i := range each {
		wg.Add(2)
		go func() { // leaves while the owner works
			defer wg.Done()
			b, err := envelope.Marshal(r.initiator.Request("S1", envelope.StringData(fmt.Sprint("ping ", i))))
			if err != nil {
				t.Error(err)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			r.initiator.Send(ctx, b)
		}()
		go func() { // leaves in the middle of its body
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s",
				envelope.SyncPath, addr, len(body), body[:len(body)/2])
			time.Sleep(20 * time.Millisecond)
			c.Close()
		}()
	}
	wg.Wait()

	// Every RECEIVED row (written before the sender is known, so its senderId is empty) has its
	// outcome; the gateway may still be finishing the last exchanges, so wait for them a while.
	ctx := context.Background()
	var sessions []string
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		sessions, err = r.journal.SessionsOf(ctx, "sync", "", since)
		if err != nil {
			t.Fatal(err)
		}
		missing = missing[:0]
		for _, s := range sessions {
			x, err := r.journal.Exchange(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if x.Outcome == "" {
				missing = append(missing, fmt.Sprintf("%s (%d events, last %s)", s, len(x.Events), x.Events[len(x.Events)-1].Kind))
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A client that leaves after 50 ms may leave before its request was sent on a slow machine;
	// the one that leaves in the middle of its body has always been received.
	if len(sessions) < each {
		t.Errorf("%d exchanges received in the journal, want at least %d", len(sessions), each)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d exchanges have no outcome in the journal (%s): %s", len(missing), len(sessions),
			strings.Join([]string{string(journal.Answered), string(journal.Faulted), string(journal.Rejected)}, "/"),
			strings.Join(missing[:min(5, len(missing))], "; "))
	}
}

// Rejected input is not echoed into the journal without bound: requests with a 9 MB senderId grow
// it by kilobytes (they grew it by 25 MB each).
func TestJournalBoundsEchoedInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.sqlite")
	r, _ := registryRig(t, path)
	size := func() int64 {
		var n int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(path + suffix); err == nil {
				n += fi.Size()
			}
		}
		return n
	}
	before := size()
	in := *r.initiator
	in.SystemID = strings.Repeat("S", 9<<20)
	for range 3 {
		b, err := envelope.Marshal(in.Request("S1", envelope.StringData("ping")))
		if err != nil {
			t.Fatal(err)
		}
		if _, f, err := in.Send(context.Background(), b).Answer(); err != nil || f == nil {
			t.Fatalf("a 9 MB senderId: want a fault, got %v", err)
		}
	}
	if grown := size() - before; grown > 1<<20 {
		t.Fatalf("three requests with a 9 MB senderId grew the journal by %d bytes, want kilobytes", grown)
	}
}
