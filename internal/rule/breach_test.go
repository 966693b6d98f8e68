package rule

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCutKeepsRunesWhole(t *testing.T) {
	s := strings.Repeat("я", 100) // 200 bytes
	got := Cut(s, 50)
	if len(got) > 50 || !utf8.ValidString(got) || !strings.HasSuffix(got, "(200 bytes)") {
		t.Fatalf("Cut = %q (%d bytes)", got, len(got))
	}
	if Cut("short", 50) != "short" || !strings.HasSuffix(Cut(s, 3), "(200 bytes)") {
		t.Fatal("a short text must stay, a tiny limit still says the length")
	}
}

func TestBoundedCopies(t *testing.T) {
	b := &Breach{Rule: "SMDO-SIGN", Observed: strings.Repeat("x", 5000)}
	c := b.Bounded(100)
	if c == b || len(c.Observed) > 100 || len(b.Observed) != 5000 || c.Rule != "SMDO-SIGN" {
		t.Fatalf("Bounded changed the original or kept the text: %d, %d", len(c.Observed), len(b.Observed))
	}
	if (*Breach)(nil).Bounded(10) != nil || (*Breach)(nil).Clone() != nil {
		t.Fatal("nil must stay nil")
	}
}
