package load

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"fmt"
	"sort"

	"github.com/beevik/etree"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
)

// Template is a request signed once by xsig.Sign, from which every request of a load is made by
// writing fresh values into its slots (a messageId, a messageDate, a sessionId) and signing again.
// Only what changes is redone: the digest of the Body (R-59: the signature covers the Body), the
// digest of SignedInfo and the private-key operation. The XML is not parsed, canonicalised nor
// serialised per request, which costs xsig.Sign several times the key operation; so the generator
// keeps well ahead of what it loads.
//
// A slot's value must be text that XML writes as it is (no &, <, >, quotes): identifiers and dates.
// NewTemplate checks its own work: a request it makes must pass xsig.Verify, as the gateway and the
// owners check it.
type Template struct {
	key   crypto.Signer
	slots int
	body  cut // the exclusive C14N of the Body, cut at the slots
	info  cut // the exclusive C14N of SignedInfo, cut at the Body's DigestValue
	doc   cut // the signed envelope, cut at the slots, DigestValue and SignatureValue
	size  int // the signed envelope's length, to size each request at once
}

// cut is a text cut at the places where values go: pieces[0] value pieces[1] value ... pieces[n],
// value i taken from the slot order[i].
type cut struct {
	pieces [][]byte
	order  []int
}

// NewTemplate signs unsigned with id and prepares it for Fresh. unsigned must carry, once each and
// in its Body, the sample text of every slot; Fresh then takes one value per slot, in this order.
func NewTemplate(unsigned []byte, id *pki.Identity, slots ...string) (*Template, error) {
	signed, err := xsig.Sign(unsigned, id)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(signed); err != nil {
		return nil, err
	}
	body := doc.FindElement("/Envelope/Body")
	si := doc.FindElement("/Envelope/Header/Security/Signature/SignedInfo")
	digest := doc.FindElement("/Envelope/Header/Security/Signature/SignedInfo/Reference/DigestValue")
	value := doc.FindElement("/Envelope/Header/Security/Signature/SignatureValue")
	if body == nil || si == nil || digest == nil || value == nil {
		return nil, fmt.Errorf("load template: the signed envelope lacks its Body or signature")
	}
	if n := len(doc.FindElements("/Envelope/Header/Security/Signature/SignedInfo/Reference")); n != 1 {
		return nil, fmt.Errorf("load template: the signature has %d references; a template re-signs the Body alone", n)
	}
	canonicalBody, err := xsig.Canonical(body)
	if err != nil {
		return nil, err
	}
	canonicalInfo, err := xsig.Canonical(si)
	if err != nil {
		return nil, err
	}
	// The canonical forms must be those xsig.Sign signed, or every request would fail to verify.
	h := xsig.NewDigest(id.Key)
	h.Write(canonicalBody)
	if base64.StdEncoding.EncodeToString(h.Sum(nil)) != digest.Text() {
		return nil, fmt.Errorf("load template: the Body's canonical form is not the one xsig signed")
	}
	t := &Template{key: id.Key, slots: len(slots), size: len(signed)}
	if t.body, err = cutAt(canonicalBody, slots); err != nil {
		return nil, fmt.Errorf("load template, canonical Body: %w", err)
	}
	if t.info, err = cutAt(canonicalInfo, []string{digest.Text()}); err != nil {
		return nil, fmt.Errorf("load template, SignedInfo: %w", err)
	}
	if t.doc, err = cutAt(signed, append(append([]string(nil), slots...), digest.Text(), value.Text())); err != nil {
		return nil, fmt.Errorf("load template, envelope: %w", err)
	}
	// A request made from the template, with the slots' own samples, passes the check the gateway
	// and the owners make.
	check, err := t.Fresh(slots...)
	if err == nil {
		_, err = xsig.Verify(check)
	}
	if err != nil {
		return nil, fmt.Errorf("load template: a request made from it does not verify: %w", err)
	}
	return t, nil
}

// Fresh makes a signed request with values in the template's slots, in their order.
func (t *Template) Fresh(values ...string) ([]byte, error) {
	if len(values) != t.slots {
		return nil, fmt.Errorf("load template: %d values for %d slots", len(values), t.slots)
	}
	h := xsig.NewDigest(t.key)
	t.body.write(h, values)
	digest64 := base64.StdEncoding.AppendEncode(nil, h.Sum(nil))

	var info bytes.Buffer
	t.info.write(&info, []string{string(digest64)})
	value, err := xsig.SignatureValue(t.key, info.Bytes(), crypto.SHA256)
	if err != nil {
		return nil, err
	}
	all := append(append(make([]string, 0, len(values)+2), values...), string(digest64), base64.StdEncoding.EncodeToString(value))
	var out bytes.Buffer
	out.Grow(t.size + 64)
	t.doc.write(&out, all)
	return out.Bytes(), nil
}

type writer interface{ Write([]byte) (int, error) }

func (c cut) write(w writer, values []string) {
	for i, p := range c.pieces {
		_, _ = w.Write(p)
		if i < len(c.order) {
			_, _ = w.Write([]byte(values[c.order[i]]))
		}
	}
}

// cutAt cuts text at each mark, which must occur exactly once.
func cutAt(text []byte, marks []string) (cut, error) {
	type at struct{ offset, mark int }
	var found []at
	for i, m := range marks {
		if m == "" || bytes.Count(text, []byte(m)) != 1 {
			return cut{}, fmt.Errorf("%q occurs %d times, not once", m, bytes.Count(text, []byte(m)))
		}
		found = append(found, at{bytes.Index(text, []byte(m)), i})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].offset < found[j].offset })
	var c cut
	from := 0
	for _, f := range found {
		if f.offset < from {
			return cut{}, fmt.Errorf("%q overlaps another slot", marks[f.mark])
		}
		c.pieces = append(c.pieces, text[from:f.offset])
		c.order = append(c.order, f.mark)
		from = f.offset + len(marks[f.mark])
	}
	c.pieces = append(c.pieces, text[from:])
	return c, nil
}
