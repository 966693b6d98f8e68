package reports

import (
	"html/template"
	"regexp"
	"strings"
)

// Texts are a suite's own texts in other languages (features.Translations): the English text as
// the feature files write it → language code → translation. A scenario outline's text keeps its
// placeholders (<kind>), which the report fills from the scenario as it ran.
type Texts map[string]map[string]string

// placeholder is a scenario outline's <name>.
var placeholder = regexp.MustCompile(`<[^<>\s]+>`)

// textTranslator finds the translations of a text as the report shows it: by the text itself, or
// by the outline text it was filled in from.
type textTranslator struct {
	exact    Texts
	outlines []outlineText
	// shapes are the texts with their quoted values taken out, for a text shown with other
	// values than the feature file's: a password the report redacts.
	shapes map[string]shapedText
}

type shapedText struct {
	values []string // the quoted values of the English text, in order
	by     map[string]string
}

// quotedValue is a step's quoted parameter ("R-0001").
var quotedValue = regexp.MustCompile(`"[^"]*"`)

func shapeOf(s string) string { return quotedValue.ReplaceAllString(s, `""`) }

type outlineText struct {
	match *regexp.Regexp
	names []string // the placeholders, in order
	by    map[string]string
}

func newTextTranslator(t Texts) textTranslator {
	tt := textTranslator{exact: t, shapes: map[string]shapedText{}}
	for en, by := range t {
		if values := quotedValue.FindAllString(en, -1); len(values) > 0 {
			tt.shapes[shapeOf(en)] = shapedText{values: values, by: by}
		}
		names := placeholder.FindAllString(en, -1)
		if len(names) == 0 {
			continue
		}
		parts := placeholder.Split(en, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		tt.outlines = append(tt.outlines, outlineText{match: regexp.MustCompile("^" + strings.Join(parts, "(.*?)") + "$"), names: names, by: by})
	}
	return tt
}

// lookup gives the translations of s by language, or nil.
func (tt textTranslator) lookup(s string) map[string]string {
	if by, ok := tt.exact[s]; ok {
		return by
	}
	for _, o := range tt.outlines {
		m := o.match.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		filled := map[string]string{}
		for lang, tr := range o.by {
			for i, name := range o.names {
				value := m[i+1]
				if v := tt.exact[value][lang]; v != "" { // an Examples cell of words (features.IsProse)
					value = v
				}
				tr = strings.ReplaceAll(tr, name, value)
			}
			filled[lang] = tr
		}
		return filled
	}
	if sh, ok := tt.shapes[shapeOf(s)]; ok {
		values := quotedValue.FindAllString(s, -1)
		filled := map[string]string{}
		for lang, tr := range sh.by {
			for i, v := range sh.values {
				tr = strings.Replace(tr, v, values[i], 1)
			}
			filled[lang] = tr
		}
		return filled
	}
	return nil
}

// Text renders one of the suite's texts (a feature's name or description, a scenario's name, a
// step) for the page's language switch.
func (v view) Text(s string) (template.HTML, error) {
	return v.Tr(s, v.texts.lookup(s))
}

// RoleScenario renders a line of a role's scenarios, "status: feature / scenario" (steps.CountRole),
// with its status and names in the page's language.
func (v view) RoleScenario(line string) (template.HTML, error) {
	st, names, ok := strings.Cut(line, ": ")
	feature, scenario, ok2 := strings.Cut(names, " / ")
	if !ok || !ok2 {
		return v.Text(line)
	}
	parts := make([]template.HTML, 3)
	var err error
	if parts[0], err = status(st); err != nil {
		return "", err
	}
	if parts[1], err = v.Text(feature); err != nil {
		return "", err
	}
	if parts[2], err = v.Text(scenario); err != nil {
		return "", err
	}
	return parts[0] + " " + parts[1] + " / " + parts[2], nil
}

// In is the suite's texts in lang: a feature's or scenario's name as features.Translations gives
// it (an outline's name filled in), or "" where it has none.
func (t Texts) In(lang string) func(string) string {
	tt := newTextTranslator(t)
	return func(s string) string { return tt.lookup(s)[lang] }
}
