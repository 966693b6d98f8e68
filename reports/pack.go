package reports

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"html/template"
	"io"
	"strconv"
	"strings"
)

// The report stays one file that opens offline, but the bulk of a full run (every scenario's
// steps, verdict records and evidence, and the Russian and Kazakh of every text) would make it
// megabytes of HTML for the browser to parse and lay out before showing anything. That bulk is
// written compressed instead, in packs: a list of texts, deflated, in printable characters (see
// encode94), inside inert <script type="application/octet-stream"> elements. The page's script
// inflates a pack with the browser's own DecompressionStream ("deflate-raw") when the reader first
// needs it: opens a scenario, a role's list or a piece of evidence, switches the language, prints,
// searches or presses "Expand all". An element names the pack and the place of what fills it:
// data-z="z-h 7" is the 8th piece of HTML of pack z-h, data-text="z-e3 12" the 13th text of pack
// z-e3 (the evidence of the 3rd feature).

// pack is one compressed part of the page.
type pack struct {
	ID   string
	Data template.HTML // encode94 of the deflated texts: nothing the HTML parser reads as markup
}

// newPack compresses list: its texts as they are, separated by NUL, which no text holds (the HTML
// parser shows a NUL as U+FFFD, and so does the report; invalid UTF-8 too, as the browser's
// decoder would). JSON, with its quotes and newlines escaped, takes 7 KB more in the report of a
// full run.
func newPack(id string, list []string) (pack, error) {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		return pack{}, err
	}
	for i, s := range list {
		if i > 0 {
			if _, err := w.Write([]byte{0}); err != nil {
				return pack{}, err
			}
		}
		if _, err := io.WriteString(w, strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"), "\uFFFD")); err != nil {
			return pack{}, err
		}
	}
	if err := w.Close(); err != nil {
		return pack{}, err
	}
	return pack{ID: id, Data: template.HTML(encode94(b.Bytes()))}, nil
}

// encode94 writes b in the 94 digits of digitOf: every printable ASCII character and the space
// but "<", the only one that means something in the raw text of a <script> element (it could end
// it). It takes the bits of b 13 at a time, 14 when their value leaves room for it (under 94*94),
// and writes each group as two digits, the last bits as one or two: basE91's scheme, with 94 digits,
// 8/6.54 characters a byte where base85 writes 8/6.4, which is 17 KB of the report of a full run.
func encode94(b []byte) string {
	var out strings.Builder
	out.Grow(len(b)*16/13 + 2)
	acc, n := uint32(0), 0 // bits not yet written, and how many
	for _, c := range b {
		acc |= uint32(c) << n
		n += 8
		if n <= 13 {
			continue
		}
		v := acc & (1<<13 - 1)
		if v >= roomFor14 {
			acc, n = acc>>13, n-13
		} else {
			v = acc & (1<<14 - 1)
			acc, n = acc>>14, n-14
		}
		out.WriteByte(digitOf(v % 94))
		out.WriteByte(digitOf(v / 94))
	}
	if n > 0 {
		out.WriteByte(digitOf(acc % 94))
		if n > 7 || acc >= 94 {
			out.WriteByte(digitOf(acc / 94))
		}
	}
	return out.String()
}

// roomFor14: 13 bits of a lower value leave room for a 14th in the 94*94 values of two digits.
const roomFor14 = 94*94 - 1<<13

// digitOf is the d-th digit of encode94: the characters from the space on, skipping "<".
func digitOf(d uint32) byte {
	if d >= '<'-' ' {
		d++
	}
	return byte(' ' + d)
}

