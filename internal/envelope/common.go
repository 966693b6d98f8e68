// Package envelope holds the Go types of the gateway's messages (Appendix 1 of the Rules) and their
// wire form: SOAP 1.1 envelopes in the real gateway's namespaces with unqualified inner elements, and
// the REST JSON of the same appendix. It also knows every row of the message tables, so a schema
// violation can be explained by the rule it breaks.
package envelope

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/msg"
)

// Namespaces of the wire, as in the gateway's WSDL.
const (
	SOAPNS      = "http://schemas.xmlsoap.org/soap/envelope/"
	WSUNS       = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	SyncNS      = "http://bip.bee.kz/SyncChannel/v10/Types"
	CommonNS    = "http://bip.bee.kz/common/v10/Types"
	xsiNS       = "http://www.w3.org/2001/XMLSchema-instance"
	xsNS        = "http://www.w3.org/2001/XMLSchema"
	dateTimeOut = "2006-01-02T15:04:05.000-07:00"
)

// SenderInfo identifies the sending system (A1-T19 rows 9-11).
type SenderInfo struct {
	SenderID string `xml:"senderId" json:"senderId"`
	Password string `xml:"password,omitempty" json:"password"`
}

// Property is an additional key/value agreed with the gateway and the receiver (A1-T19 rows 12-14).
type Property struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// StatusInfo is the owner's processing status (A1-T20 rows 7-9).
type StatusInfo struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

// ErrorInfo is the content of a fault (A1-T21; the asynchronous faults share it).
type ErrorInfo struct {
	ErrorCode    string     `xml:"errorCode"`
	ErrorMessage string     `xml:"errorMessage"`
	ErrorData    string     `xml:"errorData,omitempty"`
	ErrorDate    DateTime   `xml:"errorDate"`
	SubError     *ErrorInfo `xml:"subError,omitempty"`
	SessionID    string     `xml:"sessionId,omitempty"`
}

// DateTime is an xsd:dateTime. It is written with milliseconds and an offset, as real clients do,
// always in Astana time (+05:00, the time zone policy of clock.Astana), whatever zone the value was
// built or stored in; a value read without an offset is taken in Astana time (O-27).
type DateTime struct{ time.Time }

// Now is the current time in Astana, as a DateTime.
func Now() DateTime { return DateTime{time.Now().In(clock.Astana)} }

func (d DateTime) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return nil, nil
	}
	// A date read back from the journal or the store is in UTC; every date written is in Astana time.
	return []byte(d.In(clock.Astana).Format(dateTimeOut)), nil
}

func (d *DateTime) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, clock.Astana); err == nil {
			d.Time = t
			return nil
		}
	}
	return msg.Errorf("%q is not an xsd:dateTime (expected e.g. 2026-11-23T10:15:00.000+05:00)", s)
}

// NewGUID returns a fresh identifier in the gateway's guid form: a UUID in curly braces.
func NewGUID() string { return "{" + uuid.NewString() + "}" }

// Data is the business-data block (requestData, responseData): the raw XML of its data element. The
// gateway neither checks nor changes it, so it is kept as text, not as a tree.
type Data struct {
	Raw string `xml:",innerxml"`
}

// StringData is business data sent as escaped text, typed xs:string, the way the gateway's sample
// client sends it.
func StringData(s string) Data {
	var b strings.Builder
	fmt.Fprintf(&b, `<data xmlns:xs="%s" xmlns:xsi="%s" xsi:type="xs:string">`, xsNS, xsiNS)
	_ = xml.EscapeText(&b, []byte(s))
	b.WriteString(`</data>`)
	return Data{Raw: b.String()}
}

// Element parses the data element; nil when there is none.
func (d Data) Element() (*etree.Element, error) {
	if strings.TrimSpace(d.Raw) == "" {
		return nil, nil
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(d.Raw); err != nil {
		return nil, msg.Errorf("business data: %w", err)
	}
	return doc.SelectElement("data"), nil
}

// Text is the text content of the data element (the payload of StringData).
func (d Data) Text() string {
	e, err := d.Element()
	if err != nil || e == nil {
		return ""
	}
	return e.Text()
}
