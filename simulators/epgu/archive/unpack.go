package archive

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// entry is one file of the archive, unpacked.
type entry struct {
	name string
	data []byte
}

// unpack reads a flat archive of plain files (EPGU-2.1.3: "the archive must not contain nested
// archives or folders"), refusing what could harm whoever unpacks it: names leaving the folder,
// more than max bytes unpacked, more than MaxFiles entries. Any refusal is INVALID_FILES_STRUCTURE.
func unpack(raw []byte, max int64) ([]entry, []string, *rule.Breach) {
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return nil, nil, structure("the archive", msg.F("a zip archive (PKZIP, deflate or store)"),
			msg.F("not a readable zip: %v", err), msg.F("send the order's files packed as one .zip archive"))
	}
	if len(zr.File) == 0 {
		return nil, nil, structure("the archive", msg.F("the files of the order"), msg.F("an archive with no file"),
			msg.F("pack the transport file, the business file and their signatures into the archive"))
	}
	if len(zr.File) > MaxFiles {
		return nil, nil, structure("the archive", msg.F("at most %d files (the simulator's limit)", MaxFiles),
			msg.F("%d entries", len(zr.File)), msg.F("send only the files the service's specification names"))
	}
	var (
		entries []entry
		names   []string
		seen    = map[string]bool{}
		total   int64
	)
	for _, f := range zr.File {
		names = append(names, f.Name)
		if b := badName(f.Name); b != nil {
			return nil, names, b
		}
		if seen[f.Name] {
			return nil, names, structure(f.Name, msg.F("every file once"), msg.F("the name %s twice", quote(f.Name)),
				msg.F("keep one file of each name: the portal cannot tell which one is meant"))
		}
		seen[f.Name] = true
		if f.Flags&0x1 != 0 {
			return nil, names, structure(f.Name, msg.F("plain files"), msg.F("an encrypted entry"), msg.F("pack the file without a password"))
		}
		// The header's sizes are only claims: the bytes actually inflated are counted against max.
		if total+int64(f.UncompressedSize64) > max || f.UncompressedSize64 > uint64(max) {
			return nil, names, bomb(f.Name, max)
		}
		data, err := read(f, max-total)
		if errors.Is(err, errTooLarge) {
			return nil, names, bomb(f.Name, max)
		}
		if err != nil {
			return nil, names, structure(f.Name, msg.F("a readable entry (deflate or store)"), msg.Of(err),
				msg.F("pack the archive again with a standard zip tool, deflate or store compression"))
		}
		total += int64(len(data))
		if kind := nestedArchive(f.Name, data); !kind.IsZero() {
			return nil, names, structure(f.Name, msg.F("plain files, no nested archive"),
				msg.F("a nested archive (%s)", kind), msg.F("put the files of %s directly into the order's archive", quote(f.Name)))
		}
		entries = append(entries, entry{name: f.Name, data: data})
	}
	return entries, names, nil
}

var errTooLarge = errors.New("entry larger than the archive's limit")

func read(f *zip.File, budget int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, budget+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > budget {
		return nil, errTooLarge
	}
	return data, nil
}

func bomb(name string, max int64) *rule.Breach {
	return structure(name, msg.F("an archive that unpacks to at most %d bytes (the simulator's limit against zip bombs)", max),
		msg.F("more than that once unpacked"), msg.F("send the files the service names, without padding; a large order is sent in chunks, not inflated"))
}

// badName refuses folders and names that would escape the folder the archive is unpacked into
// (zip-slip): separators, "..", absolute and drive paths, control characters.
func badName(name string) *rule.Breach {
	fix := msg.F("put every file at the top of the archive, named as the service's specification names it")
	switch {
	case name == "" || name == "." || name == "..":
		return structure(quote(name), msg.F("a file name"), msg.F("an empty or dot name"), fix)
	case strings.HasSuffix(name, "/"):
		return structure(name, msg.F("a flat archive: files only, no folder"), msg.F("the folder %s", quote(name)), fix)
	case strings.ContainsAny(name, `/\`) || (len(name) > 1 && name[1] == ':'):
		what := msg.F("a file inside a folder: %s", quote(name))
		if path.IsAbs(name) || strings.HasPrefix(name, `\`) || strings.Contains(name, "..") || (len(name) > 1 && name[1] == ':') {
			what = msg.F("a path leaving the archive's folder: %s", quote(name))
		}
		return structure(name, msg.F("a flat archive: plain file names"), what, fix)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return structure(quote(name), msg.F("a file name of printable characters"), msg.F("a control character in the name"), fix)
		}
	}
	return nil
}

// nestedArchive names the archive format of a file by its name or, whatever its name, its first
// bytes (the zero text when it is none). Office documents (OOXML, ODF) are zip containers but
// documents, not archives.
func nestedArchive(name string, data []byte) msg.Text {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp":
		return msg.Text{}
	case ".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".cab", ".arj", ".jar":
		return msg.F("%s file", ext)
	}
	for _, m := range []struct {
		magic []byte
		kind  string
	}{
		{[]byte("PK\x03\x04"), "zip"}, {[]byte("PK\x05\x06"), "zip"}, {[]byte("Rar!\x1a\x07"), "rar"},
		{[]byte("7z\xbc\xaf\x27\x1c"), "7z"}, {[]byte{0x1f, 0x8b, 0x08}, "gzip"},
		{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, "xz"},
	} {
		if bytes.HasPrefix(data, m.magic) {
			return msg.F("%s content", m.kind)
		}
	}
	if len(data) >= 10 && string(data[:3]) == "BZh" && string(data[4:10]) == "\x31\x41\x59\x26\x53\x59" {
		return msg.F("%s content", "bzip2")
	}
	if len(data) > 262 && string(data[257:262]) == "ustar" {
		return msg.F("%s content", "tar")
	}
	return msg.Text{}
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// structure is an INVALID_FILES_STRUCTURE breach of the archive rules of 2.1.3.
func structure(field string, expected, observed, fix msg.Text) *rule.Breach {
	return &rule.Breach{Rule: ruleArchive, Field: msg.Raw(field), Expected: expected, Observed: observed,
		Note: statusNote(InvalidFilesStructure), Fix: fix}
}

// statusNote names the status Appendix 1 (ruleStatuses) gives a breach.
func statusNote(status string) msg.Text { return msg.F("status %s (%s)", status, ruleStatuses) }