// pack writes what the page shows only on demand into packs: the scenarios' bodies and the roles'
// lists as HTML (pack z-h), the traceability matrix's links to scenarios (pack z-m, unpacked as
// the page opens), the evidence as plain text, which compresses better than escaped in HTML, in
// one pack per feature (z-e1, z-e2 …), the failures' evidence in pack z-ef. Per feature, because
// its scenarios share certificates and message shapes, which the compression finds only within a
// pack: one pack per scenario makes the report of a full run half as large again, one for the whole
// run would unpack all its evidence to show one scenario's.
func (v *view) pack() error {
	var html []string
	for i, f := range v.Features {
		id, texts := "z-e"+strconv.Itoa(i+1), []string(nil)
		for j, sc := range f.Scenarios {
			for _, st := range sc.Steps {
				for k := range st.Evidence {
					if e := &st.Evidence[k]; e.SameAs == "" {
						e.Packed, texts = id+" "+strconv.Itoa(len(texts)), append(texts, e.Body)
					}
				}
			}
			body, err := v.part("scenario-body", part{view: *v, Scenario: sc})
			if err != nil {
				return err
			}
			f.Scenarios[j].Packed, html = "z-h "+strconv.Itoa(len(html)), append(html, body)
		}
		if err := v.addPack(id, texts); err != nil {
			return err
		}
	}
	var failures []string
	for _, f := range v.Failures {
		for j := range f.Evidence {
			f.Evidence[j].Packed, failures = "z-ef "+strconv.Itoa(len(failures)), append(failures, f.Evidence[j].Body)
		}
	}
	for _, r := range v.Run.Roles {
		list, err := v.part("role-scenarios", part{view: *v, Role: r})
		if err != nil {
			return err
		}
		v.RolesPacked, html = append(v.RolesPacked, "z-h "+strconv.Itoa(len(html))), append(html, list)
	}
	if err := v.addPack("z-ef", failures); err != nil {
		return err
	}
	// The matrix's links to scenarios are most of its markup, a scenario's name written once for
	// each clause it covers; its clauses and verdicts stay in the page, readable without scripts.
	var links []string
	for i, c := range v.Matrix {
		if len(c.Scenarios) == 0 {
			continue
		}
		s, err := v.part("scenario-links", v.Links(c.Scenarios))
		if err != nil {
			return err
		}
		v.Matrix[i].Packed, links = "z-m "+strconv.Itoa(len(links)), append(links, s)
	}
	if err := v.addPack("z-m", links); err != nil {
		return err
	}
	return v.addPack("z-h", html)
}

// part is what a template of a packed piece shows, with the view's methods.
type part struct {
	view
	Scenario scenarioView
	Role     RoleResult
	Refs     []scenarioRef
}

// Links is the part of the links to refs.
func (v view) Links(refs []scenarioRef) part { return part{view: v, Refs: refs} }

func (v *view) part(name string, data part) (string, error) {
	var b strings.Builder
	err := page.ExecuteTemplate(&b, name, data)
	return b.String(), err
}

func (v *view) addPack(id string, list []string) error {
	if len(list) == 0 {
		return nil
	}
	p, err := newPack(id, list)
	v.Packs = append(v.Packs, p)
	return err
}

// Translations is the pack of the translations of the run's texts, written after everything that
// numbers them: the packed pieces and the page above it.
func (v view) Translations() (template.HTML, error) {
	p, err := newPack("z-tr", v.tr.list)
	if err != nil {
		return "", err
	}
	return template.HTML(`<script type="application/octet-stream" id="z-tr">`) + p.Data + "</script>", nil
}

// translations collects the translations of the run's own texts (step and scenario names,
// verdict records, catalogue titles) as the page is written. An element shows its English text
// and carries only its entry's number (data-tr="12"): the same scenario name is linked from many
// rows of the matrix, and a step recurs in many scenarios, while its translations are written once.
type translations struct {
	languages []string // the page's, besides English
	index     map[string]int
	list      []string // by number: JSON of language code -> text
}

// ref is the number of the entry of en's translations by, added when new, or "" when the page's
// languages have none that differs from en.
func (t *translations) ref(en string, by map[string]string) (string, error) {
	kept := map[string]string{}
	for _, lang := range t.languages {
		if s, ok := by[lang]; ok && s != en {
			kept[lang] = s
		}
	}
	if len(kept) == 0 {
		return "", nil
	}
	raw, err := json.Marshal(kept)
	if err != nil {
		return "", err
	}
	n, ok := t.index[string(raw)]
	if !ok {
		if t.index == nil {
			t.index = map[string]int{}
		}
		n = len(t.list)
		t.index[string(raw)] = n
		t.list = append(t.list, string(raw))
	}
	return strconv.Itoa(n), nil
}

// PackedNotes are CSS rules that show a note in place of what is still packed (read without the
// page's script, or printed before "Expand all"), one per language of the page, chosen by :lang,
// which the language switch sets: one rule per language, not a sentence per scenario.
func (v view) PackedNotes() []template.CSS {
	note := func(lang, text string) template.CSS {
		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "<", `\3c `).Replace(text) // ui's own texts
		return template.CSS(lang + ` [data-z]:empty::before, ` + lang + ` [data-text]:empty::before { content: "` + quoted + `"; }`)
	}
	rules := []template.CSS{note("", ui["packed"][0])}
	for _, l := range offered(v.Run.Languages) {
		if l.Code != "en" {
			rules = append(rules, note(":lang("+l.Code+")", v.Dictionary[l.Code]["packed"]))
		}
	}
	return rules
}
