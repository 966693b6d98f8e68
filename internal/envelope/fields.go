package envelope

import (
	"fmt"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
)

// Field is one row of a message table of Appendix 1, at the place where it sits on the wire.
type Field struct {
	// Path is the wire path from the SOAP Body ("SendMessage/request/requestInfo/messageDate") or,
	// for REST, from the JSON root prefixed "rest:" ("rest:request/requestInfo/serviceid").
	Path     string
	Table    string // "A1-T19"
	Row      int
	Type     string // as the Rules print it
	Required bool   // as the Rules say; the wire may be laxer, see WireNote
	// OtherSpelling is another spelling of the same field that senders are likely to use: on the SOAP
	// wire, the Rules' spelling ("messegeDate"); in REST, the SOAP wire's ("messageDate").
	OtherSpelling string
	// WireNote says how and why the wire differs from the table (the gateway's WSDL decides the wire).
	WireNote msg.Text
}

// Rule is the table row, e.g. "A1-T19 row 6".
func (f Field) Rule() string { return fmt.Sprintf("%s row %d", f.Table, f.Row) }

// Name is the field's element or property name on the wire.
func (f Field) Name() string { return f.Path[strings.LastIndexByte(f.Path, '/')+1:] }

// Where is the path as the Rules' tables show it: without the wrapper element or "rest:".
func (f Field) Where() string { return messagePath(f.Path) }

func (f Field) describe() msg.Text {
	if f.Required {
		return msg.F("%s (%s, required)", f.Name(), f.Type)
	}
	return msg.F("%s (%s, optional)", f.Name(), f.Type)
}

