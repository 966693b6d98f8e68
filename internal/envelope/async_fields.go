package envelope

import (
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
)

var (
	wsdlAsync    = msg.F("the gateway's WSDL (AsyncChannel/v10)")
	businessData = msg.F("Business data, not checked by the gateway (R-2.5)")
)

// asyncInfoRows are the rows of the message metadata shared by A1-T1 and A1-T13 (rows 2-15): the
// two tables have the same rows in the same order.
func asyncInfoRows(prefix string) []Field {
	return []Field{
		{Path: prefix + "request", Row: 1, Type: "AsyncSendMessagerequest", Required: true},
		{Path: prefix + "request/messageInfo", Row: 2, Type: "AsyncMessageInfo", Required: true},
		{Path: prefix + "request/messageInfo/messageId", Row: 3, Type: "xsd:string",
			WireNote: msg.F("Set by the gateway: it must be empty when a message is sent to the gateway (A1-T13 row 3, O-5); optional in %s", wsdlAsync)},
		{Path: prefix + "request/messageInfo/correlationId", Row: 4, Type: "xsd:string",
			WireNote: msg.F("Empty for REQUEST, the chain's identifier for every later message (A1-T13 row 4, O-6)")},
		{Path: prefix + "request/messageInfo/serviceId", Row: 5, Type: "xsd:string", Required: true, OtherSpelling: "serviceid"},
		{Path: prefix + "request/messageInfo/messageType", Row: 6, Type: "xsd:string", Required: true,
			WireNote: msg.F("The Rules name only REQUEST (O-7); %s allows REQUEST, RESPONSE, NOTIFICATION and UPDATE", wsdlAsync)},
		{Path: prefix + "request/messageInfo/routeId", Row: 7, Type: "xsd:string"},
		{Path: prefix + "request/messageInfo/messageDate", Row: 8, Type: "xsd:dateTime", Required: true, OtherSpelling: "messegeDate"},
		{Path: prefix + "request/messageInfo/sessionId", Row: 9, Type: "guid",
			WireNote: msg.F("Filled by the gateway; required by the Rules' table but optional in %s (O-8); a guid is a UUID in curly braces", wsdlAsync)},
		{Path: prefix + "request/messageInfo/sender", Row: 10, Type: "SenderInfo", Required: true},
		{Path: prefix + "request/messageInfo/sender/senderId", Row: 11, Type: "xsd:string", Required: true},
		{Path: prefix + "request/messageInfo/sender/password", Row: 12, Type: "xsd:string"},
		{Path: prefix + "request/messageInfo/properties", Row: 13, Type: "property"},
		{Path: prefix + "request/messageInfo/properties/key", Row: 14, Type: "xsd:int",
			WireNote: msg.F("A string of at most 30 characters in %s (O-10)", wsdlCommon)},
		{Path: prefix + "request/messageInfo/properties/value", Row: 15, Type: "xsd:int",
			WireNote: msg.F("A string of at most 500 characters in %s (O-10)", wsdlCommon)},
		{Path: prefix + "request/messageData", Row: 16, Type: "messagedata", Required: true},
		{Path: prefix + "request/messageData/data", Row: 17, Type: "xsd:Anytype",
			WireNote: msg.F("Optional in A1-T1 but required in %s and when delivered (A1-T13 row 17, O-12); %s", wsdlAsync, businessData)},
	}
}

// asyncFaultRows are the rows of an asynchronous fault table (A1-T3, T6, T9, T12, T15, T18).
func asyncFaultRows() []Field {
	return []Field{
		{Path: "", Row: 1, Type: "ErrorInfo", Required: true},
		{Path: "errorCode", Row: 2, Type: "xsd:string", Required: true},
		{Path: "errorMessage", Row: 2, Type: "xsd:string", Required: true,
			WireNote: msg.F("Not in the Rules' asynchronous fault tables (O-13); required by %s (ErrorInfo), so the wire carries it", wsdlCommon)},
		{Path: "errorData", Row: 3, Type: "xsd:string", Required: true,
			WireNote: msg.F("Optional in %s; the gateway always fills it", wsdlCommon)},
		{Path: "errorDate", Row: 4, Type: "xsd:dateTime", Required: true},
		{Path: "subError", Row: 5, Type: "ErrorInfo"},
		{Path: "sessionId", Row: 6, Type: "guid"},
	}
}

