package journal

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/sqlitedb"
)

// benchEvent is a typical event: an ACCEPTED with a detail of the usual length.
var benchEvent = Event{Kind: Accepted, Channel: "sync", SessionID: "6f1c2d9e-1b7a-4c1e-9a55-0d4b1e2f3a4b",
	MessageID: "0b8d2f4e-3c5a-4e7b-8f9d-1a2b3c4d5e6f", SenderID: "INITIATOR_SYS", ServiceID: "TEST_SERVICE_ID",
	Rule: "R-47", Detail: "checks passed, routing to http://127.0.0.1:8081/owner; transport signature RSA-SHA256 by CN=INITIATOR_SYS"}

// BenchmarkRecord measures one journal write by one writer on a file journal with each synchronous
// setting: the figure behind the choice in Open. A synchronous exchange writes five events
// (RECEIVED, ACCEPTED, ROUTED, OWNER_ANSWERED, ANSWERED). "group" is Record, through the group
// commit; "commit-each" writes every event in a commit of its own, as Record did before, for
// comparison: alone, a writer pays for the explicit transaction.
func BenchmarkRecord(b *testing.B) { benchRecord(b, 1) }

// BenchmarkRecordParallel is BenchmarkRecord with 16 writers at once, as under load, where the
// events of concurrent writers share commits (records/commit).
func BenchmarkRecordParallel(b *testing.B) { benchRecord(b, 16) }

func benchRecord(b *testing.B, writers int) {
	for _, sync := range []sqlitedb.Sync{sqlitedb.Normal, sqlitedb.Full} {
		for _, group := range []bool{true, false} {
			name := string(sync) + map[bool]string{true: "/group", false: "/commit-each"}[group]
			b.Run(name, func(b *testing.B) {
				db, err := sqlitedb.Open(filepath.Join(b.TempDir(), "journal.sqlite"), sync, schemaSQL)
				if err != nil {
					b.Fatal(err)
				}
				j := newJournal(db)
				defer j.Close()
				ctx := context.Background()
				record := func() error { _, err := j.Record(ctx, benchEvent); return err }
				if !group {
					e := stored(benchEvent)
					e.Time = time.Now()
					record = func() error {
						ctx, cancel := writeContext(ctx)
						defer cancel()
						_, err := db.ExecContext(ctx, insertSQL, e.Time.UnixNano(), e.Time.UTC().Format(time.RFC3339Nano), string(e.Kind),
							e.Channel, e.SessionID, e.MessageID, e.SenderID, e.ServiceID, e.Code, e.Rule, e.Detail)
						return err
					}
				}
				start := time.Now()
				if writers == 1 {
					for b.Loop() {
						if err := record(); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := record(); err != nil {
								b.Error(fmt.Errorf("record: %w", err))
								return
							}
						}
					})
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
				if s := j.w.Stats(); s.Commits > 0 {
					b.ReportMetric(float64(s.Writes)/float64(s.Commits), "records/commit")
				}
			})
		}
	}
}
