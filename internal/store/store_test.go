package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/store"
)

func message(id string, at time.Time) store.Message {
	return store.Message{MessageID: id, CorrelationID: "c-" + id, SessionID: "s-" + id, ServiceID: "S", MessageType: "REQUEST",
		SenderID: "IS-A", RecipientID: "IS-B", Endpoint: "http://b", Envelope: []byte("<m/>"), StatusCode: "100",
		Received: at, Accepted: at}
}

// of many copies of one message stored at once under one replay key, exactly one is stored;
// the others get a ReplayError naming it, and the key holds after reopening the store.
func TestAcceptOnceStoresOneOfConcurrentCopies(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "messages.sqlite")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	key := store.Key{SenderID: "IS-A", Kind: "sendMessage", Digest: "sha256:00"}
	const copies = 40
	errs := make([]error, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := message(fmt.Sprint("m", i), time.Now())
			errs[i] = st.AcceptOnce(ctx, key, m, &store.Chain{CorrelationID: m.CorrelationID, ServiceID: "S", InitiatorID: "IS-A", OwnerID: "IS-B"})
		}()
	}
	wg.Wait()
	first := ""
	for i, err := range errs {
		var replay *store.ReplayError
		switch {
		case err == nil && first == "":
			first = fmt.Sprint("m", i)
		case err == nil:
			t.Fatalf("stored twice: %s and m%d", first, i)
		case !errors.As(err, &replay):
			t.Fatal(err)
		}
	}
	for _, err := range errs {
		var replay *store.ReplayError
		if errors.As(err, &replay) && replay.First != first {
			t.Fatalf("replay names %s, want %s", replay.First, first)
		}
	}
	if n, err := st.Count(ctx); err != nil || n[store.OnDelivery] != 1 {
		t.Fatalf("store holds %v (%v), want one message", n, err)
	}
	st.Close()

	st, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var replay *store.ReplayError
	if err := st.AcceptOnce(ctx, key, message("late", time.Now()), nil); !errors.As(err, &replay) || replay.First != first {
		t.Fatalf("replay after reopening: %v", err)
	}
	other := key
	other.SenderID = "IS-C"
	if err := st.AcceptOnce(ctx, other, message("other", time.Now()), nil); err != nil {
		t.Fatalf("the same content from another sender: %v", err)
	}
}

// a delivery notification changes a message once; its replay changes nothing.
func TestUpdateOnceChangesOnce(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if err := st.Accept(ctx, message("m", now), nil); err != nil {
		t.Fatal(err)
	}
	key := store.Key{SenderID: "IS-B", Kind: "sendDeliveryNotification", Digest: "sha256:01"}
	c := store.Change{At: now, State: store.Delivered, StatusCode: "201", Detail: "n1"}
	if err := st.UpdateOnce(ctx, key, "n1", "m", c, 0, now, nil); err != nil {
		t.Fatal(err)
	}
	var replay *store.ReplayError
	c2 := store.Change{At: now.Add(time.Second), State: store.OnDelivery, StatusCode: "101", Detail: "n2"}
	if err := st.UpdateOnce(ctx, key, "n2", "m", c2, 0, now, nil); !errors.As(err, &replay) || replay.First != "n1" {
		t.Fatalf("replayed notification: %v", err)
	}
	if m, err := st.Get(ctx, "m"); err != nil || m.State != store.Delivered {
		t.Fatalf("after the replay: %s, %v", m.State, err)
	}
	if h, _ := st.History(ctx, "m"); len(h) != 2 {
		t.Fatalf("history %+v, want acceptance and one change", h)
	}
}

// A message is due for a push only while on delivery with its attempt due; once delivered, a stale
// list that still names it does not push it again.
func TestPushDue(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if err := st.Accept(ctx, message("m", now), nil); err != nil {
		t.Fatal(err)
	}
	if _, due, err := st.PushDue(ctx, "m", now); err != nil || !due {
		t.Fatalf("a new message: due %v, %v", due, err)
	}
	if _, due, _ := st.PushDue(ctx, "m", now.Add(-time.Second)); due {
		t.Fatal("due before its next attempt")
	}
	if err := st.Update(ctx, "m", store.Change{At: now, State: store.Delivered}, 1, now, nil); err != nil {
		t.Fatal(err)
	}
	if _, due, err := st.PushDue(ctx, "m", now.Add(time.Hour)); err != nil || due {
		t.Fatalf("a delivered message: due %v, %v", due, err)
	}
}
