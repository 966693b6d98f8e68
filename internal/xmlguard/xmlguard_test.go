package xmlguard_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/xmlguard"
)

const envelopeStart = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`
const envelopeEnd = `</soap:Body></soap:Envelope>`

func wrap(inner string) []byte { return []byte(envelopeStart + inner + envelopeEnd) }

// attributeBomb is one element with n attributes: 1.3 MB at 100 000, the input that cost libxml2
// 35 s of CPU.
func attributeBomb(n int) []byte {
	var b strings.Builder
	b.WriteString("<a")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " a%d=\"\"", i)
	}
	b.WriteString("/>")
	return wrap(b.String())
}

func TestGuardRefusesEachLimit(t *testing.T) {
	nsDecls := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, ` xmlns:p%d="urn:%d"`, i, i)
		}
		return b.String()
	}
	cases := []struct {
		name, limit string
		doc         []byte
	}{
		{"attribute bomb", "MaxAttributesPerElement", attributeBomb(100_000)},
		{"deep nesting", "MaxDepth", wrap(strings.Repeat("<a>", 100_000) + strings.Repeat("</a>", 100_000))},
		{"huge text node", "MaxTextBytes", wrap("<a>" + strings.Repeat("A", 9<<20) + "</a>")},
		{"huge CDATA section", "MaxTextBytes", wrap("<a><![CDATA[" + strings.Repeat("A", 9<<20) + "]]></a>")},
		{"huge element name", "MaxNameBytes", wrap("<" + strings.Repeat("n", 100_000) + "/>")},
		{"huge attribute name", "MaxNameBytes", wrap(`<a ` + strings.Repeat("n", 100_000) + `="1"/>`)},
		{"huge attribute value", "MaxAttributeValueBytes", wrap(`<a b="` + strings.Repeat("v", 1<<20) + `"/>`)},
		{"too many elements", "MaxElements", wrap(strings.Repeat("<a/>", 200_000))},
		{"too many attributes", "MaxAttributes", wrap(manyAttributes())},
		{"too many comments", "MaxComments", wrap(strings.Repeat("<!---->", 2000))},
		{"too many processing instructions", "MaxProcessingInstructions", wrap(strings.Repeat("<?p?>", 200))},
		{"namespaces in scope", "MaxNamespacesInScope", wrap(strings.Repeat("<a"+nsDecls(100)+">", 2) + "</a></a>")},
		{"DTD", "DTD", []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`)},
		{"cut off in a start tag", "markup", []byte(`<soap:Envelope xmlns:soap="`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := xmlguard.Scan(c.doc)
			var v *xmlguard.Violation
			if !errors.As(err, &v) || v.Limit != c.limit {
				t.Fatalf("Scan = %v, want a violation of %s", err, c.limit)
			}
			if v.Fix.IsZero() || v.Reason.IsZero() || v.Line < 1 || v.Expected().IsZero() {
				t.Fatalf("violation %+v lacks its reason, fix or line", v)
			}
		})
	}
}

// manyAttributes is 1000 elements of 250 attributes: each element within its limit, the document not.
func manyAttributes() string {
	el := "<a" + strings.Repeat(` x=""`, 1)
	for i := 1; i < 250; i++ {
		el += fmt.Sprintf(` x%d=""`, i)
	}
	el += "/>"
	return strings.Repeat(el, 1000)
}

func TestGuardAcceptsOrdinaryMessages(t *testing.T) {
	docs := map[string][]byte{
		"signed envelope": []byte(`<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><wsse:Security xmlns:wsse="urn:wsse" soap:mustUnderstand="1"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature></wsse:Security></soap:Header>
<soap:Body xmlns:wsu="urn:wsu" wsu:Id="id-1"><ns2:SendMessage xmlns:ns2="urn:x"><request><data a='1' b = "x>y"><![CDATA[<not markup>]]><!-- a comment --><?pi data?></data></request></ns2:SendMessage></soap:Body></soap:Envelope>`),
		"at every limit": wrap(strings.Repeat("<a>", xmlguard.MaxDepth-2) + strings.Repeat("</a>", xmlguard.MaxDepth-2) +
			"<t>" + strings.Repeat("T", xmlguard.MaxTextBytes) + "</t>"),
		"empty": nil,
	}
	for name, doc := range docs {
		if err := xmlguard.Scan(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// BenchmarkScanAttributeBomb is the pre-scan of the 1.3 MB attribute bomb: refused in well under a
// millisecond, where libxml2 spent 35 s.
func BenchmarkScanAttributeBomb(b *testing.B) {
	doc := attributeBomb(100_000)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if xmlguard.Scan(doc) == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkScan10MB is the pre-scan of a 10 MB message of small elements, the most work Scan does.
func BenchmarkScan10MB(b *testing.B) {
	doc := wrap(strings.Repeat(`<i a="1">v</i>`, 99_000) + strings.Repeat(`<t>`+strings.Repeat("x", 1<<20)+`</t>`, 8))
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		_ = xmlguard.Scan(doc)
	}
}
