package reports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Requirement is one entry of the traceability catalogue: a clause or appendix entry of the Rules.
type Requirement struct {
	ID       string // A1-T19, A2-T1, A6-S2
	Title    string // short, in English
	Testable bool   // by software; only testable entries count towards coverage
	Reason   string // why it is not testable
	// Titles and Reasons are Title and Reason in the catalogue's other languages, by language code
	// (ru, kk, be): the report shows them in the reader's language.
	Titles, Reasons map[string]string
}

// catalogueHeader is the header every catalogue opens with; title_xx,reason_xx pairs may follow,
// one per further language.
const catalogueHeader = "id,testable,title,reason"

// languageColumns reads the title_xx,reason_xx pairs after the four fixed columns of a header.
func languageColumns(header []string) ([]string, error) {
	var langs []string
	extra := header[4:]
	for i := 0; i < len(extra); i += 2 {
		lang, ok := strings.CutPrefix(extra[i], "title_")
		if !ok || lang == "" || i+1 == len(extra) || extra[i+1] != "reason_"+lang {
			return nil, fmt.Errorf("traceability catalogue: after %q the header takes pairs title_xx,reason_xx (xx a language code), not %q",
				catalogueHeader, strings.Join(extra, ","))
		}
		langs = append(langs, lang)
	}
	return langs, nil
}

// ParseCatalogue reads a profile's catalogue in the CSV form of fixtures/shep/traceability.csv: a
// header row "id,testable,title,reason" with a title_xx,reason_xx pair for each further language,
// then one entry per row; lines starting with # are comments. An entry needs its title in every
// language of the header, and its reason in every language where it has one in English.
func ParseCatalogue(r io.Reader) ([]Requirement, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("traceability catalogue: %w", err)
	}
	if len(rows) == 0 || len(rows[0]) < 4 || strings.Join(rows[0][:4], ",") != catalogueHeader {
		return nil, errors.New(`traceability catalogue: the first row must be the header "id,testable,title,reason"`)
	}
	langs, err := languageColumns(rows[0])
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Requirement
	for i, row := range rows[1:] {
		q := Requirement{ID: strings.TrimSpace(row[0]), Title: strings.TrimSpace(row[2]), Reason: strings.TrimSpace(row[3])}
		where := fmt.Sprintf("traceability catalogue, entry %d (%s)", i+1, q.ID)
		if err := q.translations(row, langs, where); err != nil {
			return nil, err
		}
		switch row[1] {
		case "yes":
			q.Testable = true
		case "no":
			if q.Reason == "" {
				return nil, fmt.Errorf("%s: testable is no but the reason column is empty; say why it cannot be tested by software", where)
			}
		default:
			return nil, fmt.Errorf("%s: testable is %q; write yes or no", where, row[1])
		}
		if !isClause(q.ID) || q.Title == "" {
			return nil, fmt.Errorf("%s: needs a clause ID (R-47, A1-T19 ...) and a title", where)
		}
		if seen[q.ID] {
			return nil, fmt.Errorf("%s: the ID is listed twice", where)
		}
		seen[q.ID] = true
		out = append(out, q)
	}
	return out, nil
}

// translations reads an entry's title and reason in the header's further languages.
func (q *Requirement) translations(row, langs []string, where string) error {
	if len(langs) == 0 {
		return nil
	}
	q.Titles, q.Reasons = map[string]string{}, map[string]string{}
	for i, lang := range langs {
		title, reason := strings.TrimSpace(row[4+2*i]), strings.TrimSpace(row[5+2*i])
		switch {
		case title == "":
			return fmt.Errorf("%s: title_%s is empty; translate the title %q", where, lang, q.Title)
		case (reason == "") != (q.Reason == ""):
			return fmt.Errorf("%s: reason_%s must be given exactly where reason is (reason %q, reason_%s %q)", where, lang, q.Reason, lang, reason)
		}
		q.Titles[lang] = title
		if reason != "" {
			q.Reasons[lang] = reason
		}
	}
	return nil
}

// Verdicts of a catalogue entry beyond the scenario statuses.
const (
	Uncovered   = "uncovered"    // testable, but no scenario of the run carries its tag
	NotTestable = "not-testable" // not testable by software and no scenario carries its tag
)

// subItem is the last sub-part of a clause ID: ".5" of, "(2)" of R-53(2).
var subItem = regexp.MustCompile(`(\.[0-9]+|\([0-9a-z]+\))$`)

// resolve finds the catalogue entry a clause tag counts for: the entry with the same ID, else the
// nearest listed parent (R-2.12 counts for R-2, R-53(2) for R-53). A bare appendix tag (A5)
// counts for that appendix's form (A5-F). A tag that resolves to nothing is returned as "".
func resolve(tag string, listed map[string]bool) string {
	for id := tag; id != ""; {
		if listed[id] {
			return id
		}
		loc := subItem.FindStringIndex(id)
		if loc == nil {
			break
		}
		id = id[:loc[0]]
	}
	if len(tag) == 2 && tag[0] == 'A' && listed[tag+"-F"] {
		return tag + "-F"
	}
	return ""
}
