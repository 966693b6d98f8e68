package esia

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The API key file. An API key is a UUID (consumer's guide v3.3, «Термины»: «уникальный
// идентификатор типа UUID») created for an employee in the «Мои системы» section of the partners'
// portal, which offers it for download as CSV (yellow444/epgu habr/01-epgu-integration.md §5). The
// columns of that CSV are not published in any source at hand (the consumer's and vendor's guides,
// the technological portal's guide, go-api-epgu, yellow444/epgu), and the clients seen keep only
// the bare UUID (an "apikey=<GUID>" setting). So IssueAPIKey writes a minimal CSV of this
// simulator's own design, a header and one row:
//
//	mnemonic,ogrn,org_oid,user_oid,api_key,created
//
// and ParseAPIKey reads it, any CSV (',' ';' or tab) with a key-like column or a UUID cell, and a
// bare UUID. ogrn is the system's OGRN as registered, or the test OGRN Register generated (13
// digits with a valid check digit, no real organisation's), so the column is never empty.
var apiKeyColumns = []string{"mnemonic", "ogrn", "org_oid", "user_oid", "api_key", "created"}

// APIKey is an API key with what its file says about it.
type APIKey struct {
	Key      string // the UUID to sign and send (Б.12)
	Mnemonic string // the system it was created on, when the file says
	OGRN     string
	OrgOID   string
	UserOID  string // the employee it was created for
	Created  time.Time
}

type apiKeyRecord struct {
	mnemonic string
	created  time.Time
}

// IssueAPIKey creates an API key for the system's employee (its UserOID), as the technological
// portal does (ESIA-B12), and returns the file it would give for download.
func (e *ESIA) IssueAPIKey(mnemonic string) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sys, ok := e.systems[mnemonic]
	if !ok {
		return nil, fmt.Errorf("esia: API key: no system %q is registered", mnemonic)
	}
	key := uuid.NewString()
	created := e.clock.Now().UTC().Truncate(time.Second)
	e.apiKeys[key] = apiKeyRecord{mnemonic: mnemonic, created: created}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(apiKeyColumns)
	_ = w.Write([]string{sys.Mnemonic, sys.OGRN, sys.OrgOID, sys.UserOID, key, created.Format(time.RFC3339)})
	w.Flush()
	return b.Bytes(), w.Error()
}

// lookupAPIKey finds the system of a key, written in any case and with or without braces.
func (e *ESIA) lookupAPIKey(key string) (apiKeyRecord, bool) {
	u, err := uuid.Parse(strings.TrimSpace(key))
	if err != nil {
		return apiKeyRecord{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.apiKeys[u.String()]
	return r, ok
}

// ErrNoAPIKey: the file holds no UUID.
var ErrNoAPIKey = errors.New("esia: no API key (a UUID) in the file")

// ParseAPIKey reads an API key file: IssueAPIKey's CSV, another CSV whose header names a key
// column (api_key, apikey, api-key, key, «ключ»…) or which has a UUID cell, or the bare UUID. With
// several rows it returns the first key.
func ParseAPIKey(file []byte) (APIKey, error) {
	text := strings.TrimPrefix(string(file), "\uFEFF")
	if s := strings.TrimSpace(text); !strings.ContainsAny(s, ",;\t\n") {
		if _, err := uuid.Parse(s); err == nil {
			return APIKey{Key: s}, nil
		}
		return APIKey{}, fmt.Errorf("%w: %q is not a UUID", ErrNoAPIKey, s)
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = delimiter(text)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		return APIKey{}, fmt.Errorf("esia: API key file: %w", err)
	}
	if len(rows) == 0 {
		return APIKey{}, ErrNoAPIKey
	}
	cols := headerColumns(rows[0])
	body := rows
	if cols.key >= 0 {
		body = rows[1:]
	}
	for _, row := range body {
		if k, ok := keyOf(row, cols.key); ok {
			return cols.read(row, k), nil
		}
	}
	return APIKey{}, ErrNoAPIKey
}

// delimiter guesses the CSV separator from the first line: ';' (a spreadsheet in a Russian
// locale), tab, or ','.
func delimiter(text string) rune {
	first, _, _ := strings.Cut(text, "\n")
	best, n := ',', strings.Count(first, ",")
	for _, d := range []rune{';', '\t'} {
		if c := strings.Count(first, string(d)); c > n {
			best, n = d, c
		}
	}
	return best
}

type columns struct{ key, mnemonic, ogrn, orgOID, userOID, created int }

// headerColumns finds the named columns of a header row; key is -1 when the row names no key column.
func headerColumns(row []string) columns {
	c := columns{-1, -1, -1, -1, -1, -1}
	for i, h := range row {
		switch n := normal(h); {
		case n == "apikey" || n == "key" || n == "ключ" || n == "идентификационныйключ" || n == "apiключ":
			c.key = i
		case n == "mnemonic" || n == "clientid" || n == "мнемоника" || n == "мнемоникаис":
			c.mnemonic = i
		case n == "ogrn" || n == "огрн":
			c.ogrn = i
		case n == "orgoid":
			c.orgOID = i
		case n == "useroid" || n == "oid":
			c.userOID = i
		case n == "created" || n == "датасоздания":
			c.created = i
		}
	}
	return c
}

func normal(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(h)
}

// keyOf finds the key of a row: in the key column when there is one, else in the first UUID cell.
func keyOf(row []string, col int) (int, bool) {
	for i, cell := range row {
		if col >= 0 && i != col {
			continue
		}
		if _, err := uuid.Parse(strings.TrimSpace(cell)); err == nil {
			return i, true
		}
	}
	return -1, false
}

func (c columns) read(row []string, key int) APIKey {
	cell := func(i int) string {
		if i < 0 || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	k := APIKey{Key: cell(key), Mnemonic: cell(c.mnemonic), OGRN: cell(c.ogrn), OrgOID: cell(c.orgOID), UserOID: cell(c.userOID)}
	if t, err := time.Parse(time.RFC3339, cell(c.created)); err == nil {
		k.Created = t
	}
	return k
}
