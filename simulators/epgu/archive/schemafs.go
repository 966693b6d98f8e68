package archive

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/shepconf/shepconf/internal/schema"
)

// schemaLocationAttr finds schemaLocation="…" (either quote) in a schema document.
var schemaLocationAttr = regexp.MustCompile(`(schemaLocation\s*=\s*)("[^"]*"|'[^']*')`)

// compileService compiles entry from the service's folder. Real services name their schema files
// in Cyrillic (SFR: ЗДП_2016-04-15.xsd imports ../ТипыВЗЛ_2014-01-01.xsd), and libxml2 2.9 does not
// even open an import whose schemaLocation holds raw non-ASCII characters: it drops the import
// silently and the compile fails on unresolved types. Percent-encoding those characters in every
// schemaLocation (a copy in a temporary folder; the service's files are not changed) makes libxml2
// load the very same files.
func compileService(fsys fs.FS, entry string) (*schema.XSD, error) {
	if _, err := fs.Stat(fsys, entry); err != nil {
		return nil, fmt.Errorf("%s: %w", entry, err)
	}
	dir, err := os.MkdirTemp("", "shepconf-epgu-service-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !strings.EqualFold(path.Ext(p), ".xsd") {
			return nil // only schemas are needed to compile
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, encodeSchemaLocations(data), 0o644)
	})
	if err != nil {
		return nil, fmt.Errorf("read the service's schemas: %w", err)
	}
	return schema.CompileXSD(os.DirFS(dir), entry, "")
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
