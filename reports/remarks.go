package reports

import "encoding/json"

// Remark is something a scenario met that the real gateway is known to tolerate but the Rules do
// not ask for (RSA-SHA1, a signed wsu:Timestamp, a plain Id on the Body). The scenario still
// passes and the run can be CONFORMANT: the report lists remarks apart from failures, with the
// reason, so that the agency can prefer what the Rules ask for.
type Remark struct {
	Code   string `json:"code"`   // stable identifier, e.g. "rsa-sha1"
	Rule   string `json:"rule"`   // the clause the remark is about
	Reason string `json:"reason"` // why it is a remark and not a failure, and what to prefer
	// ReasonIn is Reason by language code, for a report read in Russian or Kazakh.
	ReasonIn map[string]string `json:"reason_in,omitempty"`
}

// RemarkMediaType marks remarks among a step's attachments, as CheckMediaType marks verdicts.
const RemarkMediaType = "application/vnd.shepconf.remark+json"

// ScenarioRemark is a remark with the scenario that met it.
type ScenarioRemark struct {
	Feature  string `json:"feature"`
	Scenario string `json:"scenario"`
	Remark
}

// Remarks are each scenario's remarks, in the order of the run, once per code and scenario.
func Remarks(feats []Feature) []ScenarioRemark {
	var out []ScenarioRemark
	for _, f := range feats {
		for _, sc := range f.Scenarios {
			for _, r := range sc.Remarks() {
				out = append(out, ScenarioRemark{Feature: f.Name, Scenario: sc.Name, Remark: r})
			}
		}
	}
	return out
}

// Remarks are the remarks attached to the scenario's steps, once per code.
func (s Scenario) Remarks() []Remark {
	var out []Remark
	seen := map[string]bool{}
	for _, st := range s.Steps {
		for _, e := range st.Embeddings {
			var r Remark
			if e.MimeType != RemarkMediaType || json.Unmarshal(e.Data, &r) != nil || seen[r.Code] {
				continue
			}
			seen[r.Code] = true
			out = append(out, r)
		}
	}
	return out
}
