// Package reports renders a conformance run for the people who read it: a single-file HTML report
// (no network needed to open it) built from godog's cucumber JSON and the verdict records and
// evidence the steps attach.
package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// Feature, Scenario, Step, Result, Tag and Embedding mirror the cucumber JSON that godog writes.
type Feature struct {
	URI         string     `json:"uri"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Tags        []Tag      `json:"tags"`
	Scenarios   []Scenario `json:"elements"`
}

type Scenario struct {
	ID      string `json:"id"`
	Keyword string `json:"keyword"`
	Name    string `json:"name"`
	Line    int    `json:"line"`
	Type    string `json:"type"`
	Tags    []Tag  `json:"tags"`
	Steps   []Step `json:"steps"`
}

type Step struct {
	Keyword    string      `json:"keyword"`
	Name       string      `json:"name"`
	Line       int         `json:"line"`
	Result     Result      `json:"result"`
	Embeddings []Embedding `json:"embeddings"`
}

type Result struct {
	Status   string `json:"status"` // passed, failed, skipped, undefined, pending, ambiguous
	Error    string `json:"error_message"`
	Duration int64  `json:"duration"` // nanoseconds
}

type Tag struct {
	Name string `json:"name"`
}

type Embedding struct {
	Name     string `json:"name"`
	MimeType string `json:"mime_type"`
	Data     []byte `json:"data"` // base64 in the file
}

// ReadCucumber reads a cucumber JSON report.
func ReadCucumber(path string) ([]Feature, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fs []Feature
	if err := json.Unmarshal(b, &fs); err != nil {
		return nil, fmt.Errorf("read cucumber report %s: %w", path, err)
	}
	return fs, nil
}

// Status of a scenario: the first failing, undefined or pending step decides it.
func (s Scenario) Status() string {
	status := "passed"
	for _, st := range s.Steps {
		switch st.Result.Status {
		case "failed", "ambiguous":
			return "failed"
		case "undefined", "pending":
			status = st.Result.Status
		case "skipped":
			if status == "passed" {
				status = "skipped"
			}
		}
	}
	if len(s.Steps) == 0 {
		return "undefined"
	}
	return status
}

// Duration is the sum of the scenario's step durations.
func (s Scenario) Duration() time.Duration {
	var d time.Duration
	for _, st := range s.Steps {
		d += time.Duration(st.Result.Duration)
	}
	return d
}

// Clauses are the scenario's clause tags (R-47, A2-T1, ...) without the "@".
func (s Scenario) Clauses() []string {
	var out []string
	for _, t := range s.Tags {
		if n := strings.TrimPrefix(t.Name, "@"); isClause(n) {
			out = append(out, n)
		}
	}
	return out
}

// isClause tells a clause tag from an area tag (sync, slow, role-sync-owner): a clause ID opens
// with a capital, as every profile's catalogue writes them (R-47, R-2.5, A1-T19, A5, L-2,
// EPGU-2.1.3, ESIA-B12); area tags are lower case.
func isClause(tag string) bool {
	return clauseTag.MatchString(tag)
}

var clauseTag = regexp.MustCompile(`^(R-[0-9]|A[1-9]|[A-Z][A-Z0-9]*-[0-9A-Z])`)
