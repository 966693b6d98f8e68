// Package xmlguard bounds the work a document can cost a parser before any parser sees it. Scan is
// one pass over the bytes, linear in their length, with memory bounded by MaxDepth: it counts what
// makes libxml2 and the Go tree parsers slow or large (attributes per element, long names, deep
// nesting, huge text, many nodes, namespaces in scope) and refuses a DTD outright, so entities
// cannot be declared or expanded.
//
// Scan does not check well-formedness: the schema validation after it does. A document that is not
// well-formed is parsed by libxml2 only up to its first error, and up to there Scan has seen exactly
// what libxml2 sees, so the limits hold for every byte libxml2 reads.
package xmlguard

import (
	"bytes"

	"github.com/shepconf/shepconf/internal/msg"
)

// The limits. Each sits far above what a message of the Rules holds and, where libxml2 has a
// hard-coded cap of its own, below it, so that the refusal names a limit and its fix rather than
// quoting a parser error.
const (
	// MaxAttributesPerElement: libxml2 2.9 checks a start tag's attributes for duplicates pairwise,
	// so the cost grows with the square of their number (100 000 attributes on one element cost 35 s
	// of CPU). SOAP and WS-Security elements carry fewer than 20, namespace declarations included.
	MaxAttributesPerElement = 256
	// MaxAttributes bounds the attributes of the whole document: every one is a node in each tree
	// built from the message (libxml2's, then the Go parsers').
	MaxAttributes = 200_000
	// MaxElements bounds the nodes of the trees built after authentication: about 1 KB of memory per
	// element over the parses of an exchange, so 100 000 elements cost about 100 MB at most.
	MaxElements = 100_000
	// MaxDepth is libxml2's own nesting limit (xmlParserMaxDepth, 256); the Go tree walks recurse on
	// it too. An envelope nests 6 levels before business data starts.
	MaxDepth = 256
	// MaxNameBytes bounds an element or attribute name, prefix included (libxml2 stops at 50 000);
	// the names of the Rules are under 40 bytes.
	MaxNameBytes = 1024
	// MaxTextBytes bounds one text node or CDATA section: below libxml2's own 10 000 000 bytes
	// (XML_MAX_TEXT_LENGTH), with room for the envelope around it in a message of at most 10 MiB.
	MaxTextBytes = 8 << 20
	// MaxAttributeValueBytes bounds one attribute value: identifiers, namespace names and algorithm
	// URIs are short; certificates and signatures travel as element text.
	MaxAttributeValueBytes = 64 << 10
	// MaxNamespacesInScope bounds the namespace declarations in scope at any element: libxml2 2.9
	// looks prefixes up by a linear search of them, for every element and attribute name.
	MaxNamespacesInScope = 128
	// MaxComments and MaxProcessingInstructions bound nodes that carry nothing for the gateway;
	// inside a signed Body neither is allowed at all, since the signature does not cover them.
	MaxComments               = 1000
	MaxProcessingInstructions = 100
)

// Violation is a document that breaks a limit (or holds a DTD, or is cut off inside markup). It
// names the limit, what was found where, and the fix, for the refusal the gateway sends.
type Violation struct {
	Limit    string // the constant broken, e.g. "MaxAttributesPerElement"; "DTD" or "markup" otherwise
	Max      int    // the limit's value (0 for DTD and markup)
	Line     int    // 1-based line of the offending construct
	Observed msg.Text
	Reason   msg.Text
	Fix      msg.Text
}

func (v *Violation) Error() string { return v.Text().String() }

// Text is the violation as a message, rendered in a report's language.
func (v *Violation) Text() msg.Text {
	if v.Max == 0 {
		return msg.F("line %d: %s (%s)", v.Line, v.Observed, v.Reason)
	}
	return msg.F("line %d: %s; the limit is %d (%s: %s)", v.Line, v.Observed, v.Max, v.Limit, v.Reason)
}

// Expected states the limit as a rule breach's expectation.
func (v *Violation) Expected() msg.Text {
	switch v.Limit {
	case "DTD":
		return msg.F("an XML document without a document type declaration (no DTD, no entity declarations)")
	case "markup":
		return msg.F("markup that is closed before the document ends")
	}
	return msg.F("an XML document within the gateway's parser limits: %s = %d (%s)", v.Limit, v.Max, v.Reason)
}

type scanner struct {
	doc        []byte
	elements   int
	attributes int
	comments   int
	pis        int
	scope      []int // namespace declarations in scope, per open element
	inScope    int
}

// Scan checks doc against the limits and returns nil or a *Violation.
func Scan(doc []byte) error {
	s := &scanner{doc: doc}
	return s.run()
}

