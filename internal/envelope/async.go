package envelope

import "encoding/xml"

// Namespaces of the asynchronous channel's wrappers, as in the gateway's WSDL: the gateway's
// interface (IAsyncChannel, whose sendMessage elements the participant's interface reuses) and the
// participant's status notification (IAsyncChannelClient).
const (
	AsyncNS       = "http://bip.bee.kz/AsyncChannel/v10/Types"
	AsyncClientNS = "http://bip.bee.kz/AsyncChannel/v10/Types/Client"
)

// Message types (A1-T1 row 6). The Rules name only REQUEST, the first message of an interaction
// (O-7); the WSDL adds the types of the later messages of a chain.
const (
	TypeRequest      = "REQUEST"
	TypeResponse     = "RESPONSE"
	TypeNotification = "NOTIFICATION"
	TypeUpdate       = "UPDATE"
)

// Message states (A1-T8 row 2, A1-T16 row 6), as the WSDL enumerates them (O-14).
const (
	OnDelivery      = "ON_DELIVERY"
	Delivered       = "DELIVERED"
	NotDelivered    = "NOT_DELIVERED"
	DeliveryStopped = "DELIVERY_STOPPED"
)

// Delivery notification values (A1-T4 rows 7 and 9), spelt as in the Rules and the WSDL (O-17).
const (
	MessageAccepted    = "MESSAGE_ACCEPTED"
	MessageNotAccepted = "MESSAGE_NOT_ACCTEPTED"
	Resend             = "RESEND"
	NotResend          = "NOT_RESEND"
)

// AsyncMessageInfo is the message metadata, A1-T1 rows 2-15 (A1-T11 rows 5-18, A1-T13 rows 2-15), in
// the WSDL's order.
type AsyncMessageInfo struct {
	MessageID     string     `xml:"messageId,omitempty"`     // row 3: set by the gateway (O-5)
	CorrelationID string     `xml:"correlationId,omitempty"` // row 4: set by the gateway for REQUEST (O-6)
	ServiceID     string     `xml:"serviceId"`               // row 5
	MessageType   string     `xml:"messageType"`             // row 6
	RouteID       string     `xml:"routeId,omitempty"`       // row 7
	MessageDate   DateTime   `xml:"messageDate"`             // row 8
	Sender        SenderInfo `xml:"sender"`                  // rows 10-12
	Properties    []Property `xml:"properties,omitempty"`    // rows 13-15
	SessionID     string     `xml:"sessionId,omitempty"`     // row 9: set by the gateway
}

// AsyncSendMessageRequest is A1-T1 (and A1-T13 when the gateway pushes it).
type AsyncSendMessageRequest struct {
	MessageInfo AsyncMessageInfo `xml:"messageInfo"`
	MessageData Data             `xml:"messageData"`
}

// AsyncSendMessage is the sendMessage element, to the gateway (A1-T1) or pushed to a participant (A1-T13).
type AsyncSendMessage struct {
	Request AsyncSendMessageRequest `xml:"request"`
}

func (AsyncSendMessage) Element() xml.Name { return xml.Name{Space: AsyncNS, Local: "sendMessage"} }

// AsyncSendMessageResponse is A1-T2 (and A1-T14).
type AsyncSendMessageResponse struct {
	MessageID     string   `xml:"messageId"`
	CorrelationID string   `xml:"correlationId"`
	ResponseDate  DateTime `xml:"responseDate"`
	SessionID     string   `xml:"sessionId,omitempty"`
}

// AsyncSendMessageAnswer is the sendMessageResponse element.
type AsyncSendMessageAnswer struct {
	Response AsyncSendMessageResponse `xml:"response"`
}

func (AsyncSendMessageAnswer) Element() xml.Name {
	return xml.Name{Space: AsyncNS, Local: "sendMessageResponse"}
}

// DeliveryStatusInfo is A1-T4 rows 6-15.
type DeliveryStatusInfo struct {
	ReceiveStatus string     `xml:"receiveStatus"`
	StatusDate    DateTime   `xml:"statusDate"`
	ResendMessage string     `xml:"resendMessage"`
	Error         *ErrorInfo `xml:"error,omitempty"`
}

// DeliveryNotification is A1-T4 rows 2-15.
type DeliveryNotification struct {
	MessageID        string             `xml:"messageId"`
	ServiceID        string             `xml:"serviceId"` // printed "serviceid" in the Rules
	NotificationDate DateTime           `xml:"notificationDate"`
	DeliveryStatus   DeliveryStatusInfo `xml:"deliveryStatus"`
}

// AsyncSendDeliveryNotification is the sendDeliveryNotification element (A1-T4).
type AsyncSendDeliveryNotification struct {
	Request struct {
		Notification DeliveryNotification `xml:"notification"`
		RequestDate  DateTime             `xml:"requestDate"`
		Sender       *SenderInfo          `xml:"sender,omitempty"`
	} `xml:"request"`
}

func (AsyncSendDeliveryNotification) Element() xml.Name {
	return xml.Name{Space: AsyncNS, Local: "sendDeliveryNotification"}
}

// AsyncSendDeliveryNotificationAnswer is the sendDeliveryNotificationResponse element (A1-T5).
type AsyncSendDeliveryNotificationAnswer struct {
	Response struct {
		NotificationID string   `xml:"notificationId"`
		ResponseDate   DateTime `xml:"responseDate"`
		SessionID      string   `xml:"sessionId"`
	} `xml:"response"`
}

func (AsyncSendDeliveryNotificationAnswer) Element() xml.Name {
	return xml.Name{Space: AsyncNS, Local: "sendDeliveryNotificationResponse"}
}

