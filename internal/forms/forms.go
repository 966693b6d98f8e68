// Package forms holds the documents of the integration procedures as typed Go values: Appendix 2
// (requirements for interaction with the service, with its two performance tables), Appendix 3
// (application for publishing a service), Appendix 4 (act of testing and commissioning) and
// Appendix 5 (application for connection to a service). Validate names the form, the field number as
// the form prints it and the rule; the Rules define no field types or mandatory fields, so which
// fields are required is stated here next to each check.
package forms

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/shepconf/shepconf/internal/rule"
)

// Problems are every breach found in one document; nil when it is valid.
type Problems []*rule.Breach

func (p Problems) Error() string {
	parts := make([]string, len(p))
	for i, b := range p {
		parts[i] = b.Error()
	}
	return strings.Join(parts, "; ")
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

// checker gathers the problems of one form.
type checker struct {
	form string // "A3-F"
	p    Problems
}

func (c *checker) add(field, ruleID, expected, observed, fix string) {
	if ruleID == "" {
		ruleID = c.form
	}
	c.p = append(c.p, &rule.Breach{Rule: ruleID, Field: c.form + " field " + field, Expected: expected, Observed: observed, Fix: fix})
}

// required: the field must be filled.
func (c *checker) required(field, value, ruleID string) {
	if strings.TrimSpace(value) == "" {
		c.add(field, ruleID, "a value", "empty", "fill in field "+field)
	}
}

var iinBIN = regexp.MustCompile(`^[0-9]{12}$`)

// identifier: an IIN or BIN is 12 digits.
func (c *checker) identifier(field, value string) {
	switch {
	case value == "":
		c.required(field, value, "")
	case !iinBIN.MatchString(value):
		c.add(field, "", "an IIN/BIN of 12 digits", fmt.Sprintf("%q", value), "enter the 12-digit IIN or BIN")
	}
}

func (c *checker) port(field, value string) {
	if value == "" {
		return
	}
	if n, err := strconv.Atoi(value); err != nil || n < 1 || n > 65535 {
		c.add(field, "", "a TCP port 1-65535", fmt.Sprintf("%q", value), "enter the port number")
	}
}

func (c *checker) url(field, value, ruleID string) {
	if value == "" {
		c.required(field, value, ruleID)
		return
	}
	if u, err := url.Parse(value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.add(field, ruleID, "an http or https URL", fmt.Sprintf("%q", value), "enter the full URL of the service")
	}
}

func (c *checker) mode(field string, m Mode) {
	switch m {
	case Sync, Async, REST:
	default:
		c.add(field, "", "sync, async or rest", fmt.Sprintf("%q", m), "state the interaction mode")
	}
}
