// Package rule holds what the harness takes from the Rules themselves: the typed breach of a rule
// (clause or table row, expected, observed, fix) and the Rules' numeric limits, each defined once next
// to its clause ID.
package rule

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Breach is one broken rule: which clause or table row, which field, what was expected and what was
// observed, and what the sender should change. A gateway fault, a journal entry and a report line are
// all rendered from the same Breach, so they never disagree.
type Breach struct {
	Rule     string // clause or table row: "R-6", "A1-T19 row 6", "A2-T1 row 1"
	Field    string // element or field path on the wire, when the breach is about one
	Line     int    // line in the message, when known
	Expected string
	Observed string
	Note     string // context a tester needs: a known difference between the Rules and the wire, a time scale
	Fix      string
}

func (b *Breach) Error() string {
	var s strings.Builder
	if b.Line > 0 {
		fmt.Fprintf(&s, "line %d: ", b.Line)
	}
	if b.Field != "" {
		fmt.Fprintf(&s, "%s: ", b.Field)
	}
	fmt.Fprintf(&s, "breaks %s: expected %s; observed %s", b.Rule, b.Expected, b.Observed)
	if b.Note != "" {
		fmt.Fprintf(&s, ". %s", b.Note)
	}
	if b.Fix != "" {
		fmt.Fprintf(&s, ". Fix: %s", b.Fix)
	}
	return s.String()
}

// Bounded is a copy of b whose texts hold at most limit bytes each (Cut): a breach quoting what a
// client sent, kept in a simulator's log.
func (b *Breach) Bounded(limit int) *Breach {
	if b == nil {
		return nil
	}
	c := *b
	c.Field, c.Expected, c.Observed, c.Note, c.Fix = Cut(c.Field, limit), Cut(c.Expected, limit), Cut(c.Observed, limit), Cut(c.Note, limit), Cut(c.Fix, limit)
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
