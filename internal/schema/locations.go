package schema

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// schemaLocationAttr finds schemaLocation="…" (either quote) in a schema document.
var schemaLocationAttr = regexp.MustCompile(`(schemaLocation\s*=\s*)("[^"]*"|'[^']*')`)

// copySchemas copies fsys into dir for libxml2, which reads schemas from files. libxml2 does not even
// open an import or include whose schemaLocation holds raw non-ASCII characters (real services name
// their schema files in Cyrillic: ЗДП_2016-04-15.xsd imports ../ТипыВЗЛ_2014-01-01.xsd): it drops
// it silently and the compile fails on unresolved types. The copies of the schema documents carry
// their schemaLocations percent-encoded, which makes libxml2 load the very same files.
func copySchemas(dir string, fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if strings.EqualFold(path.Ext(p), ".xsd") {
			data = encodeSchemaLocations(data)
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// encodeSchemaLocations percent-encodes the non-ASCII bytes (and spaces) of every schemaLocation.
func encodeSchemaLocations(doc []byte) []byte {
	return schemaLocationAttr.ReplaceAllFunc(doc, func(m []byte) []byte {
		sub := schemaLocationAttr.FindSubmatch(m)
		var b strings.Builder
		b.Write(sub[1])
		for _, c := range sub[2] {
			if c >= 0x80 || c == ' ' {
				fmt.Fprintf(&b, "%%%02X", c)
				continue
			}
			b.WriteByte(c)
		}
		return []byte(b.String())
	})
}
