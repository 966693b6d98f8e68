package tamper

import (
	"github.com/beevik/etree"

	"github.com/shepconf/shepconf/internal/msg"
)

// The attacks on a signed envelope that every channel's negative scenarios send: the signature
// taken off, and the signature wrapping attack. They work on the whole envelope, not the payload.

// Unsign removes every wsse:Security block from the SOAP Header: the message as if it had never
// been signed (R-59 has every message signed).
func Unsign(doc []byte) ([]byte, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, msg.Errorf("tamper: unsign: %w", err)
	}
	if header := d.FindElement("/Envelope/Header"); header != nil {
		for _, sec := range header.SelectElements("Security") {
			header.RemoveChild(sec)
		}
	}
	return d.WriteToBytes()
}

// Wrap performs the signature wrapping attack: the signed Body is copied into an element of
// the Header, and the Body in its place gets another Id and, at the payload path, the text forged.
// The signature still verifies over the copy; only a verifier that checks that what was signed is
// the Body it processes refuses the message.
func Wrap(doc []byte, path, forged string) ([]byte, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, msg.Errorf("tamper: wrap: %w", err)
	}
	env := d.Root()
	header, body := env.SelectElement("Header"), env.SelectElement("Body")
	if header == nil || body == nil {
		return nil, msg.Errorf("tamper: wrap: the envelope has no SOAP Header and Body")
	}
	wrapper := header.CreateElement("x:Wrapper")
	wrapper.CreateAttr("xmlns:x", "urn:attacker")
	wrapper.AddChild(body.Copy())
	for i, a := range body.Attr {
		if a.Key == "Id" {
			body.Attr[i].Value = "forged-" + a.Value
		}
	}
	out, err := d.WriteToBytes()
	if err != nil {
		return nil, err
	}
	// Only the Body in place is forged; the signed copy in the Header stays as it was signed.
	return Apply(out, SetText(path, forged))
}
