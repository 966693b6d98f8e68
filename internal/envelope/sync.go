package envelope

import "encoding/xml"

// SendMessage is the request element of the synchronous channel (Appendix 1 section 2.1, A1-T19).
type SendMessage struct {
	Request SyncSendMessageRequest `xml:"request"`
}

func (SendMessage) Element() xml.Name { return xml.Name{Space: SyncNS, Local: "SendMessage"} }

// SyncSendMessageRequest is A1-T19 rows 1-16.
type SyncSendMessageRequest struct {
	RequestInfo SyncMessageInfo `xml:"requestInfo"` // row 2
	RequestData Data            `xml:"requestData"` // rows 15-16
}

// SyncMessageInfo is the request metadata, A1-T19 rows 2-14, in the WSDL's order.
type SyncMessageInfo struct {
	MessageID     string     `xml:"messageId"`               // row 3: the sender's id of the message
	CorrelationID string     `xml:"correlationId,omitempty"` // row 4
	ServiceID     string     `xml:"serviceId"`               // row 5, printed "serviceid" in the Rules
	MessageDate   DateTime   `xml:"messageDate"`             // row 6, printed "messegeDate" in the Rules
	RouteID       string     `xml:"routeId,omitempty"`       // row 7
	Sender        SenderInfo `xml:"sender"`                  // rows 9-11
	Properties    []Property `xml:"properties,omitempty"`    // rows 12-14
	SessionID     string     `xml:"sessionId,omitempty"`     // row 8: filled by the gateway
}

// SendMessageResponse is the response element of the synchronous channel (A1-T20).
type SendMessageResponse struct {
	Response SyncSendMessageResponse `xml:"response"`
}

func (SendMessageResponse) Element() xml.Name {
	return xml.Name{Space: SyncNS, Local: "SendMessageResponse"}
}

// SyncSendMessageResponse is A1-T20 rows 1-11.
type SyncSendMessageResponse struct {
	ResponseInfo SyncMessageInfoResponse `xml:"responseInfo"` // row 2
	ResponseData Data                    `xml:"responseData"` // rows 10-11
}

// SyncMessageInfoResponse is the response metadata, A1-T20 rows 2-9, in the WSDL's order.
type SyncMessageInfoResponse struct {
	MessageID     string     `xml:"messageId"`               // row 3: the owner's id of the message
	CorrelationID string     `xml:"correlationId,omitempty"` // row 4
	ResponseDate  DateTime   `xml:"responseDate"`            // row 5
	Status        StatusInfo `xml:"status"`                  // rows 7-9
	SessionID     string     `xml:"sessionId,omitempty"`     // row 6: filled by the gateway
}

// SyncFaultElement is the detail element of a synchronous fault (A1-T21).
var SyncFaultElement = xml.Name{Space: SyncNS, Local: "SendMessageFault1_SendMessageFault"}
