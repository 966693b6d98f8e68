// Package stepstest holds the checks every bus profile's suite tests make of its scenarios, its
// catalogue and its reports, and the helpers they run the suite with (run.go).
package stepstest

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/reports"
)

// ScenariosAndCatalogueAgree checks that every scenario of suite names at least one clause of
// catalogue (a tag "@<prefix>…"), that every such tag is in it, and that every testable clause is
// proved by some scenario: a renamed clause or an untagged scenario would silently leave the
// traceability matrix wrong.
func ScenariosAndCatalogueAgree(t *testing.T, suite fs.FS, catalogue []reports.Requirement, prefix string) {
	t.Helper()
	known, covered := map[string]bool{}, map[string]bool{}
	for _, r := range catalogue {
		known[r.ID] = true
	}
	files, err := fs.Glob(suite, "*.feature")
	if err != nil || len(files) == 0 {
		t.Fatalf("no feature files: %v", err)
	}
	for _, name := range files {
		b, err := fs.ReadFile(suite, name)
		if err != nil {
			t.Fatal(err)
		}
		var tags []string
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, "@"):
				tags = append(tags, strings.Fields(line)...)
			case strings.HasPrefix(line, "Scenario"):
				var clauses int
				for _, tag := range tags {
					id := strings.TrimPrefix(tag, "@")
					if !strings.HasPrefix(id, prefix) {
						continue
					}
					if !known[id] {
						t.Errorf("%s: %q tags %s, which the catalogue does not list", name, line, tag)
					}
					covered[id] = true
					clauses++
				}
				if clauses == 0 {
					t.Errorf("%s: %q carries no clause tag", name, line)
				}
				tags = nil
			case strings.HasPrefix(line, "Feature"):
				tags = nil // a feature's tags are its role, not clauses
			}
		}
	}
	for _, r := range catalogue {
		if r.Testable && !covered[r.ID] {
			t.Errorf("%s is testable but no scenario proves it", r.ID)
		}
	}
}

// TagsAreChecked checks that a clause a scenario is tagged with (a tag "@<prefix>…") is judged in
// it: the report credits the tag, so a tag without a check of its rule would count a clause as
// proved that nothing looked at.
func TagsAreChecked(t *testing.T, feats []reports.Feature, prefix string) {
	t.Helper()
	for _, f := range feats {
		for _, sc := range f.Scenarios {
			checked := map[string]bool{}
			for _, st := range sc.Steps {
				for _, e := range st.Embeddings {
					var c reports.Check
					if e.MimeType == reports.CheckMediaType && json.Unmarshal(e.Data, &c) == nil {
						checked[c.Rule] = true
					}
				}
			}
			for _, tag := range sc.Tags {
				if id := strings.TrimPrefix(tag.Name, "@"); strings.HasPrefix(id, prefix) && !checked[id] {
					t.Errorf("%q is tagged %s, but none of its steps checks that rule", sc.Name, tag.Name)
				}
			}
		}
	}
}

// Failures lists the failed steps' errors, a line each: "<scenario>: <error>".
func Failures(feats []reports.Feature) string {
	var b strings.Builder
	for _, f := range feats {
		for _, sc := range f.Scenarios {
			for _, st := range sc.Steps {
				if st.Result.Error != "" {
					b.WriteString(sc.Name + ": " + st.Result.Error + "\n")
				}
			}
		}
	}
	return b.String()
}
