// Package redact removes secrets from text that is kept or shown: a password element or field, an
// HTTP Authorization value, a Bearer token, Basic credentials. R-53: a password authenticates a
// system at the gateway, so neither the journal, the evidence of a run nor its report may
// show one; they keep the element, field or header, to show that a secret was sent, without its value.
package redact

import (
	"bytes"
	"regexp"
)

// Placeholder stands where a secret was.
const Placeholder = "[redacted]"

// A pattern's one capture group is the secret; the rest of the match (tags, key, header, scheme) is
// kept. Each pattern holds its keyword, lower case, so text without it is not scanned: most text
// (answers, certificates, journal events) names no secret, and a search for a word costs far less
// than a regular expression.
type pattern struct {
	keyword string
	re      *regexp.Regexp
}

var patterns = []pattern{
	// <password>…</password> with any namespace prefix and attributes, also when the element is
	// itself escaped inside a JSON string (\u003c) or inside XML or HTML text (&lt;). An empty
	// element (<password/>) opens nothing. Each form starts with a literal, which the matcher skips
	// to: one pattern for all three, scanned from every character, cost eight times more on an
	// envelope full of certificates (BenchmarkRedact).
	{"password", xmlPassword("<", ">")},
	{"password", xmlPassword(`\\u003[cC]`, `\\u003[eE]`)},
	{"password", xmlPassword("&lt;", "&gt;")},
	// "password": "…" and any key naming a password ("passwordTest"), also in JSON carried as a
	// string inside JSON (\"password\":\"…\").
	{"password", regexp.MustCompile(`(?i)"[\w-]*password[\w-]*"\s*:\s*"((?:[^"\\]|\\.)*)"`)},
	{"password", regexp.MustCompile(`(?i)\\"[\w-]*password[\w-]*\\"\s*:\s*\\"((?:[^"\\]|\\[^"])*)\\"`)},
	// A step or a check that spells a password out: `registered with the password "init-secret"`,
	// `observed password "x"`, also inside a JSON string. A field path ("…/sender/password") or prose
	// about passwords is no password. "assword" is a literal the matcher skips to, and still finds
	// "Password"; "PASSWORD" has its own.
	{"password", regexp.MustCompile(`assword\s+\\?"((?:[^"\\]|\\[^"])*)\\?"`)},
	{"password", regexp.MustCompile(`ASSWORD\s+\\?"((?:[^"\\]|\\[^"])*)\\?"`)},
	// An Authorization header or field, with or without its scheme (HTTP Basic credentials carry the
	// password in base64; a bearer token is a password too), also in JSON inside a JSON string.
	{"authorization", regexp.MustCompile(`(?i)\bauthorization\\?"?\s*[:=]\s*\\?"?(?:(?:bearer|basic)\s+)?([^\s"',;<\\]+)`)},
	// A credential quoted without its header. A token, not the next word of a sentence ("a Bearer
	// token", "HTTP Basic credentials"): a bearer token of 8 characters or more, Basic credentials in
	// whole base64 quads.
	{"bearer", regexp.MustCompile(`(?i)\bbearer\s+([A-Za-z0-9._~+/-]{8,}=*)`)},
	{"basic", regexp.MustCompile(`(?i)\bbasic\s+((?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)(?:[\s"',;<)\\]|$)`)},
}

// xmlPassword is a password element whose angle brackets are spelled lt and gt.
func xmlPassword(lt, gt string) *regexp.Regexp {
	tag := `(?:[\w.-]+:)?(?i:password)`
	return regexp.MustCompile(lt + tag + `(?:\s[^<>]*?)?` + gt + `(?s:(.*?))` + lt + `/` + tag + `\s*` + gt)
}

// Bytes returns data with every secret it carries replaced by Placeholder; data itself when it
// carries none. An empty value stays empty: evidence that no password was sent keeps saying so.
func Bytes(data []byte) []byte {
	lower := bytes.ToLower(data)
	for _, p := range patterns {
		if bytes.Contains(lower, []byte(p.keyword)) {
			data = p.replace(data)
		}
	}
	return data
}

// String is Bytes for text.
func String(s string) string { return string(Bytes([]byte(s))) }

// replace puts Placeholder in place of every non-empty secret p finds in data.
func (p pattern) replace(data []byte) []byte {
	var out []byte
	last := 0
	for _, m := range p.re.FindAllSubmatchIndex(data, -1) {
		if m[2] == m[3] {
			continue
		}
		out = append(append(out, data[last:m[2]]...), Placeholder...)
		last = m[3]
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}
