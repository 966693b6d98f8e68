package client

import (
	"archive/zip"
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// buildArchive zips files flat, in name order (EPGU-2.1.3: no folders in the archive; a folder ends
// the order in INVALID_FILES_STRUCTURE of EPGU-A1).
func buildArchive(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		if n == "" || strings.ContainsAny(n, `/\`) {
			return nil, &rule.Breach{Rule: "EPGU-2.1.3", Field: msg.Raw("archive"), Expected: msg.F("a flat archive: file names without folders"),
				Observed: msg.F("file name %q", n), Fix: msg.F("name the file without a folder")}
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("archive: no files")
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			return nil, fmt.Errorf("archive: %s: %w", n, err)
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, fmt.Errorf("archive: %s: %w", n, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return buf.Bytes(), nil
}
