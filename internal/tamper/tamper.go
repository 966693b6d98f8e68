// Package tamper breaks messages on purpose: it removes, renames and rewrites elements of a SOAP
// envelope, for negative scenarios and for the reference systems' programmable defects. Paths are
// local names from the Body's payload element down, as in the Rules' tables:
// "request/requestInfo/messageDate".
package tamper

import (
	"strings"

	"github.com/beevik/etree"

	"github.com/shepconf/shepconf/internal/msg"
)

// Op changes one envelope.
type Op func(payload *etree.Element) error

// Apply parses doc, runs ops on the Body's payload element and writes the result.
func Apply(doc []byte, ops ...Op) ([]byte, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, msg.Errorf("tamper: %w", err)
	}
	body := d.FindElement("/Envelope/Body")
	if body == nil || len(body.ChildElements()) == 0 {
		return nil, msg.Errorf("tamper: no SOAP Body payload")
	}
	payload := body.ChildElements()[0]
	for _, op := range ops {
		if err := op(payload); err != nil {
			return nil, err
		}
	}
	return d.WriteToBytes()
}

func find(payload *etree.Element, path string) (*etree.Element, error) {
	e := payload
	for _, name := range strings.Split(path, "/") {
		if e = e.SelectElement(name); e == nil {
			return nil, msg.Errorf("tamper: no element %q in the message", path)
		}
	}
	return e, nil
}

// Remove deletes the element at path.
func Remove(path string) Op {
	return func(p *etree.Element) error {
		e, err := find(p, path)
		if err != nil {
			return err
		}
		e.Parent().RemoveChild(e)
		return nil
	}
}

// Rename gives the element at path another local name, keeping its place and content.
func Rename(path, name string) Op {
	return func(p *etree.Element) error {
		e, err := find(p, path)
		if err != nil {
			return err
		}
		e.Tag = name
		return nil
	}
}

// SetText replaces the text of the element at path.
func SetText(path, text string) Op {
	return func(p *etree.Element) error {
		e, err := find(p, path)
		if err != nil {
			return err
		}
		e.SetText(text)
		return nil
	}
}

// SetPayloadNamespace moves the payload element to another namespace.
func SetPayloadNamespace(ns string) Op {
	return func(p *etree.Element) error {
		p.Space = "tampered"
		p.CreateAttr("xmlns:tampered", ns)
		return nil
	}
}
