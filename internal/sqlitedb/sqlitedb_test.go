package sqlitedb_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shepconf/shepconf/internal/sqlitedb"
)

// A state folder may be named anything the file system allows: the database must be opened at
// exactly the path given, not at a path cut short at '#' or '?', or with '%' sequences decoded.
func TestOpenKeepsThePathAsGiven(t *testing.T) {
	for _, name := range []string{"with#hash", "with?query", "with%20percent", "with%zz", "plain space", "mixed#?%&=;"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "journal.sqlite")
			db, err := sqlitedb.Open(path, sqlitedb.Normal, `CREATE TABLE t (x INTEGER)`)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`INSERT INTO t VALUES (1)`); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				entries, _ := os.ReadDir(filepath.Dir(dir))
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("the database is not at %s (%v); the parent folder holds %q", path, err, names)
			}
			// The pragmas still apply: the file runs in WAL mode.
			db, err = sqlitedb.Open(path, sqlitedb.Full, `CREATE TABLE IF NOT EXISTS t (x INTEGER)`)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var mode string
			var n int
			if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
				t.Fatalf("journal_mode %q, %v: want wal", mode, err)
			}
			if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 1 {
				t.Fatalf("reopened database holds %d rows (%v), want the 1 written", n, err)
			}
		})
	}
}
