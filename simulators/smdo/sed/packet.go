package sed

import "encoding/json"

// The packet JSON as the router takes it: the SDIP-2.1.1 envelope carried in JSON (reconstructed
// from a working client; field names exactly so, spelling included).

// EnvelopeType is the envelope's type (SMDO-FORMAT).
const EnvelopeType = "SDIP-2.1.1"

// The message types of header.msg_type.
const (
	MsgAcknowledgement = 0
	MsgDocument        = 1
	MsgAdditions       = 2
)

// AskAcknowledgement is header.msg_acknow when the sender asks for delivery and registration
// notices (SMDO-ACK); 0 asks for none.
const AskAcknowledgement = 2

// The acknowledgement types and the errorcodes of a registration notice (SMDO-ACK).
const (
	AckDelivery     = 1
	AckRegistration = 2

	AckRegistered = 0 // registered
	AckNotSubject = 1 // not subject to registration
	AckRefused    = 2 // registration refused
)

// The add_type of a folder of additional materials (SMDO-ADD).
const (
	AddFiles    = 1
	ReplaceFile = 2
)

// routerID is from.idAbonent of the router's own packets (SMDO-NOTICE).
const routerID = "ROUTER"

// pkg is a package: what the client posts and puts, and what the router answers.
type pkg struct {
	PackageID   string       `json:"packageId,omitempty"`
	ConfirmID   string       `json:"confirmId,omitempty"`
	HeaderID    string       `json:"headerId,omitempty"`
	State       string       `json:"state,omitempty"`
	DateSent    string       `json:"dateSent"`
	ParentID    string       `json:"parentId,omitempty"`
	To          []abonent    `json:"to"`
	Body        packetBody   `json:"body"`
	Attachments []attachment `json:"attachments,omitempty"`
}

type abonent struct {
	IDAbonent     string `json:"idAbonent"`
	TypeAbonent   string `json:"typeAbonent"`
	Name          string `json:"name"`
	ApplicationID string `json:"applicationId,omitempty"`
}

// packetBody is the package's body: the envelope, or for the router's notices a message too.
type packetBody struct {
	Envelop *envelop `json:"envelop,omitempty"`
	Message string   `json:"message,omitempty"`
}

type envelop struct {
	Type    string      `json:"type"`
	MsgID   string      `json:"msg_id"`
	DTStamp string      `json:"dtstamp"`
	Subject string      `json:"subject"`
	Header  header      `json:"header"`
	Body    envelopBody `json:"body"`
}

type header struct {
	Sender    sender     `json:"sender"`
	Receiver  []receiver `json:"receiver"`
	MsgType   int        `json:"msg_type"`
	MsgAcknow int        `json:"msg_acknow"`
}

type sender struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type receiver struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// envelopBody holds one of a document, additional materials or an acknowledgement.
type envelopBody struct {
	Document        *document        `json:"document,omitempty"`
	AddDocuments    *addDocuments    `json:"addDocuments,omitempty"`
	Acknowledgement *acknowledgement `json:"acknowledgement,omitempty"`
}

type document struct {
	IDNumber    string        `json:"idnumber"`
	Kind        string        `json:"kind"`
	Type        int           `json:"type"`
	Pages       int           `json:"pages"`
	Title       string        `json:"title"`
	RegNumber   *regNumber    `json:"regNumber,omitempty"`
	DocParent   *docParent    `json:"docParent,omitempty"`
	DocTransfer []docTransfer `json:"docTransfer"`
}

type regNumber struct {
	Value   string `json:"value"`
	RegDate string `json:"regdate"`
}

type docParent struct {
	IDNumber     string     `json:"idnumber"`
	LastMsgID    string     `json:"lastmsg_id"`
	ParMsgID     string     `json:"parmsg_id"`
	ParOrgID     string     `json:"parorg_id"`
	DeliveryType *int       `json:"delivery_type,omitempty"`
	RegNumber    *regNumber `json:"regNumber,omitempty"`
}

type docTransfer struct {
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	Description string         `json:"description"`
	Data        transferData   `json:"data"`
	Signature   []transferSign `json:"signature,omitempty"`
}

type transferData struct {
	ReferenceID string `json:"referenceid"`
}

type transferSign struct {
	KeyID  string `json:"keyid"`
	Value  string `json:"value"`
	Signer string `json:"signer"`
}

type addDocuments struct {
	Folder []folder `json:"folder"`
}

type folder struct {
	AddType     int           `json:"add_type"`
	Contents    string        `json:"contents,omitempty"`
	Referred    referred      `json:"referred"`
	DocTransfer []docTransfer `json:"docTransfer"`
}

type referred struct {
	ReType    string     `json:"retype,omitempty"`
	IDNumber  string     `json:"idnumber"`
	RegNumber *regNumber `json:"regNumber,omitempty"`
}

type acknowledgement struct {
	MsgID     string      `json:"msg_id"`
	AckType   int         `json:"ack_type"`
	AckResult []ackResult `json:"ackResult"`
	RegNumber *regNumber  `json:"regNumber,omitempty"`
	IncNumber *regNumber  `json:"incNumber,omitempty"`
}

type ackResult struct {
	Value     string `json:"value"`
	ErrorCode int    `json:"errorcode"`
}

// attachment is a file of a package as the router lists it.
type attachment struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Size *int64 `json:"size,omitempty"` // nil when the answer gives none
	Sign []sign `json:"sign,omitempty"`
}

// sign is one signature of a file as put to …/attach/{attachId}/signs ("origSignatire" sic).
type sign struct {
	KeyID         string `json:"keyId"`
	Signer        string `json:"signer"`
	OperationType string `json:"operationType"`
	OrigSignatire string `json:"origSignatire"`
	Data          string `json:"data"`
}

// incomingItem is one package of the incoming list.
type incomingItem struct {
	ID          string       `json:"id"`
	ConfirmID   string       `json:"confirmId"`
	HeaderID    string       `json:"headerId"`
	ParentID    string       `json:"parentId"`
	From        abonent      `json:"from"`
	To          abonent      `json:"to"`
	DateSent    string       `json:"dateSent"`
	DateIn      string       `json:"dateIn"`
	Ack         bool         `json:"ack"`
	Attachments []attachment `json:"attachments"`
	Body        packetBody   `json:"body"`
}

// page is one page of the incoming list.
type page struct {
	Content       []json.RawMessage `json:"content"`
	HasNext       bool              `json:"hasNext"`
	Page          int               `json:"page"`
	Size          int               `json:"size"`
	TotalElements int               `json:"totalElements"`
}
