package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/xeipuuv/gojsonschema"
)

// JSON is a compiled JSON Schema, safe for concurrent use.
type JSON struct{ schema *gojsonschema.Schema }

// CompileJSON compiles the JSON Schema at path inside fsys.
func CompileJSON(fsys fs.FS, path string) (*JSON, error) {
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, err
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(b))
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", path, err)
	}
	return &JSON{schema: s}, nil
}

// Validate returns the schema violations of doc; none means valid. Paths use "/" between fields
// ("request/requestInfo/serviceid"), as the XML side does.
func (j *JSON) Validate(doc []byte) []Violation {
	var syntax *json.SyntaxError
	if err := json.Unmarshal(doc, new(any)); errors.As(err, &syntax) {
		return []Violation{{Kind: Syntax, Line: lineAt(doc, syntax.Offset), Message: "not valid JSON: " + err.Error()}}
	} else if err != nil {
		return []Violation{{Kind: Syntax, Line: 1, Message: "not valid JSON: " + err.Error()}}
	}
	res, err := j.schema.Validate(gojsonschema.NewBytesLoader(doc))
	if err != nil {
		return []Violation{{Kind: Syntax, Line: 1, Message: err.Error()}}
	}
	lines := jsonLines(doc)
	var out []Violation
	for _, e := range res.Errors() {
		field := strings.ReplaceAll(e.Field(), ".", "/")
		if field == "(root)" {
			field = ""
		}
		property, _ := e.Details()["property"].(string)
		v := Violation{Kind: Value, Path: field, Message: e.Description(), Line: lines[field]}
		switch e.Type() {
		case "required":
			v.Kind, v.Expected = Missing, []string{property}
		case "additional_property_not_allowed":
			v.Kind, v.Found = Unexpected, property
			v.Path = strings.TrimPrefix(field+"/"+property, "/")
			v.Line = lines[v.Path]
		default:
			v.Found = field[strings.LastIndexByte(field, '/')+1:]
		}
		if v.Line == 0 {
			v.Line = 1
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Line < out[b].Line })
	return out
}

// jsonLines maps each field path of doc to the line its key stands on.
func jsonLines(doc []byte) map[string]int {
	lines := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(doc))
	var walk func(path string)
	walk = func(path string) {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		delim, ok := tok.(json.Delim)
		if !ok {
			return
		}
		for i := 0; dec.More(); i++ {
			key := strconv.Itoa(i)
			if delim == '{' {
				k, err := dec.Token()
				if err != nil {
					return
				}
				key, _ = k.(string)
			}
			p := strings.TrimPrefix(path+"/"+key, "/")
			lines[p] = lineAt(doc, dec.InputOffset())
			walk(p)
		}
		_, _ = dec.Token() // the closing delimiter
	}
	walk("")
	return lines
}

func lineAt(doc []byte, offset int64) int {
	if offset > int64(len(doc)) {
		offset = int64(len(doc))
	}
	return 1 + bytes.Count(doc[:offset], []byte("\n"))
}
