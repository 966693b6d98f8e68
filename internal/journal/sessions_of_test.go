package journal_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/journal"
)

// SessionsOf finds what one sender started on one channel since a time, in order, once per session.
func TestSessionsOf(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	for i, e := range []journal.Event{
		{Kind: journal.Received, Channel: "rest", SessionID: "old", SenderID: "SUT"},
		{Kind: journal.Received, Channel: "rest", SessionID: "a"},
		{Kind: journal.Accepted, Channel: "rest", SessionID: "a", SenderID: "SUT"},
		{Kind: journal.Answered, Channel: "rest", SessionID: "a", SenderID: "SUT"},
		{Kind: journal.Rejected, Channel: "rest", SessionID: "other", SenderID: "OTHER"},
		{Kind: journal.Accepted, Channel: "sync", SessionID: "soap", SenderID: "SUT"},
		{Kind: journal.Rejected, Channel: "rest", SessionID: "b", SenderID: "SUT"},
	} {
		e.Time = t0.Add(time.Duration(i) * time.Second)
		if _, err := j.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.SessionsOf(ctx, "rest", "SUT", t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("sessions %q, want %q", got, want)
	}
}
