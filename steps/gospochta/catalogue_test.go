package gospochta_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/features"
	"github.com/shepconf/shepconf/steps/gospochta"
)

// Every scenario names at least one clause of the profile's catalogue, every tag that looks like a
// clause is in it, and every testable clause is proved by some scenario: a renamed clause or an
// untagged scenario would silently leave the traceability matrix wrong.
func TestScenariosAndCatalogueAgree(t *testing.T) {
	catalogue, err := gospochta.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	known, covered := map[string]bool{}, map[string]bool{}
	for _, r := range catalogue {
		known[r.ID] = true
	}
	files, err := fs.Glob(features.Gospochta, "*.feature")
	if err != nil || len(files) == 0 {
		t.Fatalf("no feature files: %v", err)
	}
	for _, name := range files {
		b, err := fs.ReadFile(features.Gospochta, name)
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
					if !strings.HasPrefix(id, "GP-") {
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