func messagePath(p string) string {
	p = strings.TrimPrefix(p, "rest:")
	p = strings.TrimPrefix(p, "Fault/detail/")
	if strings.HasPrefix(p, "request") || strings.HasPrefix(p, "response") {
		return p
	}
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func table(id, prefix string, rows ...Field) []Field {
	for i := range rows {
		rows[i].Table = id
		if rows[i].Path == "" {
			rows[i].Path = strings.TrimSuffix(prefix, "/")
		} else {
			rows[i].Path = prefix + rows[i].Path
		}
	}
	return rows
}

var (
	wsdlSyncInfo = msg.F("the gateway's WSDL (SyncChannel/v10/Types/SyncMessageInfo.xsd) and real clients")
	wsdlCommon   = msg.F("the gateway's WSDL (common/v10/Types)")
)

// Fields are the rows of the tables A1-T19 to A1-T23 (Appendix 1 section 2 and the REST format).
var Fields = concat(
	table("A1-T19", "SendMessage/",
		Field{Path: "request", Row: 1, Type: "SyncsendMessagerequest", Required: true},
		Field{Path: "request/requestInfo", Row: 2, Type: "SyncMessageInfo", Required: true},
		Field{Path: "request/requestInfo/messageId", Row: 3, Type: "xsd:string", Required: true},
		Field{Path: "request/requestInfo/correlationId", Row: 4, Type: "xsd:string"},
		Field{Path: "request/requestInfo/serviceId", Row: 5, Type: "xsd:string", Required: true, OtherSpelling: "serviceid",
			WireNote: msg.F("The Rules print %q; %s use %q, so the wire does", "serviceid", wsdlSyncInfo, "serviceId")},
		Field{Path: "request/requestInfo/messageDate", Row: 6, Type: "xsd:dateTime", Required: true, OtherSpelling: "messegeDate",
			WireNote: msg.F("The Rules print %q; %s use %q, so the wire does", "messegeDate", wsdlSyncInfo, "messageDate")},
		Field{Path: "request/requestInfo/routeId", Row: 7, Type: "xsd:string"},
		Field{Path: "request/requestInfo/sessionId", Row: 8, Type: "guid",
			WireNote: msg.F("Filled by the gateway; a guid is a UUID in curly braces, as in %s", wsdlCommon)},
		Field{Path: "request/requestInfo/sender", Row: 9, Type: "senderinfo", Required: true},
		Field{Path: "request/requestInfo/sender/senderId", Row: 10, Type: "xsd:string", Required: true},
		Field{Path: "request/requestInfo/sender/password", Row: 11, Type: "xsd:string", Required: true,
			WireNote: msg.F("Optional in %s (SenderInfo), required by the Rules: the gateway refuses a request without it at authentication (R-53(2))", wsdlCommon)},
		Field{Path: "request/requestInfo/properties", Row: 12, Type: "property"},
		Field{Path: "request/requestInfo/properties/key", Row: 13, Type: "xsd:int",
			WireNote: msg.F("A string of at most 30 characters in %s", wsdlCommon)},
		Field{Path: "request/requestInfo/properties/value", Row: 14, Type: "xsd:int",
			WireNote: msg.F("A string of at most 500 characters in %s", wsdlCommon)},
		Field{Path: "request/requestData", Row: 15, Type: "requestData", Required: true},
		Field{Path: "request/requestData/data", Row: 16, Type: "xsd:Anytype",
			WireNote: msg.F("Business data, not checked by the gateway (R-2.5)")},
	),
	table("A1-T20", "SendMessageResponse/",
		Field{Path: "response", Row: 1, Type: "SyncsendMessageresponse", Required: true},
		Field{Path: "response/responseInfo", Row: 2, Type: "SyncMessageInfoResponse", Required: true},
		Field{Path: "response/responseInfo/messageId", Row: 3, Type: "xsd:string", Required: true},
		Field{Path: "response/responseInfo/correlationId", Row: 4, Type: "xsd:string"},
		Field{Path: "response/responseInfo/responseDate", Row: 5, Type: "xsd:dateTime", Required: true},
		Field{Path: "response/responseInfo/sessionId", Row: 6, Type: "guid", WireNote: msg.F("Filled by the gateway")},
		Field{Path: "response/responseInfo/status", Row: 7, Type: "StatusInfo", Required: true},
		Field{Path: "response/responseInfo/status/code", Row: 8, Type: "xsd:int", Required: true,
			WireNote: msg.F("A string in %s (StatusInfo); real owners answer \"Success\"", wsdlCommon)},
		Field{Path: "response/responseInfo/status/message", Row: 9, Type: "xsd:string", Required: true,
			WireNote: msg.F("At most 250 characters in %s", wsdlCommon)},
		Field{Path: "response/responseData", Row: 10, Type: "responsedata", Required: true},
		Field{Path: "response/responseData/data", Row: 11, Type: "xsd:Anytype",
			WireNote: msg.F("Business data, not checked by the gateway (R-2.5)")},
	),
	table("A1-T21", "Fault/detail/SendMessageFault1_SendMessageFault/",
		Field{Path: "", Row: 0, Type: "ErrorInfo", Required: true},
		Field{Path: "errorCode", Row: 1, Type: "xsd:string", Required: true},
		Field{Path: "errorMessage", Row: 2, Type: "xsd:string", Required: true},
		Field{Path: "errorData", Row: 3, Type: "xsd:string"},
		Field{Path: "errorDate", Row: 4, Type: "xsd:dateTime",
			WireNote: msg.F("Required in %s (ErrorInfo), so the wire requires it", wsdlCommon)},
		Field{Path: "subError", Row: 5, Type: "ErrorInfo"},
		Field{Path: "sessionId", Row: 6, Type: "Guid"},
	),
	table("A1-T22", "rest:",
		Field{Path: "request", Row: 1, Type: "SyncsendMessagerequest", Required: true},
		Field{Path: "request/requestInfo", Row: 2, Type: "SyncMessageInfo", Required: true},
		Field{Path: "request/requestInfo/messageId", Row: 3, Type: "string", Required: true},
		Field{Path: "request/requestInfo/serviceid", Row: 4, Type: "string", Required: true, OtherSpelling: "serviceId",
			WireNote: msg.F("No gateway contract exists for REST, so the REST wire follows the Rules' table as printed: %q (the SOAP channel's WSDL has %q)", "serviceid", "serviceId")},
		Field{Path: "request/requestInfo/messegeDate", Row: 5, Type: "dateTime", Required: true, OtherSpelling: "messageDate",
			WireNote: msg.F("No gateway contract exists for REST, so the REST wire follows the Rules' table as printed: %q (the SOAP channel's WSDL has %q)", "messegeDate", "messageDate")},
		Field{Path: "request/requestInfo/routeId", Row: 6, Type: "string"},
		Field{Path: "request/requestInfo/sender", Row: 7, Type: "senderinfo", Required: true},
		Field{Path: "request/requestInfo/sender/senderId", Row: 8, Type: "string", Required: true},
		Field{Path: "request/requestInfo/sender/password", Row: 9, Type: "string", Required: true},
		Field{Path: "request/requestData", Row: 10, Type: "requestData", Required: true},
		Field{Path: "request/requestData/data", Row: 11, Type: "Anytype"},
	),
	table("A1-T23", "rest:",
		Field{Path: "response", Row: 1, Type: "SyncsendMessageresponse", Required: true},
		Field{Path: "response/responseInfo", Row: 2, Type: "SyncMessageInfoResponse", Required: true},
		Field{Path: "response/responseInfo/messageId", Row: 3, Type: "string", Required: true},
		Field{Path: "response/responseInfo/responseDate", Row: 4, Type: "dateTime", Required: true},
		Field{Path: "response/responseInfo/message", Row: 5, Type: "string", Required: true},
		Field{Path: "response/responseData", Row: 6, Type: "responsedata", Required: true},
		Field{Path: "response/responseData/data", Row: 7, Type: "Anytype"},
	),
)

func concat(tables ...[]Field) []Field {
	var all []Field
	for _, t := range tables {
		all = append(all, t...)
	}
	return all
}

// FieldAt returns the table row at a wire path, or of its nearest enclosing element.
func FieldAt(path string) (Field, bool) {
	for p := path; p != ""; {
		for _, f := range Fields {
			if f.Path == p {
				return f, true
			}
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return Field{}, false
}

// fieldSpeltOtherwise finds the row under parent that name is another spelling of.
func fieldSpeltOtherwise(parent, name string) (Field, bool) {
	for _, f := range Fields {
		if !strings.HasPrefix(f.Path, parent+"/") || strings.Count(f.Path, "/") != strings.Count(parent, "/")+1 {
			continue
		}
		if f.OtherSpelling == name || (f.Name() != name && strings.EqualFold(f.Name(), name)) {
			return f, true
		}
	}
	return Field{}, false
}

// firstRequired picks, among the elements a schema engine expected under parent, the first one the
// Rules require: libxml2 lists the optional elements that could also come first ("one of
// ( correlationId, serviceId )"), but the one missing is the required one.
func firstRequired(parent string, expected []string) string {
	for _, name := range expected {
		if f, ok := FieldAt(parent + "/" + name); ok && f.Path == parent+"/"+name && f.Required {
			return name
		}
	}
	return expected[0]
}

// MessageKind names the message a channel expects at one point, for breaches that no field can
// place (a wrong wrapper namespace, a document that is not XML): "SendMessage" -> A1-T19 row 1.
type MessageKind struct {
	Element string // wire path prefix of the message, "SendMessage", "SendMessageResponse", "rest:request"
	Table   string
	Desc    msg.Text // "a SOAP 1.1 envelope whose Body holds SendMessage in http://bip.bee.kz/SyncChannel/v10/Types"
}

var (
	SyncRequestMsg  = MessageKind{"SendMessage", "A1-T19", envelopeHolding("SendMessage", SyncNS)}
	SyncResponseMsg = MessageKind{"SendMessageResponse", "A1-T20", envelopeOrFault("SendMessageResponse", SyncNS)}
	RESTRequestMsg  = MessageKind{"rest:request", "A1-T22", msg.F("a JSON object %s", `{"request": {"requestInfo": ..., "requestData": ...}}`)}
	RESTResponseMsg = MessageKind{"rest:response", "A1-T23", msg.F("a JSON object %s", `{"response": {"responseInfo": ..., "responseData": ...}}`)}
)

// envelopeHolding describes a SOAP message by its Body's element and namespace.
func envelopeHolding(element, ns string) msg.Text {
	return msg.F("a SOAP 1.1 envelope whose Body holds %s in %s", element, ns)
}

// envelopeOrFault describes an answer: the element in the namespace, or a SOAP fault.
func envelopeOrFault(element, ns string) msg.Text {
	return msg.F("a SOAP 1.1 envelope whose Body holds %s in %s, or a Fault", element, ns)
}

// Explain turns a schema violation of a message into the rule it breaks: the table row, what the
// row expects, what the message holds instead and how to fix it.
func Explain(v schema.Violation, m MessageKind) *rule.Breach { return explain(v, m, SyncNS) }

// explain is Explain for a channel whose message elements are in namespace ns.
func explain(v schema.Violation, m MessageKind, ns string) *rule.Breach {
	// The schema engine's own message is quoted as it gave it.
	b := &rule.Breach{Line: v.Line, Observed: msg.Quoted(v.Message)}
	path := strings.TrimPrefix(v.Path, "Envelope/Body/")
	if strings.HasPrefix(m.Element, "rest:") {
		path = "rest:" + v.Path
	}
	parent := path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		parent = path[:i]
	}
	var target string
	switch {
	case v.Kind == schema.Syntax || v.Path == "" || path == "Envelope" || path == "Envelope/Body":
		b.Rule = m.Table + " row 1"
		b.Expected = m.Desc
		b.Fix = msg.F("send %s", m.Desc)
		return b
	case v.Kind == schema.Missing && len(v.Expected) > 0:
		missing := firstRequired(path, v.Expected)
		target = path + "/" + missing
		b.Observed = msg.F("no %s in %s", missing, messagePath(path))
	case v.Kind == schema.Unexpected && len(v.Expected) > 0:
		missing := firstRequired(parent, v.Expected)
		target = parent + "/" + missing
		b.Observed = msg.F("element %s where %s was expected", v.Found, missing)
	case v.Kind == schema.Unexpected && !strings.Contains(path, "/"):
		// The wrapper itself is unknown: wrong namespace or wrong operation.
		b.Rule = m.Table + " row 1"
		b.Field = msg.Raw(m.Element)
		b.Expected = m.Desc
		b.Fix = msg.F("put the message element in the channel's namespace, %s", ns)
		return b
	case v.Kind == schema.Unexpected:
		target = parent
		b.Observed = msg.F("element %s, which the schema does not allow here", v.Found)
	default:
		target = path
		if i := strings.Index(v.Message, "': "); i >= 0 {
			b.Observed = msg.Quoted(v.Message[i+3:])
		}
	}
	f, ok := FieldAt(target)
	if !ok {
		b.Rule = m.Table
		b.Field = msg.Raw(messagePath(target))
		b.Expected = m.Desc
		return b
	}
	b.Rule = f.Rule()
	b.Field = msg.Raw(f.Where())
	b.Expected = f.describe()
	b.Note = f.WireNote
	switch {
	case v.Kind == schema.Unexpected && v.Found != "":
		if spelt, ok := fieldSpeltOtherwise(parent, v.Found); ok {
			b.Rule, b.Field, b.Expected, b.Note = spelt.Rule(), msg.Raw(spelt.Where()), spelt.describe(), spelt.WireNote
			b.Fix = msg.F("rename %s to %s", v.Found, spelt.Name())
		} else if target == parent {
			b.Fix = msg.F("remove %s", v.Found)
		} else {
			b.Fix = msg.F("send %s at this place, in the order of the schema", f.Name())
		}
	case v.Kind == schema.Missing:
		b.Fix = msg.F("add %s to %s", f.Name(), messagePath(path))
	default:
		b.Fix = msg.F("give %s a value of its type (%s)", f.Name(), f.Type)
	}
	return b
}
