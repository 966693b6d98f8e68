package msg

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// withCatalogue swaps in a catalogue for one test.
func withCatalogue(t *testing.T, c map[string]map[string]string) {
	t.Helper()
	saved := catalogue
	catalogue = c
	t.Cleanup(func() { catalogue = saved })
}

func TestTextRendersInTheReadersLanguage(t *testing.T) {
	withCatalogue(t, map[string]map[string]string{
		"ru": {"%d answers from %s": "от %[2]s ответов: %[1]d", "the owner": "владелец", "refused: %w": "отказано: %w"},
		"kk": {},
	})
	text := F("%d answers from %s", 3, F("the owner"))
	if got := text.String(); got != "3 answers from the owner" {
		t.Fatalf("English = %q", got)
	}
	if got := text.In("ru"); got != "от владелец ответов: 3" {
		t.Fatalf("Russian = %q: the nested text and the reordered verbs must both be rendered", got)
	}
	if got := text.In("kk"); got != "3 answers from the owner" {
		t.Fatalf("a language without the message must fall back to English, got %q", got)
	}
	err := Errorf("refused: %w", errors.New("connection reset"))
	if got := Of(err).In("ru"); got != "отказано: connection reset" || err.Error() != "refused: connection reset" {
		t.Fatalf("Errorf: %q / %q", Of(err).In("ru"), err.Error())
	}
	if got := F("100%% of %s", Raw("50%")).In("ru"); got != "100% of 50%" {
		t.Fatalf("percent signs: %q", got)
	}
	if got := F("all").In("ru"); got != "all" {
		t.Fatalf("a message without parameters: %q", got)
	}
	if got := Join([]Text{F("the owner"), Raw("x%y")}, "; ").In("ru"); got != "владелец; x%y" {
		t.Fatalf("Join = %q", got)
	}
}

func TestErrorfWrapsItsErrors(t *testing.T) {
	base := errors.New("timeout")
	err := Errorf("the owner did not answer: %w", base)
	if !errors.Is(err, base) {
		t.Fatal("errors.Is must find the wrapped error")
	}
	if errors.Is(Errorf("the owner did not answer: %v", base), base) {
		t.Fatal("a parameter given by verb v must not be wrapped")
	}
	if Of(nil).IsZero() != true || Of(base).String() != "“timeout”" {
		t.Fatal("Of: nil is empty, a plain error is its message quoted")
	}
}

func TestCutBoundsQuotedValues(t *testing.T) {
	long := strings.Repeat("x", 500)
	cut := func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	}
	got := F("sent %s and %d", long, 7).Cut(10, cut).String()
	if got != "sent xxxxxxxxxx and 7" {
		t.Fatalf("Cut = %q", got)
	}
	if Raw(long).Cut(10, cut).String() != long[:10] {
		t.Fatal("a raw text is cut too")
	}
}

func TestTextsStoreAsEnglish(t *testing.T) {
	withCatalogue(t, map[string]map[string]string{"ru": {"the owner": "владелец", "after %d attempts": "после %d попыток"}, "kk": {}})
	var known Text
	if err := known.UnmarshalText([]byte("the owner")); err != nil || known.In("ru") != "владелец" {
		t.Fatalf("a stored message without parameters must read back translatable, got %q", known.In("ru"))
	}
	b, _ := F("after %d attempts", 5).MarshalText()
	var back Text
	if err := back.UnmarshalText(b); err != nil || back.String() != "after 5 attempts" || string(b) != "after 5 attempts" {
		t.Fatalf("stored %q, read back %q", b, back.String())
	}
}

func TestVerbs(t *testing.T) {
	if got := strings.Join(verbs("%[2]s of %d, 100%%, %q %5.1f"), " "); got != "%5.1f %d %q %s" {
		t.Fatalf("verbs = %q", got)
	}
}

// The embedded catalogue reads, and each of its languages has entries.
func TestCatalogueReads(t *testing.T) {
	c, err := Read(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages {
		if len(c[lang]) == 0 {
			t.Errorf("%s.yaml is empty", lang)
		}
	}
	if _, err := fs.ReadFile(files, "ru.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestHeadCopiesWholeRunes(t *testing.T) {
	doc := []byte("яблоко" + strings.Repeat("x", 1000))
	got := Head(doc, 3)
	if got != "ябл" {
		t.Fatalf("Head = %q", got)
	}
	doc[0] = 'Z'
	if got != "ябл" || Head(doc[:2], 5) != string(doc[:2]) {
		t.Fatal("Head must copy, and stop at the end of a short input")
	}
}
