// Package sqlitedb opens the harness's SQLite databases (the journal, the message store) the same
// way: WAL, one connection, the schema applied; and commits their writes in groups (Committer).
package sqlitedb

import (
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// Sync is SQLite's synchronous setting: how hard a commit waits for the disk.
type Sync string

const (
	Full   Sync = "FULL"   // a commit is on disk when it returns: survives a power cut
	Normal Sync = "NORMAL" // in WAL mode, survives the process being killed, not a power cut
)

// Open opens (creating if needed) the database at path and applies schema; ":memory:" gives a
// private in-memory database. There is one connection: SQLite has one writer, and ":memory:"
// stays one database.
func Open(path string, sync Sync, schema string) (*sql.DB, error) {
	dsn := uri(path) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + string(sync) + ")"
	if path == ":memory:" {
		dsn = ":memory:"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return db, nil
}

// uriPath escapes the characters that end or encode the path of an SQLite URI
// (https://www.sqlite.org/uri.html): '?' starts the parameters, '#' a fragment, and SQLite decodes
// "%HH". Left as they are, a state folder named "a#b" or "a%20b" would silently move the database.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

// uri is the file: URI naming exactly path. An absolute path is given an empty authority
// ("file:///..."), so that a path starting with "//" is not read as a host name.
func uri(path string) string {
	if strings.HasPrefix(path, "/") {
		return "file://" + uriPath.Replace(path)
	}
	return "file:" + uriPath.Replace(path)
}
