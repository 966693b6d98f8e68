package envelope

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/msg"
)

// Payload is what a SOAP Body carries: a message element of a channel, or a Fault.
type Payload interface {
	// Element is the qualified name of the payload's wrapper element.
	Element() xml.Name
}

// Fault is a SOAP 1.1 fault whose detail carries the channel's ErrorInfo (A1-T21).
type Fault struct {
	// Code is the faultcode without its prefix: "Client" when the sender's message is at fault,
	// "Server" when the gateway or the owner is.
	Code          string
	String        string
	Detail        ErrorInfo
	DetailElement xml.Name // SyncFaultElement on the synchronous channel
}

func (Fault) Element() xml.Name { return xml.Name{Space: SOAPNS, Local: "Fault"} }

func (f Fault) Error() string {
	return fmt.Sprintf("fault %s: %s", f.Detail.ErrorCode, f.Detail.ErrorMessage)
}

// Marshal writes a SOAP 1.1 envelope around p. The wrapper element is namespace-qualified with a
// prefix and everything inside it is unqualified, as in the gateway's WSDL. The Body carries a
// wsu:Id so that a transport signature can reference it (Appendix 6).
func Marshal(p Payload) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	fmt.Fprintf(&b, `<soap:Envelope xmlns:soap="%s"><soap:Body xmlns:wsu="%s" wsu:Id="id-%s">`,
		SOAPNS, WSUNS, uuid.NewString())
	enc := xml.NewEncoder(&b)
	if f, ok := p.(Fault); ok {
		b.WriteString(`<soap:Fault><faultcode>soap:`)
		_ = xml.EscapeText(&b, []byte(f.Code))
		b.WriteString(`</faultcode><faultstring>`)
		_ = xml.EscapeText(&b, []byte(f.String))
		b.WriteString(`</faultstring><detail>`)
		if err := encodeQualified(enc, f.Detail, f.DetailElement); err != nil {
			return nil, err
		}
		b.WriteString(`</detail></soap:Fault>`)
	} else if err := encodeQualified(enc, p, p.Element()); err != nil {
		return nil, err
	}
	b.WriteString(`</soap:Body></soap:Envelope>`)
	return b.Bytes(), nil
}

// encodeQualified writes v as <ns2:Local xmlns:ns2="Space">, its content unqualified.
func encodeQualified(enc *xml.Encoder, v any, name xml.Name) error {
	start := xml.StartElement{
		Name: xml.Name{Local: "ns2:" + name.Local},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns:ns2"}, Value: name.Space}},
	}
	if err := enc.EncodeElement(v, start); err != nil {
		return msg.Errorf("marshal %s: %w", name.Local, err)
	}
	return enc.Flush()
}

// Message is a parsed SOAP 1.1 envelope.
type Message struct {
	Doc     *etree.Document
	Header  *etree.Element // nil when the envelope has none
	Body    *etree.Element
	Payload *etree.Element // the single element inside Body
}

// ErrNotSOAP is returned by Parse for a document that is not a SOAP 1.1 envelope.
var ErrNotSOAP = msg.Errorf("not a SOAP 1.1 envelope")

// Parse reads a SOAP 1.1 envelope. It checks the envelope's frame only; the channel schema checks
// the rest.
func Parse(b []byte) (*Message, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))); err != nil {
		return nil, msg.Errorf("%w: not well-formed XML: %v", ErrNotSOAP, err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || root.NamespaceURI() != SOAPNS {
		return nil, msg.Errorf("%w: the root element must be Envelope in %s", ErrNotSOAP, SOAPNS)
	}
	m := &Message{Doc: doc}
	for _, c := range root.ChildElements() {
		if c.NamespaceURI() != SOAPNS {
			continue
		}
		switch c.Tag {
		case "Header":
			m.Header = c
		case "Body":
			m.Body = c
		}
	}
	if m.Body == nil {
		return nil, msg.Errorf("%w: no Body", ErrNotSOAP)
	}
	if kids := m.Body.ChildElements(); len(kids) == 1 {
		m.Payload = kids[0]
	} else {
		return nil, msg.Errorf("%w: the Body must hold exactly one element, it holds %d", ErrNotSOAP, len(kids))
	}
	return m, nil
}

// Name is the qualified name of the payload element.
func (m *Message) Name() xml.Name {
	return xml.Name{Space: m.Payload.NamespaceURI(), Local: m.Payload.Tag}
}

// Text is the text of the element at path (etree's path syntax) below the payload element, "" when
// there is none: a field read from the tree before the payload is decoded.
func (m *Message) Text(path string) string {
	if e := m.Payload.FindElement(path); e != nil {
		return e.Text()
	}
	return ""
}

// IsFault says whether the Body carries a SOAP Fault.
func (m *Message) IsFault() bool { return m.Name() == Fault{}.Element() }

// Decode reads the payload element into v (SendMessage, SendMessageResponse, ...).
func (m *Message) Decode(v any) error { return decodeElement(m.Payload, v) }

// Fault reads the SOAP Fault of the Body and the ErrorInfo in its detail.
func (m *Message) Fault() (Fault, error) {
	if !m.IsFault() {
		return Fault{}, msg.Errorf("the Body holds %s, not a Fault", m.Payload.Tag)
	}
	f := Fault{}
	if c := m.Payload.SelectElement("faultcode"); c != nil {
		f.Code = c.Text()
		if i := strings.IndexByte(f.Code, ':'); i >= 0 {
			f.Code = f.Code[i+1:]
		}
	}
	if s := m.Payload.SelectElement("faultstring"); s != nil {
		f.String = s.Text()
	}
	if d := m.Payload.SelectElement("detail"); d != nil {
		if kids := d.ChildElements(); len(kids) > 0 {
			f.DetailElement = xml.Name{Space: kids[0].NamespaceURI(), Local: kids[0].Tag}
			if err := decodeElement(kids[0], &f.Detail); err != nil {
				return f, err
			}
		}
	}
	return f, nil
}

// BodyID is the wsu:Id of the Body, the target of the transport signature's reference.
func (m *Message) BodyID() string {
	for _, a := range m.Body.Attr {
		if a.Key == "Id" && a.NamespaceURI() == WSUNS {
			return a.Value
		}
	}
	return ""
}

// decodeElement reads e into v. It leaves e's tree as it is, so that the transport signature can
// be checked on the same tree before or after (one parse per message).
func decodeElement(e *etree.Element, v any) error {
	if data := e.FindElements(".//data"); len(data) > 0 {
		c := e.Copy()
		declareNamespacesOnData(data, c.FindElements(".//data"))
		e = c
	}
	var b bytes.Buffer
	e.WriteTo(&b, &etree.WriteSettings{})
	if err := xml.Unmarshal(b.Bytes(), v); err != nil {
		return msg.Errorf("decode %s: %w", e.Tag, err)
	}
	return nil
}

// declareNamespacesOnData copies onto every business-data element (of a copy of the payload) the
// prefixes the original inherits from its ancestors, so the data stays meaningful once taken out of
// this envelope and forwarded in another one (R-61: delivered without alteration).
func declareNamespacesOnData(original, copies []*etree.Element) {
	for i, d := range original {
		if d.Space != "" {
			continue
		}
		declared := map[string]bool{}
		for _, a := range d.Attr {
			if a.Space == "xmlns" {
				declared[a.Key] = true
			}
		}
		for p := d.Parent(); p != nil; p = p.Parent() {
			for _, a := range p.Attr {
				if a.Space == "xmlns" && !declared[a.Key] {
					declared[a.Key] = true
					copies[i].CreateAttr("xmlns:"+a.Key, a.Value)
				}
			}
		}
	}
}
