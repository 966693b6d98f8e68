// Package msg builds the harness's explanations (what a rule expected, what was observed, how to
// fix it, why a step failed) from message identifiers with parameters, so that a report renders each
// in its reader's language while logs and the wire keep English.
//
// The identifier of a message is its English format, as gettext's msgid is: F("after %d attempts",
// n). The catalogue (ru.yaml, kk.yaml beside this file) maps each format to its translation with the
// same verbs; explicit argument indexes (%[2]s) let a translation reorder them. A test reads every
// call of F and Errorf in the module and fails when a format lacks a translation in a language, so
// a message whose English changes cannot silently lose its translation.
//
// golang.org/x/text/message keys its catalogue the same way but groups the digits of every number by
// locale ("8 443" for a port in Russian); the messages here quote ports, status codes and byte counts,
// so they are formatted with fmt.
package msg

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Languages are the languages the catalogue translates into, besides English.
var Languages = []string{"ru", "kk"}

// Text is a message and its parameters. Its zero value is the empty text.
type Text struct {
	format string
	args   []any
	raw    bool // the format is the text itself, the same in every language
}

// F is the message format with its parameters. A parameter that is a Text (or an error carrying one)
// is itself rendered in the reader's language.
func F(format string, args ...any) Text { return Text{format: format, args: args} }

// Raw is a text that has no translation: a value from the wire, a name, a path, an identifier.
func Raw(s string) Text { return Text{format: s, raw: true} }

// Quoted is a text quoted as it stands, in every language: what a system or the wire said (a
// fault's errorData, a journal's record, an error body), shown in its own words inside a
// translated explanation.
func Quoted(s string) Text { return Raw("“" + s + "”") }

// Head is the first n runes of b, for a parameter printed with a precision (%.40s, %.300q): a
// Text keeps its parameters, so it should keep a copy of what it shows, not the whole input.
func Head(b []byte, n int) string {
	i := 0
	for ; n > 0 && i < len(b); n-- {
		_, size := utf8.DecodeRune(b[i:])
		i += size
	}
	return string(b[:i])
}

// Join is the texts one after the other, separated by sep (a separator the same in every language,
// such as "; ").
func Join(texts []Text, sep string) Text {
	args := make([]any, len(texts))
	for i, t := range texts {
		args[i] = t
	}
	return Text{format: strings.TrimSuffix(strings.Repeat("%s"+strings.ReplaceAll(sep, "%", "%%"), len(texts)), strings.ReplaceAll(sep, "%", "%%")), args: args}
}

// Or is the items as alternatives, "GET or POST", in the reader's language.
func Or(items ...string) Text {
	switch len(items) {
	case 0:
		return Text{}
	case 1:
		return Raw(items[0])
	}
	return F("%s or %s", Or(items[:len(items)-1]...), items[len(items)-1])
}

// IsZero reports whether t is the empty text.
func (t Text) IsZero() bool { return t.format == "" && len(t.args) == 0 }

// String is t in English.
func (t Text) String() string { return t.In("en") }

// In is t in lang; a message the catalogue does not translate into lang stays English.
func (t Text) In(lang string) string {
	if t.raw {
		return t.format
	}
	format := t.format
	if tr, ok := catalogue[lang][format]; ok {
		format = tr
	}
	if len(t.args) == 0 {
		return strings.ReplaceAll(format, "%%", "%")
	}
	args := make([]any, len(t.args))
	for i, a := range t.args {
		args[i] = rendered(a, lang)
	}
	// %w is Errorf's: the wrapped error, rendered like any other parameter.
	return fmt.Sprintf(strings.ReplaceAll(format, "%w", "%v"), args...)
}

// Translations is t in every language of the catalogue, English included, by language code.
func (t Text) Translations() map[string]string {
	out := map[string]string{"en": t.String()}
	for _, lang := range Languages {
		out[lang] = t.In(lang)
	}
	return out
}

// MarshalText is t in English: a text stored in a journal or sent as JSON reads as it always did.
func (t Text) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a stored text back. Only its English was stored: a message without
// parameters is its own identifier, so it reads back translatable; any other reads back as Raw.
func (t *Text) UnmarshalText(b []byte) error {
	s := string(b)
	if _, known := catalogue[Languages[0]][s]; known && !strings.Contains(s, "%") {
		*t = F(s)
		return nil
	}
	*t = Raw(s)
	return nil
}

// Cut is t with every string parameter (and a raw text) cut to at most limit bytes by cut, for
// texts quoting what a client sent.
func (t Text) Cut(limit int, cut func(string, int) string) Text {
	if t.raw {
		return Raw(cut(t.format, limit))
	}
	if len(t.args) == 0 {
		return t
	}
	c := Text{format: t.format, args: make([]any, len(t.args))}
	for i, a := range t.args {
		switch v := a.(type) {
		case string:
			c.args[i] = cut(v, limit)
		case Text:
			c.args[i] = v.Cut(limit, cut)
		default:
			c.args[i] = a
		}
	}
	return c
}

// Texter is what carries a Text: a Text-built error, a rule breach.
type Texter interface{ Text() Text }

func rendered(a any, lang string) any {
	switch v := a.(type) {
	case Text:
		return v.In(lang)
	case Texter:
		return v.Text().In(lang)
	case []Text:
		return Join(v, ", ").In(lang)
	}
	if err, ok := a.(error); ok {
		if t := textOf(err); t != nil {
			return t.In(lang)
		}
	}
	return a
}

// Error is an error whose message is a Text; it wraps the errors among its parameters given by %w.
type Error struct {
	text    Text
	wrapped []error
}

// Errorf is fmt.Errorf with a message identifier: the message renders in the reader's language.
func Errorf(format string, args ...any) error {
	e := &Error{text: F(format, args...)}
	if strings.Contains(format, "%w") {
		for _, a := range args {
			if err, ok := a.(error); ok {
				e.wrapped = append(e.wrapped, err)
			}
		}
	}
	return e
}

func (e *Error) Error() string   { return e.text.String() }
func (e *Error) Text() Text      { return e.text }
func (e *Error) Unwrap() []error { return e.wrapped }

// Of is err's message as a Text: its own when err carries one, else err's message quoted as it
// stands (a library's or another system's words, which have no translation).
func Of(err error) Text {
	if err == nil {
		return Text{}
	}
	if t := textOf(err); t != nil {
		return *t
	}
	return Quoted(err.Error())
}

func textOf(err error) *Text {
	if t, ok := err.(Texter); ok {
		x := t.Text()
		return &x
	}
	return nil
}
