package reports

import (
	"bytes"
	"compress/flate"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strconv"
	"strings"
)

var (
	packRE = regexp.MustCompile(`<script type="application/octet-stream" id="([^"]+)">([^<]*)</script>`)
	refRE  = regexp.MustCompile(`data-(z|text)="(\S+) (\d+)">`)
	trRE   = regexp.MustCompile(`data-tr="(\d+)"`)
)

// Unpack is a report as it would be written with nothing packed (see pack.go): every piece of
// HTML and every evidence text in its element, every translation inline (data-tr="{…}"), for
// what reads a report without a browser: a test that looks for what the reader sees, or for a
// password that must not be there.
func Unpack(page string) (string, error) {
	packs := map[string][]string{}
	for _, m := range packRE.FindAllStringSubmatch(page, -1) {
		raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(decode94(m[2]))))
		if err != nil {
			return "", fmt.Errorf("pack %s: %w", m[1], err)
		}
		packs[m[1]] = strings.Split(string(raw), "\x00")
	}
	var bad error
	// The scenarios' bodies first, then the evidence in them and in the failures.
	for _, kind := range []string{"z", "text"} {
		page = refRE.ReplaceAllStringFunc(page, func(ref string) string {
			m := refRE.FindStringSubmatch(ref)
			if m[1] != kind {
				return ref
			}
			list := packs[m[2]]
			n, err := strconv.Atoi(m[3])
			if err != nil || n >= len(list) {
				bad = fmt.Errorf("the page refers to a part it does not hold: %s", ref)
				return ref
			}
			if kind == "text" {
				return ref + template.HTMLEscapeString(list[n])
			}
			return ref + list[n]
		})
	}
	tr := packs["z-tr"]
	page = trRE.ReplaceAllStringFunc(page, func(attr string) string {
		i, _ := strconv.Atoi(trRE.FindStringSubmatch(attr)[1])
		if i >= len(tr) {
			bad = fmt.Errorf("the page refers to a translation it does not hold: %s", attr)
			return attr
		}
		return `data-tr="` + template.HTMLEscapeString(tr[i]) + `"`
	})
	return page, bad
}

// decode94 reverses encode94, as the page's script does.
func decode94(s string) []byte {
	out := make([]byte, 0, len(s)*7/8+1)
	acc, n, v := uint32(0), 0, -1 // v: the first digit of a pair read, or -1
	for i := 0; i < len(s); i++ {
		d := int(s[i]) - ' '
		if s[i] > '<' {
			d--
		}
		if v < 0 {
			v = d
			continue
		}
		v += d * 94
		acc |= uint32(v) << n
		if v&(1<<13-1) >= roomFor14 {
			n += 13
		} else {
			n += 14
		}
		for ; n > 7; n -= 8 {
			out = append(out, byte(acc))
			acc >>= 8
		}
		v = -1
	}
	if v >= 0 {
		out = append(out, byte(acc|uint32(v)<<n))
	}
	return out
}
