package archive

import (
	"fmt"
	"io/fs"

	"github.com/shepconf/shepconf/internal/schema"
)

// compileService compiles entry from the service's folder (internal/schema resolves imports whose
// schemaLocation names files in Cyrillic, as real services' schemas do).
func compileService(fsys fs.FS, entry string) (*schema.XSD, error) {
	if _, err := fs.Stat(fsys, entry); err != nil {
		return nil, fmt.Errorf("%s: %w", entry, err)
	}
	return schema.CompileXSD(fsys, entry, "")
}