// AsyncGetMessageStatus is the getMessageStatus element (A1-T7).
type AsyncGetMessageStatus struct {
	Request struct {
		MessageID   string     `xml:"messageId"`
		RequestDate DateTime   `xml:"requestDate"`
		Sender      SenderInfo `xml:"sender"`
		Properties  []Property `xml:"properties,omitempty"`
	} `xml:"request"`
}

func (AsyncGetMessageStatus) Element() xml.Name {
	return xml.Name{Space: AsyncNS, Local: "getMessageStatus"}
}

// MessageStatusInfo is A1-T8 rows 5-8 and A1-T16 rows 7-10.
type MessageStatusInfo struct {
	StatusCode    string   `xml:"statusCode"`
	StatusMessage string   `xml:"statusMessage"`
	StatusDate    DateTime `xml:"statusDate"`
}

// AsyncGetMessageStatusAnswer is the getMessageStatusResponse element (A1-T8), in the WSDL's order.
type AsyncGetMessageStatusAnswer struct {
	Response struct {
		MessageState string            `xml:"messageState"`
		Status       MessageStatusInfo `xml:"status"`
		ResponseDate DateTime          `xml:"responseDate"`
		SessionID    string            `xml:"sessionId,omitempty"`
	} `xml:"response"`
}

func (AsyncGetMessageStatusAnswer) Element() xml.Name {
	return xml.Name{Space: AsyncNS, Local: "getMessageStatusResponse"}
}

// AsyncGetMessagesRequest is A1-T10.
type AsyncGetMessagesRequest struct {
	MessageID     string      `xml:"messageId,omitempty"`
	CorrelationID string      `xml:"correlationId,omitempty"`
	RequestDate   *DateTime   `xml:"requestDate,omitempty"`
	ServiceID     string      `xml:"serviceId"`
	Sender        *SenderInfo `xml:"sender,omitempty"`
	Amount        *int        `xml:"amount,omitempty"`
	Properties    []Property  `xml:"properties,omitempty"`
}

// AsyncGetMessages is the getMessages element (A1-T10).
type AsyncGetMessages struct {
	Request AsyncGetMessagesRequest `xml:"request"`
}

func (AsyncGetMessages) Element() xml.Name { return xml.Name{Space: AsyncNS, Local: "getMessages"} }

// AsyncGetMessagesAnswer is the getMessagesResponse element (A1-T11).
type AsyncGetMessagesAnswer struct {
	Response struct {
		ResponseDate DateTime                  `xml:"responseDate"`
		SessionID    string                    `xml:"sessionId"`
		Messages     []AsyncSendMessageRequest `xml:"messages"` // AsyncMessage: the same two blocks
	} `xml:"response"`
}

func (AsyncGetMessagesAnswer) Element() xml.Name {
	return xml.Name{Space: AsyncNS, Local: "getMessagesResponse"}
}

// ChangeStatusNotification is A1-T16 rows 2-17.
type ChangeStatusNotification struct {
	NotificationID   string            `xml:"notificationId"` // printed "notificationid" in the Rules
	MessageID        string            `xml:"messageId"`
	NotificationDate DateTime          `xml:"notificationDate"`
	MessageState     string            `xml:"messageState"`
	Status           MessageStatusInfo `xml:"status"` // printed "Status" in the Rules
	Error            *ErrorInfo        `xml:"error,omitempty"`
}

// ChangeMassageStatusNotification is the participant's status notification element (A1-T16), spelt
// as in the gateway's WSDL.
type ChangeMassageStatusNotification struct {
	Request struct {
		Notification ChangeStatusNotification `xml:"notification"`
		RequestDate  DateTime                 `xml:"requestDate"`
		SessionID    string                   `xml:"sessionId,omitempty"`
	} `xml:"request"`
}

func (ChangeMassageStatusNotification) Element() xml.Name {
	return xml.Name{Space: AsyncClientNS, Local: "changeMassageStatusNotification"}
}

// ChangeMassageStatusNotificationAnswer is the participant's answer (A1-T17).
type ChangeMassageStatusNotificationAnswer struct {
	Response struct {
		ResponseDate DateTime `xml:"responseDate"`
		SessionID    string   `xml:"sessionId"`
	} `xml:"response"`
}

func (ChangeMassageStatusNotificationAnswer) Element() xml.Name {
	return xml.Name{Space: AsyncClientNS, Local: "changeMassageStatusNotificationResponse"}
}

// Fault detail elements of the asynchronous channel: one per method in the WSDL, all ErrorInfo
// (A1-T3, T6, T9, T12, T15, T18).
var (
	AsyncSendMessageFault       = xml.Name{Space: AsyncNS, Local: "sendMessageFault1_sendMessageFault"}
	AsyncDeliveryNotifyFault    = xml.Name{Space: AsyncNS, Local: "sendDeliveryNotificationFault1_sendDeliveryNotificationFault"}
	AsyncGetMessageStatusFault  = xml.Name{Space: AsyncNS, Local: "getMessageStatusFault1_getMessageStatusFault"}
	AsyncGetMessagesFault       = xml.Name{Space: AsyncNS, Local: "getMessagesFault1_getMessagesFault"}
	AsyncClientSendMessageFault = xml.Name{Space: AsyncClientNS, Local: "sendMessageFault1_sendMessageFault"}
	AsyncStatusNotifyFault      = xml.Name{Space: AsyncClientNS, Local: "changeMassageStatusNotificationFault1_changeMassageStatusNotificationFault"}
)
