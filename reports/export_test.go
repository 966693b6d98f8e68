package reports

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// Unpacked is Unpack for a test: the page with nothing packed.
func Unpacked(tb testing.TB, page string) string {
	tb.Helper()
	s, err := Unpack(page)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Every length and kind of input comes back whole, in printable digits none of which is "<", at
// the density the encoding promises.
func TestEncode94(t *testing.T) {
	for n := range 100 {
		for _, fill := range []func() byte{func() byte { return byte(rand.IntN(256)) }, func() byte { return 0xff }, func() byte { return 0 }} {
			b := make([]byte, n)
			for i := range b {
				b[i] = fill()
			}
			s := encode94(b)
			if got := decode94(s); !bytes.Equal(got, b) {
				t.Errorf("%d bytes %x came back as %x (via %q)", n, b, got, s)
			}
			if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r > '~' || r == '<' }) || len(s) > 2*((8*n+12)/13) {
				t.Errorf("%d bytes encoded as %q", n, s)
			}
		}
	}
	b := make([]byte, 1<<16)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	s := encode94(b)
	if got := decode94(s); !bytes.Equal(got, b) {
		t.Fatal("64 KiB of random bytes did not come back whole")
	}
	if r := float64(len(s)) / float64(len(b)); r > 1.225 {
		t.Errorf("random bytes take %.4f digits a byte, want at most 1.225", r)
	}
}

// A pack's texts are separated by NUL: a text holding one (or invalid UTF-8) shows U+FFFD there,
// as the HTML parser would, and the texts after it stay in their places.
func TestPackKeepsItsTextsApart(t *testing.T) {
	list := []string{"a\x00b", "c\xffd", "", "<e>\n\"f\""}
	p, err := newPack("z-x", list)
	if err != nil {
		t.Fatal(err)
	}
	page := `<pre data-text="z-x 0"></pre><pre data-text="z-x 1"></pre><pre data-text="z-x 3"></pre>` +
		`<script type="application/octet-stream" id="z-x">` + string(p.Data) + `</script>`
	want := `<pre data-text="z-x 0">a` + "\uFFFD" + `b</pre><pre data-text="z-x 1">c` + "\uFFFD" + `d</pre><pre data-text="z-x 3">&lt;e&gt;` + "\n" + `&#34;f&#34;</pre>`
	if got := Unpacked(t, page); !strings.HasPrefix(got, want) {
		t.Errorf("unpacked as %q, want it to start %q", got, want)
	}
}
