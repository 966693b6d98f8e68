package journal_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/journal"
)

func TestExchangeTimes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.sqlite")
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	for i, k := range []journal.Kind{journal.Received, journal.Accepted, journal.Routed, journal.OwnerAnswered, journal.Answered} {
		e := journal.Event{Time: t0.Add(time.Duration(i) * time.Second), Kind: k, Channel: "sync", SessionID: "s1"}
		if _, err := j.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := j.Record(ctx, journal.Event{Time: t0, Kind: journal.Rejected, SessionID: "s2", Code: "SCE004", Rule: "R-6"}); err != nil {
		t.Fatal(err)
	}
	// Reopen: every recorded event survives the process.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if j, err = journal.Open(path); err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	x, err := j.Exchange(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if x.Outcome != journal.Answered || x.AcceptanceTime() != time.Second || x.OwnerTime() != time.Second || x.GatewayTime() != 3*time.Second {
		t.Fatalf("outcome %s acceptance %v owner %v gateway %v", x.Outcome, x.AcceptanceTime(), x.OwnerTime(), x.GatewayTime())
	}
	r, err := j.Exchange(ctx, "s2")
	if err != nil || r.Outcome != journal.Rejected || r.Code != "SCE004" || r.Rule != "R-6" || r.AcceptanceTime() != 0 {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := j.Exchange(ctx, "none"); !errors.Is(err, journal.ErrNoExchange) {
		t.Fatalf("unknown session: %v", err)
	}
}
