package features

import (
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"
	"gopkg.in/yaml.v3"
)

// TranslationsFile is where a suite keeps its scenarios' names and steps in the report's other
// languages, beside its feature files.
const TranslationsFile = "i18n.yaml"

// Translations are a suite's texts in other languages: the English text as the feature files
// write it → language code → translation. Keying by the text itself means a renamed scenario or
// a reworded step has no translation until one is written for its new text, which the suites'
// completeness test reports, rather than keeping a translation of what it no longer says.
type Translations map[string]map[string]string

// ReadTranslations reads a suite's TranslationsFile.
func ReadTranslations(suite fs.FS) (Translations, error) {
	raw, err := fs.ReadFile(suite, TranslationsFile)
	if err != nil {
		return nil, err
	}
	var t Translations
	if err := yaml.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", TranslationsFile, err)
	}
	return t, nil
}

// Texts are the texts of a suite a reader of its report sees, as its feature files write them:
// feature names and descriptions, scenario names, the steps (of backgrounds too), each once, in
// the order they first appear. A scenario outline's placeholders (<kind>) are kept; the Examples
// cells that are prose (IsProse) are texts of their own.
func Texts(suite fs.FS) ([]string, error) {
	files, err := fs.Glob(suite, "*.feature")
	if err != nil {
		return nil, err
	}
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	steps := func(ss []*messages.Step) {
		for _, st := range ss {
			add(st.Text)
		}
	}
	for _, name := range files {
		raw, err := fs.ReadFile(suite, name)
		if err != nil {
			return nil, err
		}
		n := 0
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(raw), func() string { n++; return fmt.Sprint(n) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if doc.Feature == nil {
			continue
		}
		add(doc.Feature.Name)
		add(Description(doc.Feature.Description))
		for _, c := range doc.Feature.Children {
			switch {
			case c.Background != nil:
				steps(c.Background.Steps)
			case c.Scenario != nil:
				add(c.Scenario.Name)
				steps(c.Scenario.Steps)
				for _, ex := range c.Scenario.Examples {
					for _, row := range ex.TableBody {
						for _, cell := range row.Cells {
							if IsProse(cell.Value) {
								add(cell.Value)
							}
						}
					}
				}
			}
		}
	}
	return out, nil
}

// IsProse says an Examples cell is words a reader reads ("no response sample", "kept"), which
// the report shows in its language where the cell fills an outline's placeholder, rather than a
// value or identifier ("OWN_SERVICE", "45", "SCE004").
func IsProse(cell string) bool {
	return strings.Contains(strings.TrimSpace(cell), " ") || prose.MatchString(cell)
}

var prose = regexp.MustCompile(`^[a-z]+$`)

// Description is a feature's description as the report shows it: its lines joined by spaces.
func Description(d string) string {
	return strings.Join(strings.Fields(d), " ")
}
