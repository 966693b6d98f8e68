// Package rule holds what the harness takes from the Rules themselves: the typed breach of a rule
// (clause or table row, expected, observed, fix) and the Rules' numeric limits, each defined once next
// to its clause ID.
package rule

import (
	"fmt"
	"unicode/utf8"

	"github.com/shepconf/shepconf/internal/msg"
)

// Breach is one broken rule: which clause or table row, which field, what was expected and what was
// observed, and what the sender should change. A gateway fault, a journal entry and a report line are
// all rendered from the same Breach, so they never disagree.
type Breach struct {
	Rule     string   // clause or table row: "R-6", "A1-T19 row 6", "A2-T1 row 1"
	Field    msg.Text // element or field path on the wire (msg.Raw), or a form's field, when the breach is about one
	Line     int      // line in the message, when known
	Expected msg.Text
	Observed msg.Text
	Note     msg.Text // context a tester needs: a known difference between the Rules and the wire, a time scale
	Fix      msg.Text
}

// Error is the breach in English, as logs and the wire carry it.
func (b *Breach) Error() string { return b.Text().String() }

// Text is the breach as one message, rendered in a report's language: "line L: field: breaks R:
// expected E; observed O. Note. Fix: F".
func (b *Breach) Text() msg.Text {
	parts := make([]msg.Text, 0, 6)
	if b.Line > 0 {
		parts = append(parts, msg.F("line %d: ", b.Line))
	}
	if !b.Field.IsZero() {
		parts = append(parts, msg.F("%s: ", b.Field))
	}
	parts = append(parts, msg.F("breaks %s: expected %s; observed %s", b.Rule, b.Expected, b.Observed))
	if !b.Note.IsZero() {
		parts = append(parts, msg.F(". %s", b.Note))
	}
	if !b.Fix.IsZero() {
		parts = append(parts, msg.F(". Fix: %s", b.Fix))
	}
	return msg.Join(parts, "")
}

// Bounded is a copy of b whose texts hold at most limit bytes each (Cut): a breach quoting what a
// client sent, kept in a simulator's log.
func (b *Breach) Bounded(limit int) *Breach {
	if b == nil {
		return nil
	}
	c := *b
	c.Field, c.Expected, c.Observed, c.Note, c.Fix = c.Field.Cut(limit, Cut), c.Expected.Cut(limit, Cut), c.Observed.Cut(limit, Cut), c.Note.Cut(limit, Cut), c.Fix.Cut(limit, Cut)
	return &c
}

// Clone is a copy of b (nil stays nil).
func (b *Breach) Clone() *Breach {
	if b == nil {
		return nil
	}
	c := *b
	return &c
}

// Cut cuts s to at most limit bytes on a rune boundary, saying how long it was.
func Cut(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	tail := fmt.Sprintf("… (%d bytes)", len(s))
	cut := max(limit-len(tail), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}
