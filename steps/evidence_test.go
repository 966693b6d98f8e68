package steps

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/reports"
)

// A verdict and a failed step's error carry their texts in every language of the catalogue, so
// the report explains a failure in Russian and Kazakh too.
func TestEvidenceCarriesEveryLanguage(t *testing.T) {
	var e Evidence
	err := e.Check("R-6", msg.F("a service in the service registry"), msg.F("none"), false)
	var b *rule.Breach
	if !errors.As(err, &b) || b.Rule != "R-6" {
		t.Fatalf("a failed check must return its breach, got %v", err)
	}
	e.explain(err)
	if len(e.items) != 2 || e.items[0].MediaType != reports.CheckMediaType || e.items[1].MediaType != reports.FailureMediaType {
		t.Fatalf("want a check record and a failure record, got %d items", len(e.items))
	}
	var c reports.Check
	if err := json.Unmarshal(e.items[0].Body, &c); err != nil {
		t.Fatal(err)
	}
	var failure map[string]string
	if err := json.Unmarshal(e.items[1].Body, &failure); err != nil {
		t.Fatal(err)
	}
	for _, lang := range msg.Languages {
		if c.ExpectedIn[lang] == "" || c.ExpectedIn[lang] == c.Expected || c.ObservedIn[lang] == c.Observed {
			t.Errorf("%s: the check record's texts are not translated: %q / %q", lang, c.ExpectedIn[lang], c.ObservedIn[lang])
		}
		if failure[lang] == "" || failure[lang] == failure["en"] {
			t.Errorf("%s: the failure is not explained in the language: %q", lang, failure[lang])
		}
	}
	if failure["en"] != err.Error() {
		t.Errorf("the English failure %q must be the step's error %q", failure["en"], err.Error())
	}
	e.explain(nil)
	if len(e.items) != 2 {
		t.Error("a step that passed has no failure record")
	}
}
