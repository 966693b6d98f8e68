package reports

import (
	"strings"
	"testing"
)

// Every fixed label of the page has its text in every language the page may offer, and a run
// offers English with its own languages only: a Belarusian reader of an SMDO report is not offered
// Kazakh, in which its steps were never written.
func TestLabelsInEveryLanguage(t *testing.T) {
	d := dictionary()
	for key, s := range ui {
		for i, lang := range []string{"en", "ru", "kk"} {
			if strings.TrimSpace(s[i]) == "" {
				t.Errorf("label %q has no %s text", key, lang)
			}
		}
		if d["be"][key] == "" {
			t.Errorf("label %q has no Belarusian text (uiBelarusian)", key)
		}
	}
	for key := range uiBelarusian {
		if _, ok := ui[key]; !ok {
			t.Errorf("uiBelarusian has %q, which no label has", key)
		}
	}
	codes := func(ls []language) string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Code)
		}
		return strings.Join(out, ",")
	}
	for run, want := range map[string]string{"": "en,ru,kk", "ru": "en,ru", "ru,be": "en,ru,be"} {
		var langs []string
		if run != "" {
			langs = strings.Split(run, ",")
		}
		if got := codes(offered(langs)); got != want {
			t.Errorf("a run in %q offers %s, want %s", run, got, want)
		}
	}
}
