// Package schema validates messages against the channel schemas: XML envelopes against XSD through
// libxml2, REST bodies against JSON Schema through gojsonschema. It reports where a message breaks
// its schema (line, element path, what was expected); which rule of the Rules that breaks is the
// business of the caller, which knows the message tables.
package schema

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Kind says what sort of schema error a Violation is.
type Kind string

const (
	Syntax     Kind = "syntax"     // not well-formed, not parsable
	Missing    Kind = "missing"    // a required element or field is absent
	Unexpected Kind = "unexpected" // an element or field the schema does not allow here
	Value      Kind = "value"      // present, but of the wrong type or form
)

// Violation is one schema error.
type Violation struct {
	Kind Kind
	Line int
	// Path locates the element (XML, namespace prefixes removed: "Envelope/Body/SendMessage/request")
	// or the field (JSON: "request/requestInfo/serviceid") the engine reported the error on.
	Path string
	// Found is the element or field the error is about, when the engine named it.
	Found string
	// Expected lists what the schema wanted in its place, when the engine said.
	Expected []string
	// Message is the engine's own wording.
	Message string
}

func (v Violation) Error() string {
	if v.Path == "" {
		return fmt.Sprintf("line %d: %s", v.Line, v.Message)
	}
	return fmt.Sprintf("line %d: %s: %s", v.Line, v.Path, v.Message)
}

var (
	elementRE  = regexp.MustCompile(`^Element '(?:\{[^}]*\})?([^']+)'`)
	expectedRE = regexp.MustCompile(`Expected is (?:one of )?\( ([^)]*) \)`)
)

// normalised fills Kind, Found and Expected from libxml2's message and strips prefixes from Path.
func (v Violation) normalised() Violation {
	v.Message = strings.TrimSpace(v.Message)
	if v.Path != "" {
		parts := strings.Split(strings.Trim(v.Path, "/"), "/")
		for i, p := range parts {
			if j := strings.IndexByte(p, ':'); j >= 0 {
				parts[i] = p[j+1:]
			}
			if j := strings.IndexByte(parts[i], '['); j >= 0 {
				parts[i] = parts[i][:j]
			}
		}
		v.Path = strings.Join(parts, "/")
	}
	if m := elementRE.FindStringSubmatch(v.Message); m != nil {
		v.Found = m[1]
	}
	if m := expectedRE.FindStringSubmatch(v.Message); m != nil {
		for _, e := range strings.Split(m[1], ",") {
			e = strings.TrimSpace(e)
			if i := strings.LastIndexByte(e, '}'); i >= 0 {
				e = e[i+1:]
			}
			v.Expected = append(v.Expected, e)
		}
	}
	switch {
	case v.Path == "":
		v.Kind = Syntax
	case strings.Contains(v.Message, "Missing child element"):
		v.Kind = Missing
	case strings.Contains(v.Message, "not expected"), strings.Contains(v.Message, "No matching global element declaration"):
		v.Kind = Unexpected
	default:
		v.Kind = Value
	}
	return v
}

// XSD is a compiled XML Schema set, safe for concurrent use.
type XSD struct {
	compiled *cSchema
	opaque   string
}

// CompileXSD compiles the schema whose entry document is entry inside fsys. Documents that entry
// imports or includes are resolved inside fsys by their relative schemaLocation, also when it names
// a file in another script (Cyrillic file names of real services' schemas). Elements named
// opaque (unqualified) are business data: their content is not validated.
func CompileXSD(fsys fs.FS, entry, opaque string) (*XSD, error) {
	dir, err := os.MkdirTemp("", "shepconf-xsd-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := copySchemas(dir, fsys); err != nil {
		return nil, fmt.Errorf("copy schemas: %w", err)
	}
	s, err := compileXSD(filepath.Join(dir, filepath.FromSlash(entry)))
	if err != nil {
		return nil, err
	}
	return &XSD{compiled: s, opaque: opaque}, nil
}

// Validate returns the schema violations of doc; none means valid.
func (x *XSD) Validate(doc []byte) []Violation {
	violations, hasDTD := validateXSD(x.compiled, doc, x.opaque)
	if hasDTD {
		// SOAP 1.1 section 3: a SOAP message must not contain a document type declaration.
		violations = append([]Violation{{Kind: Syntax, Line: 1,
			Message: "a document type declaration (DTD) is not allowed in a SOAP message"}}, violations...)
	}
	return violations
}
