package rule

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shepconf/shepconf/internal/msg"
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
	b := &Breach{Rule: "SMDO-SIGN", Observed: msg.Raw(strings.Repeat("x", 5000))}
	c := b.Bounded(100)
	if c == b || len(c.Observed.String()) > 100 || len(b.Observed.String()) != 5000 || c.Rule != "SMDO-SIGN" {
		t.Fatalf("Bounded changed the original or kept the text: %d, %d", len(c.Observed.String()), len(b.Observed.String()))
	}
	if (*Breach)(nil).Bounded(10) != nil || (*Breach)(nil).Clone() != nil {
		t.Fatal("nil must stay nil")
	}
}

func TestBreachReadsInTheReadersLanguage(t *testing.T) {
	b := &Breach{Rule: "R-6", Line: 3, Field: msg.Raw("request/serviceId"), Expected: msg.F("a value"), Observed: msg.F("empty"), Fix: msg.F("pass %s", "--owner")}
	if got := b.Error(); got != "line 3: request/serviceId: breaks R-6: expected a value; observed empty. Fix: pass --owner" {
		t.Fatalf("Error() = %q", got)
	}
	if got := b.Text().In("ru"); got == b.Error() || !strings.Contains(got, "R-6") || !strings.Contains(got, "request/serviceId") || !strings.Contains(got, "--owner") {
		t.Fatalf("in Russian the breach reads %q: its words translated, its rule, field and values kept", got)
	}
}