func (s *scanner) run() error {
	d := s.doc
	i := 0
	for i < len(d) {
		lt := bytes.IndexByte(d[i:], '<')
		if lt < 0 {
			lt = len(d) - i
		}
		if lt > MaxTextBytes {
			return s.violate(i, "MaxTextBytes", MaxTextBytes, msg.F("a text node of %d bytes", lt),
				msg.F("one text node is held whole by every parser"), msg.F("send large content in several elements, or a smaller message"))
		}
		i += lt
		if i >= len(d) {
			return nil
		}
		var err error
		switch rest := d[i:]; {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i, err = s.comment(i)
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i, err = s.cdata(i)
		case bytes.HasPrefix(rest, []byte("<!")):
			return &Violation{Limit: "DTD", Line: s.line(i), Observed: msg.F("a declaration %.20q", msg.Head(rest, 20)),
				Reason: msg.F("a DTD can declare entities that expand without bound or read files (XXE)"),
				Fix:    msg.F("send the document without <!DOCTYPE ...> or other declarations")}
		case bytes.HasPrefix(rest, []byte("<?")):
			i, err = s.pi(i)
		case bytes.HasPrefix(rest, []byte("</")):
			i, err = s.endTag(i)
		default:
			i, err = s.startTag(i)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *scanner) comment(i int) (int, error) {
	end := bytes.Index(s.doc[i+4:], []byte("-->"))
	if end < 0 {
		return 0, s.unclosed(i, msg.F("a comment"))
	}
	if s.comments++; s.comments > MaxComments {
		return 0, s.violate(i, "MaxComments", MaxComments, msg.F("more than %d comments", MaxComments),
			msg.F("every comment is a node of each tree"), msg.F("leave comments out of messages"))
	}
	return i + 4 + end + 3, nil
}

func (s *scanner) cdata(i int) (int, error) {
	const open = len("<![CDATA[")
	end := bytes.Index(s.doc[i+open:], []byte("]]>"))
	if end < 0 {
		return 0, s.unclosed(i, msg.F("a CDATA section"))
	}
	if end > MaxTextBytes {
		return 0, s.violate(i, "MaxTextBytes", MaxTextBytes, msg.F("a CDATA section of %d bytes", end),
			msg.F("one text node is held whole by every parser"), msg.F("send large content in several elements, or a smaller message"))
	}
	return i + open + end + 3, nil
}

func (s *scanner) pi(i int) (int, error) {
	end := bytes.Index(s.doc[i+2:], []byte("?>"))
	if end < 0 {
		return 0, s.unclosed(i, msg.F("a processing instruction"))
	}
	target := s.doc[i+2 : i+2+nameEnd(s.doc[i+2:i+2+end])]
	if len(target) > MaxNameBytes {
		return 0, s.longName(i, msg.F("a processing instruction target"), len(target))
	}
	// The XML declaration looks like a processing instruction but is not one.
	if !(i == 0 && string(target) == "xml") {
		if s.pis++; s.pis > MaxProcessingInstructions {
			return 0, s.violate(i, "MaxProcessingInstructions", MaxProcessingInstructions,
				msg.F("more than %d processing instructions", MaxProcessingInstructions),
				msg.F("every processing instruction is a node of each tree"), msg.F("leave processing instructions out of messages"))
		}
	}
	return i + 2 + end + 2, nil
}

func (s *scanner) endTag(i int) (int, error) {
	end := bytes.IndexByte(s.doc[i:], '>')
	if end < 0 {
		return 0, s.unclosed(i, msg.F("an end tag"))
	}
	if n := nameEnd(s.doc[i+2 : i+end]); n > MaxNameBytes {
		return 0, s.longName(i, msg.F("an element name"), n)
	}
	if len(s.scope) > 0 {
		s.inScope -= s.scope[len(s.scope)-1]
		s.scope = s.scope[:len(s.scope)-1]
	}
	return i + end + 1, nil
}

// startTag reads <name attr="value" ...> or <name .../>: its name, each attribute and its value.
func (s *scanner) startTag(i int) (int, error) {
	d := s.doc
	start := i
	i++
	n := nameEnd(d[i:])
	if n > MaxNameBytes {
		return 0, s.longName(start, msg.F("an element name"), n)
	}
	name := d[i : i+n]
	i += n
	if s.elements++; s.elements > MaxElements {
		return 0, s.violate(start, "MaxElements", MaxElements, msg.F("more than %d elements", MaxElements),
			msg.F("every element is a node of each tree built after authentication"), msg.F("send fewer elements, or split the content over several messages"))
	}
	if len(s.scope)+1 > MaxDepth {
		return 0, s.violate(start, "MaxDepth", MaxDepth, msg.F("element <%.40s> nested %d deep", msg.Head(name, 40), len(s.scope)+1),
			msg.F("libxml2 stops at this depth, and the tree walks recurse on it"), msg.F("nest elements less deeply"))
	}
	attrs, decls := 0, 0
	for {
		i = skipSpace(d, i)
		if i >= len(d) {
			return 0, s.unclosed(start, msg.F("a start tag"))
		}
		switch {
		case d[i] == '>':
			s.scope = append(s.scope, decls)
			return i + 1, nil
		case d[i] == '/' && i+1 < len(d) && d[i+1] == '>':
			s.inScope -= decls // an empty element closes at once
			return i + 2, nil
		}
		an := nameEnd(d[i:])
		if an == 0 {
			return 0, s.malformed(start, msg.F("in start tag <%.40s>, %.20q where an attribute was expected", msg.Head(name, 40), msg.Head(d[i:], 20)))
		}
		if an > MaxNameBytes {
			return 0, s.longName(start, msg.F("an attribute name"), an)
		}
		attr := d[i : i+an]
		i = skipSpace(d, i+an)
		if i >= len(d) || d[i] != '=' {
			return 0, s.malformed(start, msg.F("in start tag <%.40s>, attribute %.40s without a value", msg.Head(name, 40), msg.Head(attr, 40)))
		}
		i = skipSpace(d, i+1)
		if i >= len(d) || (d[i] != '"' && d[i] != '\'') {
			return 0, s.malformed(start, msg.F("in start tag <%.40s>, attribute %.40s without a quoted value", msg.Head(name, 40), msg.Head(attr, 40)))
		}
		end := bytes.IndexByte(d[i+1:], d[i])
		if end < 0 {
			return 0, s.unclosed(start, msg.F("an attribute value"))
		}
		if end > MaxAttributeValueBytes {
			return 0, s.violate(start, "MaxAttributeValueBytes", MaxAttributeValueBytes,
				msg.F("attribute %.40s of <%.40s> with a value of %d bytes", msg.Head(attr, 40), msg.Head(name, 40), end),
				msg.F("attribute values are identifiers and URIs"), msg.F("carry large content as element text"))
		}
		i += 1 + end + 1
		if attrs++; attrs > MaxAttributesPerElement {
			return 0, s.violate(start, "MaxAttributesPerElement", MaxAttributesPerElement,
				msg.F("element <%.40s> with more than %d attributes", msg.Head(name, 40), MaxAttributesPerElement),
				msg.F("libxml2 compares a start tag's attributes pairwise"), msg.F("use fewer attributes per element"))
		}
		if s.attributes++; s.attributes > MaxAttributes {
			return 0, s.violate(start, "MaxAttributes", MaxAttributes, msg.F("more than %d attributes in the document", MaxAttributes),
				msg.F("every attribute is a node of each tree"), msg.F("use fewer attributes"))
		}
		if bytes.Equal(attr, []byte("xmlns")) || bytes.HasPrefix(attr, []byte("xmlns:")) {
			decls++
			if s.inScope++; s.inScope > MaxNamespacesInScope {
				return 0, s.violate(start, "MaxNamespacesInScope", MaxNamespacesInScope,
					msg.F("more than %d namespace declarations in scope at <%.40s>", MaxNamespacesInScope, msg.Head(name, 40)),
					msg.F("libxml2 searches the declarations in scope for every prefixed name"), msg.F("declare fewer namespaces"))
			}
		}
	}
}

func (s *scanner) violate(at int, limit string, max int, observed, reason, fix msg.Text) *Violation {
	return &Violation{Limit: limit, Max: max, Line: s.line(at), Observed: observed, Reason: reason, Fix: fix}
}

func (s *scanner) longName(at int, what msg.Text, n int) *Violation {
	return s.violate(at, "MaxNameBytes", MaxNameBytes, msg.F("%s of %d bytes", what, n),
		msg.F("names are held and compared by every parser"), msg.F("use names of ordinary length"))
}

func (s *scanner) unclosed(at int, what msg.Text) *Violation {
	return &Violation{Limit: "markup", Line: s.line(at), Observed: msg.F("the document ends inside %s", what),
		Reason: msg.F("a document cut off in its markup is not well-formed XML"), Fix: msg.F("send the whole message")}
}

func (s *scanner) malformed(at int, observed msg.Text) *Violation {
	return &Violation{Limit: "markup", Line: s.line(at), Observed: observed,
		Reason: msg.F("the start tag is not well-formed XML"), Fix: msg.F("write attributes as name=\"value\"")}
}

// line is computed only for a refusal, so the scan itself stays one pass.
func (s *scanner) line(at int) int { return bytes.Count(s.doc[:at], []byte("\n")) + 1 }

// nameEnd is the length of the name at the start of b: up to white space, '=', '/', '>' or '?'.
func nameEnd(b []byte) int {
	for i, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', '=', '/', '>', '?', '<', '"', '\'':
			return i
		}
	}
	return len(b)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}