// AsyncFields are the rows of the tables A1-T1 to A1-T18 (Appendix 1 section 1) at their wire paths.
// A1-T13/T14/T15 share the wire elements of A1-T1/T2/T3 row for row: ExplainAsync renames the table.
var AsyncFields = concat(
	table("A1-T1", "", asyncInfoRows("sendMessage/")...),
	table("A1-T2", "sendMessageResponse/",
		Field{Path: "response", Row: 1, Type: "AsyncSendMessagerequest", Required: true,
			WireNote: msg.F("The Rules type the response AsyncSendMessagerequest, a copy error (O-4); the WSDL has AsyncSendMessageResponse")},
		Field{Path: "response/messageId", Row: 2, Type: "xsd:string", Required: true},
		Field{Path: "response/correlationId", Row: 3, Type: "xsd:string", Required: true},
		Field{Path: "response/responseDate", Row: 4, Type: "xsd:dateTime", Required: true},
		Field{Path: "response/sessionId", Row: 5, Type: "guid"},
	),
	table("A1-T3", "Fault/detail/sendMessageFault1_sendMessageFault/", asyncFaultRows()...),
	table("A1-T4", "sendDeliveryNotification/",
		Field{Path: "request", Row: 1, Type: "AsyncSendDeliveryNotificationRequest", Required: true},
		Field{Path: "request/notification", Row: 2, Type: "DeliveryNotification", Required: true},
		Field{Path: "request/notification/messageId", Row: 3, Type: "xsd:string", Required: true},
		Field{Path: "request/notification/serviceId", Row: 4, Type: "xsd:string", Required: true, OtherSpelling: "serviceid",
			WireNote: msg.F("The Rules print %q; %s uses %q, so the wire does", "serviceid", wsdlAsync, "serviceId")},
		Field{Path: "request/notification/notificationDate", Row: 5, Type: "xsd:dateTime", Required: true},
		Field{Path: "request/notification/deliveryStatus", Row: 6, Type: "deliveryStatusInfo", Required: true},
		Field{Path: "request/notification/deliveryStatus/receiveStatus", Row: 7, Type: "xsd:string", Required: true,
			WireNote: msg.F("MESSAGE_ACCEPTED or MESSAGE_NOT_ACCTEPTED, spelt as in the Rules and the WSDL (O-17)")},
		Field{Path: "request/notification/deliveryStatus/statusDate", Row: 8, Type: "xsd:dateTime", Required: true},
		Field{Path: "request/notification/deliveryStatus/resendMessage", Row: 9, Type: "xsd:string", Required: true,
			WireNote: msg.F("The Rules give no values (O-16); %s allows RESEND and NOT_RESEND", wsdlAsync)},
		Field{Path: "request/notification/deliveryStatus/error", Row: 10, Type: "ErrorInfo"},
		Field{Path: "request/requestDate", Row: 16, Type: "xsd:dateTime", Required: true},
		Field{Path: "request/sender", Row: 17, Type: "SenderInfo"},
		Field{Path: "request/sender/senderId", Row: 18, Type: "xsd:string", Required: true},
		Field{Path: "request/sender/password", Row: 19, Type: "xsd:string"},
	),
	table("A1-T5", "sendDeliveryNotificationResponse/",
		Field{Path: "response", Row: 1, Type: "AsyncSendDeliveryNotificationResponse", Required: true},
		Field{Path: "response/notificationId", Row: 2, Type: "xsd:string", Required: true},
		Field{Path: "response/responseDate", Row: 3, Type: "xsd:dateTime", Required: true},
		Field{Path: "response/sessionId", Row: 4, Type: "guid", WireNote: msg.F("Optional in the Rules, required in %s", wsdlAsync)},
	),
	table("A1-T6", "Fault/detail/sendDeliveryNotificationFault1_sendDeliveryNotificationFault/", asyncFaultRows()...),
	table("A1-T7", "getMessageStatus/",
		Field{Path: "request", Row: 1, Type: "AsyncGetmessagestatus", Required: true},
		Field{Path: "request/messageId", Row: 2, Type: "xsd:string", Required: true},
		Field{Path: "request/requestDate", Row: 3, Type: "xsd:dateTime", Required: true},
		Field{Path: "request/sender", Row: 4, Type: "senderinfo", Required: true},
		Field{Path: "request/sender/senderId", Row: 5, Type: "xsd:string", Required: true},
		Field{Path: "request/sender/password", Row: 6, Type: "xsd:string"},
		Field{Path: "request/properties", Row: 7, Type: "property"},
		Field{Path: "request/properties/key", Row: 8, Type: "xsd:int"},
		Field{Path: "request/properties/value", Row: 9, Type: "xsd:int"},
	),
	table("A1-T8", "getMessageStatusResponse/",
		Field{Path: "response", Row: 1, Type: "AsyncGetmessagestatusResponse", Required: true},
		Field{Path: "response/messageState", Row: 2, Type: "messageState", Required: true},
		Field{Path: "response/responseDate", Row: 3, Type: "xsd:dateTime", Required: true},
		Field{Path: "response/sessionId", Row: 4, Type: "xsd:string"},
		Field{Path: "response/status", Row: 5, Type: "MessagestatusInfo", Required: true},
		Field{Path: "response/status/statusCode", Row: 6, Type: "xsd:int", Required: true,
			WireNote: msg.F("The Rules print \"statusсode\" with a Cyrillic с and type it xsd:int (O-14); %s has statusCode, a string", wsdlAsync)},
		Field{Path: "response/status/statusMessage", Row: 7, Type: "xsd:string", Required: true, OtherSpelling: "statusmessage"},
		Field{Path: "response/status/statusDate", Row: 8, Type: "xsd:dateTime", Required: true},
	),
	table("A1-T9", "Fault/detail/getMessageStatusFault1_getMessageStatusFault/", asyncFaultRows()...),
	table("A1-T10", "getMessages/",
		Field{Path: "request", Row: 1, Type: "AsyncGetmessagesRequest", Required: true},
		Field{Path: "request/messageId", Row: 2, Type: "xsd:string"},
		Field{Path: "request/correlationId", Row: 3, Type: "xsd:string"},
		Field{Path: "request/requestDate", Row: 4, Type: "xsd:dateTime", OtherSpelling: "requestdate",
			WireNote: msg.F("The Rules print %q; %s uses %q, so the wire does", "requestdate", wsdlAsync, "requestDate")},
		Field{Path: "request/serviceId", Row: 5, Type: "xsd:string", Required: true},
		Field{Path: "request/sender", Row: 6, Type: "Senderinfo",
			WireNote: msg.F("Optional in the Rules and the WSDL (O-12), but the gateway cannot select \"the recipient's\" messages without it (R-53(2))")},
		Field{Path: "request/sender/senderId", Row: 7, Type: "xsd:string", Required: true},
		Field{Path: "request/sender/password", Row: 8, Type: "xsd:string"},
		Field{Path: "request/amount", Row: 9, Type: "xsd:int"},
		Field{Path: "request/properties", Row: 10, Type: "Property", Required: true,
			WireNote: msg.F("Required by the Rules, optional in %s (O-10); the wire follows the WSDL", wsdlAsync)},
		Field{Path: "request/properties/key", Row: 11, Type: "xsd:string", Required: true},
		Field{Path: "request/properties/value", Row: 12, Type: "xsd:string", Required: true},
	),
	table("A1-T11", "getMessagesResponse/",
		Field{Path: "response", Row: 1, Type: "AsyncGetmessageResponse", Required: true},
		Field{Path: "response/responseDate", Row: 2, Type: "xsd:dateTime", Required: true},
		Field{Path: "response/sessionId", Row: 3, Type: "xsd:string", Required: true},
		Field{Path: "response/messages", Row: 4, Type: "Asynmessage"},
		Field{Path: "response/messages/messageInfo", Row: 5, Type: "Asynmessageinfo", Required: true},
		Field{Path: "response/messages/messageData", Row: 19, Type: "messageData", Required: true},
		Field{Path: "response/messages/messageData/data", Row: 20, Type: "xsd:Anytype", Required: true, WireNote: businessData},
	),
	table("A1-T12", "Fault/detail/getMessagesFault1_getMessagesFault/", asyncFaultRows()...),
	table("A1-T16", "changeMassageStatusNotification/",
		Field{Path: "request", Row: 1, Type: "AsyncChangeMessageStatusNotificationRequest", Required: true},
		Field{Path: "request/notification", Row: 2, Type: "ChangeStatusNotification", Required: true},
		Field{Path: "request/notification/notificationId", Row: 3, Type: "xsd:string", Required: true, OtherSpelling: "notificationid"},
		Field{Path: "request/notification/messageId", Row: 4, Type: "xsd:string", Required: true},
		Field{Path: "request/notification/notificationDate", Row: 5, Type: "xsd:dateTime", Required: true},
		Field{Path: "request/notification/messageState", Row: 6, Type: "messageState", Required: true},
		Field{Path: "request/notification/status", Row: 7, Type: "messageStatusinfo", Required: true, OtherSpelling: "Status"},
		Field{Path: "request/notification/status/statusCode", Row: 8, Type: "xsd:string", Required: true},
		Field{Path: "request/notification/status/statusMessage", Row: 9, Type: "xsd:string", Required: true},
		Field{Path: "request/notification/status/statusDate", Row: 10, Type: "xsd:dateTime", Required: true},
		Field{Path: "request/notification/error", Row: 11, Type: "ErrorInfo"},
		Field{Path: "request/requestDate", Row: 18, Type: "xsd:dateTime", Required: true, OtherSpelling: "requestdate"},
		Field{Path: "request/sessionId", Row: 19, Type: "guid", OtherSpelling: "sessionid"},
	),
	table("A1-T17", "changeMassageStatusNotificationResponse/",
		Field{Path: "response", Row: 1, Type: "AsyncChangeMessageStatusNotificationResponse", Required: true},
		Field{Path: "response/responseDate", Row: 2, Type: "xsd:dateTime", Required: true},
		Field{Path: "response/sessionId", Row: 3, Type: "guid", Required: true, OtherSpelling: "sessionid",
			WireNote: msg.F("Echoes the request's sessionId (O-8)")},
	),
	table("A1-T18", "Fault/detail/changeMassageStatusNotificationFault1_changeMassageStatusNotificationFault/", asyncFaultRows()...),
)

