package journal

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shepconf/shepconf/internal/sqlitedb"
)

// BenchmarkRecord measures one journal write on a file journal with each synchronous setting: the
// figure behind the choice in Open. A synchronous exchange writes five events (RECEIVED, ACCEPTED,
// ROUTED, OWNER_ANSWERED, ANSWERED).
func BenchmarkRecord(b *testing.B) {
	for _, sync := range []sqlitedb.Sync{sqlitedb.Normal, sqlitedb.Full} {
		b.Run(string(sync), func(b *testing.B) {
			db, err := sqlitedb.Open(filepath.Join(b.TempDir(), "journal.sqlite"), sync, schemaSQL)
			if err != nil {
				b.Fatal(err)
			}
			j := &Journal{db: db}
			defer j.Close()
			e := Event{Kind: Accepted, Channel: "sync", SessionID: "6f1c2d9e-1b7a-4c1e-9a55-0d4b1e2f3a4b",
				MessageID: "0b8d2f4e-3c5a-4e7b-8f9d-1a2b3c4d5e6f", SenderID: "INITIATOR_SYS", ServiceID: "TEST_SERVICE_ID",
				Rule: "R-47", Detail: "checks passed, routing to http://127.0.0.1:8081/owner; transport signature RSA-SHA256 by CN=INITIATOR_SYS"}
			ctx := context.Background()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := j.Record(ctx, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
