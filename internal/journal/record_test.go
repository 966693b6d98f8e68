package journal_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/journal"
)

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// An event recorded while the request that caused it is being cancelled (the client hung up) is
// still written: the journal is the record of what happened, not of what the client waited for.
func TestRecordOutlivesTheRequest(t *testing.T) {
	j, err := journal.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := j.Record(ctx, journal.Event{Kind: journal.Rejected, Channel: "sync", SessionID: "gone", Code: "SCE002"}); err != nil {
		t.Fatalf("an event of a request whose client has gone is lost: %v", err)
	}
	x, err := j.Exchange(context.Background(), "gone")
	if err != nil || x.Outcome != journal.Rejected {
		t.Fatalf("%+v %v", x, err)
	}
}

// Rejected input is stored cut to a documented length with its size and digest, so ten 9 MB
// senderIds cost the journal kilobytes, not hundreds of megabytes, and the original can still be
// matched by its digest.
func TestRecordTruncatesLongInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.sqlite")
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	if _, err := j.Record(ctx, journal.Event{Kind: journal.Received, SessionID: "warm-up"}); err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, path)

	huge := strings.Repeat("Ж", 9<<20/2) // 9 MB of two-byte runes: the cut must not split one
	sum := sha256.Sum256([]byte(huge))
	for i := range 10 {
		if _, err := j.Record(ctx, journal.Event{Kind: journal.Rejected, Channel: "sync", SessionID: fmt.Sprint("s", i),
			SenderID: huge, MessageID: huge, ServiceID: huge, Code: "SCE002", Rule: "R-53(2)", Detail: "observed " + huge}); err != nil {
			t.Fatal(err)
		}
	}
	if grown := fileSize(t, path) - before; grown > 1<<20 {
		t.Fatalf("ten events with 9 MB fields grew the journal by %d bytes, want kilobytes", grown)
	}

	events, err := j.Events(ctx, "s0")
	if err != nil || len(events) != 1 {
		t.Fatalf("%v %d events", err, len(events))
	}
	e := events[0]
	mark := fmt.Sprintf(" [truncated: %d bytes, sha256 %x]", len(huge), sum)
	for field, v := range map[string]string{"senderId": e.SenderID, "messageId": e.MessageID, "serviceId": e.ServiceID} {
		if !strings.HasSuffix(v, mark) || len(v) > journal.MaxIDLength+len("…")+len(mark) || !strings.HasPrefix(v, "ЖЖЖ") {
			t.Errorf("%s stored as %d bytes ending %q, want at most %d bytes of it and %q", field, len(v), v[max(0, len(v)-120):], journal.MaxIDLength, mark)
		}
		if !strings.Contains(v, "Ж…") {
			t.Errorf("%s was cut inside a character: %q", field, v[:min(len(v), 300)])
		}
	}
	if len(e.Detail) > journal.MaxDetailLength+200 || !strings.Contains(e.Detail, "[truncated: ") {
		t.Errorf("detail stored as %d bytes, want at most %d and the truncation mark", len(e.Detail), journal.MaxDetailLength)
	}
	// Short values are stored as they are.
	if e.Code != "SCE002" || e.Rule != "R-53(2)" {
		t.Errorf("code %q rule %q", e.Code, e.Rule)
	}
	if got := journal.Clip("SYS-1", journal.MaxIDLength); got != "SYS-1" {
		t.Errorf("Clip changed a short value: %q", got)
	}
}

// No secret reaches the journal, even when a detail quotes a request that carries one. Every form
// of secret is internal/redact's test; this one checks that the journal applies it.
func TestRecordRedactsSecrets(t *testing.T) {
	j, err := journal.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	secrets := []string{"hunter2", "eyJhbGciOiJSUzI1NiJ9.payload.sig"}
	detail := "observed <password>hunter2</password>\nAuthorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig"
	if _, err := j.Record(context.Background(), journal.Event{Kind: journal.Rejected, SessionID: "s", Detail: detail}); err != nil {
		t.Fatal(err)
	}
	events, _ := j.Events(context.Background(), "s")
	got := events[0].Detail
	for _, s := range secrets {
		if strings.Contains(got, s) || strings.Contains(got, s[:min(len(s), 8)]) {
			t.Errorf("the journal keeps %q (or its prefix): %s", s, got)
		}
	}
	for _, keep := range []string{"<password>", "Authorization: Bearer"} {
		if !strings.Contains(got, keep) {
			t.Errorf("redaction removed %q, which is no secret: %s", keep, got)
		}
	}

	// A password that the length limit cuts, or that a detail quotes without its end, leaves no
	// prefix behind either.
	for name, detail := range map[string]string{
		"cut by the limit": strings.Repeat("x", journal.MaxDetailLength-12) + "<password>cutsecret-value</password>" + strings.Repeat("y", 1<<20),
		"unclosed":         "observed <password>opensecret",
	} {
		if _, err := j.Record(context.Background(), journal.Event{Kind: journal.Rejected, SessionID: name, Detail: detail}); err != nil {
			t.Fatal(err)
		}
		events, _ := j.Events(context.Background(), name)
		if got := events[0].Detail; strings.Contains(got, "cutsec") || strings.Contains(got, "opensec") {
			t.Errorf("%s: the journal keeps part of the password: %s", name, got[max(0, len(got)-200):])
		}
	}
}

// A write that fails is counted, so /metrics can show that the journal lost something.
func TestRecordCountsWriteErrors(t *testing.T) {
	j, err := journal.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	if n := j.WriteErrors(); n != 0 {
		t.Fatalf("a new journal counts %d write errors", n)
	}
	j.Close()
	if _, err := j.Record(context.Background(), journal.Event{Kind: journal.Received, SessionID: "s", Time: time.Now()}); err == nil {
		t.Fatal("a write to a closed journal succeeded")
	}
	if n := j.WriteErrors(); n != 1 {
		t.Fatalf("write errors %d, want 1", n)
	}
}
