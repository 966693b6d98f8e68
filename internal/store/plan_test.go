package store

import (
	"context"
	"strings"
	"testing"
)

// The queries of every acceptance find their rows through an index. Read by scanning the table, each
// took time in proportion to the messages stored, so acceptance slowed down as the store filled
// (MAX(seq) read an index of every message, DuePush visited every pulled message to check its
// endpoint).
func TestHotQueriesUseIndexes(t *testing.T) {
	st, err := Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, c := range []struct{ name, query, index string }{
		{"next seq", nextSeqSQL, "messages_seq"},
		{"DuePush", `SELECT ` + messageColumns + ` FROM messages ` + duePushWhere, "messages_push"},
		{"NextPushDue", nextPushDueSQL, "messages_push"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := make([]any, strings.Count(c.query, "?"))
			for i := range args {
				args[i] = 1
			}
			rows, err := st.db.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+c.query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			p := strings.Join(plan, "; ")
			if !strings.HasPrefix(p, "SEARCH messages USING ") || !strings.Contains(p+" ", " INDEX "+c.index+" ") {
				t.Errorf("plan %q, want a search of messages through %s", p, c.index)
			}
		})
	}
}
