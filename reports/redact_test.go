package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/redact"
)

// the report redacts again what a cucumber JSON still carries (one written before redaction, or
// by another tool): evidence, checks, errors and the step's own text.
func TestReportShowsNoPassword(t *testing.T) {
	check, _ := json.Marshal(Check{Rule: "R-53", Expected: "no password forwarded to the owner", Observed: `password "leaked-1"`})
	feats := []Feature{{Name: "The synchronous channel", Scenarios: []Scenario{{Name: "A request is answered", Tags: []Tag{{Name: "@R-53"}}, Steps: []Step{
		{Keyword: "Given ", Name: `the system "A" is registered with the password "leaked-2"`, Result: Result{Status: "passed"}},
		{Keyword: "When ", Name: `"A" sends a request`, Result: Result{Status: "failed", Error: `observed password "leaked-3"`},
			Embeddings: []Embedding{
				{Name: "request.xml", MimeType: "application/xml", Data: []byte(`<r><password>leaked-4</password></r>`)},
				{Name: "request.json", MimeType: "application/json", Data: []byte(`{"password":"leaked-5"}`)},
				{Name: "check R-53", MimeType: CheckMediaType, Data: check},
			}},
	}}}}}
	var b bytes.Buffer
	if err := WriteHTML(&b, Run{Features: feats}); err != nil {
		t.Fatal(err)
	}
	page := Unpacked(t, b.String()) // the evidence is packed: look at it as the reader sees it
	if strings.Contains(page, "leaked") {
		i := strings.Index(page, "leaked")
		t.Errorf("the report shows a password: …%s…", page[max(0, i-80):i+20])
	}
	if !strings.Contains(page, redact.Placeholder) {
		t.Error("the report does not show that a password was sent")
	}
}