// The asynchronous fields join the synchronous ones, so FieldAt and Explain know every table.
func init() { Fields = append(Fields, AsyncFields...) }

// Messages of the asynchronous channel, for breaches no field can place.
var (
	AsyncSendMessageMsg   = MessageKind{"sendMessage", "A1-T1", envelopeHolding("sendMessage", AsyncNS)}
	AsyncDeliveryNotifMsg = MessageKind{"sendDeliveryNotification", "A1-T4", envelopeHolding("sendDeliveryNotification", AsyncNS)}
	AsyncGetStatusMsg     = MessageKind{"getMessageStatus", "A1-T7", envelopeHolding("getMessageStatus", AsyncNS)}
	AsyncGetMessagesMsg   = MessageKind{"getMessages", "A1-T10", envelopeHolding("getMessages", AsyncNS)}
	// AsyncGatewayMsg is any request of the gateway's asynchronous interface, before its element is known.
	AsyncGatewayMsg = MessageKind{"", "A1-T1", msg.F("a SOAP 1.1 envelope whose Body holds %s, %s, %s or %s in %s", "sendMessage", "sendDeliveryNotification", "getMessageStatus", "getMessages", AsyncNS)}
	// The participant's answers to the gateway's pushes (A1-T14, A1-T15, A1-T17, A1-T18).
	AsyncPushAnswerMsg   = MessageKind{"sendMessageResponse", "A1-T14", envelopeOrFault("sendMessageResponse", AsyncNS)}
	AsyncStatusAnswerMsg = MessageKind{"changeMassageStatusNotificationResponse", "A1-T17", envelopeOrFault("changeMassageStatusNotificationResponse", AsyncClientNS)}
)

// ExplainAsync is Explain for the asynchronous channel: the participant-side tables A1-T13 to T15
// share their wire elements, row for row, with A1-T1 to T3, so a breach found in a message pushed to
// or answered by a participant is renamed to the participant's table.
func ExplainAsync(v schema.Violation, m MessageKind) *rule.Breach {
	b := explain(v, m, AsyncNS)
	if m.Table == "A1-T14" {
		b.Rule = strings.Replace(b.Rule, "A1-T2 ", "A1-T14 ", 1)
		b.Rule = strings.Replace(b.Rule, "A1-T3 ", "A1-T15 ", 1)
	}
	if m.Table == "A1-T13" {
		b.Rule = strings.Replace(b.Rule, "A1-T1 ", "A1-T13 ", 1)
	}
	return b
}
