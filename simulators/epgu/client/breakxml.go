package client

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/shepconf/shepconf/internal/schema"
)

// businessFile is the submission's business XML: BusinessFile, else the first XML file other than
// the transport file req.xml.
func businessFile(s Submission, files map[string][]byte) string {
	if _, ok := files[s.BusinessFile]; ok {
		return s.BusinessFile
	}
	names := make([]string, 0, len(files))
	for n := range files {
		if strings.HasSuffix(n, ".xml") && n != "req.xml" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// span is the bytes of one element, its tags included.
type span struct{ start, end int64 }

// breakXML removes an element from doc (the invalid-xml defect): the first child of the root, or
// of a child of the root, whose removal the schema reports; without a schema the root's first
// child. A root without children gets an element it cannot expect.
func breakXML(doc []byte, x interface {
	Validate([]byte) []schema.Violation
}) ([]byte, error) {
	children, grandchildren, rootEnd, err := elements(doc)
	if err != nil {
		return nil, err
	}
	candidates := append(children, grandchildren...)
	for _, c := range candidates {
		broken := append(append([]byte{}, doc[:c.start]...), doc[c.end:]...)
		if x == nil || len(x.Validate(broken)) > 0 {
			return broken, nil
		}
	}
	return append(append(append([]byte{}, doc[:rootEnd]...), "<shepconfUnexpected/>"...), doc[rootEnd:]...), nil
}

// elements finds the elements at depth 2 and 3 and where the root's end tag starts.
func elements(doc []byte) (children, grandchildren []span, rootEnd int64, err error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var open []int64 // start offsets of the open elements
	for {
		before := d.InputOffset()
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, 0, fmt.Errorf("not well-formed: %w", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			open = append(open, before)
		case xml.EndElement:
			if len(open) == 0 {
				return nil, nil, 0, fmt.Errorf("not well-formed: an end tag without a start")
			}
			s := span{open[len(open)-1], d.InputOffset()}
			switch len(open) {
			case 1:
				rootEnd = before
			case 2:
				children = append(children, s)
			case 3:
				grandchildren = append(grandchildren, s)
			}
			open = open[:len(open)-1]
		}
	}
	if rootEnd == 0 {
		return nil, nil, 0, fmt.Errorf("no root element")
	}
	return children, grandchildren, rootEnd, nil
}
