// Package forms holds the documents of the integration procedures as typed Go values: Appendix 2
// (requirements for interaction with the service, with its two performance tables), Appendix 3
// (application for publishing a service), Appendix 4 (act of testing and commissioning) and
// Appendix 5 (application for connection to a service). Validate names the form, the field number as
// the form prints it and the rule; the Rules define no field types or mandatory fields, so which
// fields are required is stated here next to each check.
package forms

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// Problems are every breach found in one document; nil when it is valid.
type Problems []*rule.Breach

func (p Problems) Error() string { return p.Text().String() }

// Text is every breach, one after the other, in the reader's language.
func (p Problems) Text() msg.Text {
	parts := make([]msg.Text, len(p))
	for i, b := range p {
		parts[i] = b.Text()
	}
	return msg.Join(parts, "; ")
}

// Err returns p as an error, or nil when there is no problem.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// Mode is the interaction mode of a service (A2 field 5, A3 field 23, A5 field 25).
type Mode string

const (
	Sync  Mode = "sync"
	Async Mode = "async"
	REST  Mode = "rest"
)

// Field is field n of a form as a finding names it, "A3-F field 22": the form's code and the
// field's number as the form prints it.
func Field(form, n string) msg.Text { return msg.F("%s field %s", form, n) }

// field is a field of a form as a finding names it: the breach's Field, given the form ("A3-F field
// 22"), and the fix that asks for it when it is empty ("fill in field 22"). Most fields are a
// number as the form prints it (number); the others are worded in full, each in its own message,
// so that every language can decline them.
type field struct {
	of   func(form string) msg.Text
	fill msg.Text
}

// number is field n, "22" or "3.2".
func number(n string) field {
	return field{of: func(form string) msg.Text { return Field(form, n) }, fill: msg.F("fill in field %s", n)}
}

// serviceField is field n of the i-th service an act lists (A4-F 3.1, 3.2), from 1.
func serviceField(n string, i int) field {
	return field{of: func(form string) msg.Text { return msg.F("%s field %s (service %d)", form, n, i) },
		fill: msg.F("fill in field %s (service %d)", n, i)}
}

// verdictField is the verdict of the run recorded in field n (A4-F 4).
func verdictField(n string) field {
	return field{of: func(form string) msg.Text { return msg.F("%s field %s (verdict)", form, n) },
		fill: msg.F("fill in field %s (verdict)", n)}
}

// fieldRange is the fields from first to last, which the form fills together (a VPN phase).
func fieldRange(first, last int) field {
	return field{of: func(form string) msg.Text { return msg.F("%s field %d-%d", form, first, last) },
		fill: msg.F("fill in field %d-%d", first, last)}
}

// eitherField is fields a and b, one of which must be filled (A3-F 24/25).
func eitherField(a, b string) field {
	return field{of: func(form string) msg.Text { return msg.F("%s field %s/%s", form, a, b) }}
}

// The findings about no numbered field of the form.
var (
	// conditionsField is the acceptance of the integration conditions, which the portal records
	// with the form.
	conditionsField = field{of: func(form string) msg.Text { return msg.F("%s field (conditions)", form) }}
	// categoryField is the owner's declaration of a clause-3 category.
	categoryField = field{of: func(form string) msg.Text { return msg.F("%s field (clause 3 category)", form) }}
)

// checker gathers the problems of one form.
type checker struct {
	form string // "A3-F"
	p    Problems
}

// add is a breach of rule ruleID (the form itself when empty) in field n.
func (c *checker) add(n, ruleID string, expected, observed, fix msg.Text) {
	c.addAt(number(n), ruleID, expected, observed, fix)
}

// addAt is a breach of rule ruleID (the form itself when empty) in field f.
func (c *checker) addAt(f field, ruleID string, expected, observed, fix msg.Text) {
	if ruleID == "" {
		ruleID = c.form
	}
	c.p = append(c.p, &rule.Breach{Rule: ruleID, Field: f.of(c.form), Expected: expected, Observed: observed, Fix: fix})
}

// required: field n must be filled.
func (c *checker) required(n, value, ruleID string) { c.requiredAt(number(n), value, ruleID) }

// requiredAt: field f must be filled.
func (c *checker) requiredAt(f field, value, ruleID string) {
	if strings.TrimSpace(value) == "" {
		c.addAt(f, ruleID, msg.F("a value"), msg.F("empty"), f.fill)
	}
}

var iinBIN = regexp.MustCompile(`^[0-9]{12}$`)

// identifier: an IIN or BIN is 12 digits.
func (c *checker) identifier(n, value string) {
	switch {
	case value == "":
		c.required(n, value, "")
	case !iinBIN.MatchString(value):
		c.add(n, "", msg.F("an IIN/BIN of 12 digits"), msg.F("%q", value), msg.F("enter the 12-digit IIN or BIN"))
	}
}

func (c *checker) port(n, value string) {
	if value == "" {
		return
	}
	if p, err := strconv.Atoi(value); err != nil || p < 1 || p > 65535 {
		c.add(n, "", msg.F("a TCP port 1-65535"), msg.F("%q", value), msg.F("enter the port number"))
	}
}

func (c *checker) url(n, value, ruleID string) {
	if value == "" {
		c.required(n, value, ruleID)
		return
	}
	if u, err := url.Parse(value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.add(n, ruleID, msg.F("an http or https URL"), msg.F("%q", value), msg.F("enter the full URL of the service"))
	}
}

func (c *checker) mode(n string, m Mode) {
	switch m {
	case Sync, Async, REST:
	default:
		c.add(n, "", msg.F("sync, async or rest"), msg.F("%q", m), msg.F("state the interaction mode"))
	}
}
