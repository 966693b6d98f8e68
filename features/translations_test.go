package features_test

import (
	"io/fs"
	"regexp"
	"slices"
	"testing"

	"github.com/shepconf/shepconf/features"
)

// The languages each suite's readers work in: the Rules' Kazakh and Russian for ShEP, Russian for
// EPGU and Gospochta, Russian and Belarusian for SMDO.
var suites = map[string]struct {
	fs    fs.FS
	langs []string
}{
	"shep":      {features.Shep, []string{"ru", "kk"}},
	"epgu":      {features.EPGU, []string{"ru"}},
	"gospochta": {features.Gospochta, []string{"ru"}},
	"smdo":      {features.SMDO, []string{"ru", "be"}},
}

var (
	placeholders = regexp.MustCompile(`<[^<>\s]+>`)
	quoted       = regexp.MustCompile(`"[^"]*"`)
)

// Every name and step a suite's report shows has its translation in each of the suite's languages,
// keeping the outline's placeholders and the quoted values (identifiers, codes) as they are; a
// translation of a text no feature has any more fails too, so that a renamed scenario or a
// reworded step is translated anew rather than shown in English or with a stale text.
func TestEveryTextIsTranslated(t *testing.T) {
	for name, s := range suites {
		texts, err := features.Texts(s.fs)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := features.ReadTranslations(s.fs)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, en := range texts {
			for _, lang := range s.langs {
				got := tr[en][lang]
				switch {
				case got == "":
					t.Errorf("%s/%s: no %s translation of %q", name, features.TranslationsFile, lang, en)
				case !slices.Equal(sorted(placeholders.FindAllString(en, -1)), sorted(placeholders.FindAllString(got, -1))):
					t.Errorf("%s/%s: the %s translation of %q does not keep its placeholders: %q", name, features.TranslationsFile, lang, en, got)
				}
				for _, q := range quoted.FindAllString(en, -1) {
					if got != "" && !regexp.MustCompile(regexp.QuoteMeta(q)).MatchString(got) {
						t.Errorf("%s/%s: the %s translation of %q lacks the value %s: %q", name, features.TranslationsFile, lang, en, q, got)
					}
				}
			}
		}
		for en := range tr {
			if !slices.Contains(texts, en) {
				t.Errorf("%s/%s: %q is translated, but no feature of the suite says it any more", name, features.TranslationsFile, en)
			}
		}
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
