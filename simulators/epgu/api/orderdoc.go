package api

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Times in the order JSON are Moscow time with milliseconds and a numeric zone, as the EPGU-5.5
// sample writes them ("2022-07-25T13:01:52.121+0300"); the status feeds drop the zone
// ("2022-12-21T20:49:37.672", EPGU-5.4), and updatedAfter is read in that form too (EPGU-2.3.2).
const (
	msk   = "2006-01-02T15:04:05.000-0700"
	stamp = "2006-01-02T15:04:05.000"
)

var moscow = time.FixedZone("MSK", 3*60*60)

func mskTime(t time.Time) string   { return t.In(moscow).Format(msk) }
func stampTime(t time.Time) string { return t.In(moscow).Format(stamp) }

// statusDoc is one entry of statuses[] and the currentStatusHistory object (EPGU-T28).
type statusDoc struct {
	Date                  string `json:"date"`
	CancelAllowed         bool   `json:"cancelAllowed"`
	UnreadEvent           bool   `json:"unreadEvent"`
	DeliveryCancelAllowed bool   `json:"deliveryCancelAllowed"`
	FinalStatus           bool   `json:"finalStatus"`
	OrderID               int64  `json:"orderId"`
	StateOrgStatusCode    string `json:"stateOrgStatusCode"`
	Author                string `json:"author"`
	HasResult             string `json:"hasResult"` // "Y"/"N": a string, as in EPGU-T28 and the sample
	StateOrgStatusDescr   string `json:"stateOrgStatusDescr"`
	Title                 string `json:"title"`
	MfcFinalStatus        bool   `json:"mfcFinalStatus"`
	SendMessageAllowed    bool   `json:"sendMessageAllowed"`
	StatusID              int    `json:"statusId"`
	EditAllowed           bool   `json:"editAllowed"`
	Sender                string `json:"sender"`
	Mnemonic              string `json:"mnemonic"`
	Comment               string `json:"comment"`
	ID                    int64  `json:"id"`
}

// fileDoc is one entry of orderAttachmentFiles[] or orderResponseFiles[] (EPGU-T28).
type fileDoc struct {
	HasAltMimeType      *bool   `json:"hasAltMimeType,omitempty"`
	FileName            string  `json:"fileName"`
	EdsStatus           *string `json:"edsStatus,omitempty"`
	FileSize            int64   `json:"fileSize"`
	Link                string  `json:"link"`
	ID                  string  `json:"id"`
	MimeType            string  `json:"mimeType"`
	HasDigitalSignature bool    `json:"hasDigitalSignature"`
	Type                string  `json:"type,omitempty"`
	HasResult           *bool   `json:"hasResult,omitempty"`
}

type qrlinkDoc struct {
	HasAltMimeType      bool   `json:"hasAltMimeType"`
	FileName            string `json:"fileName"`
	EdsStatus           string `json:"edsStatus"`
	FileSize            int64  `json:"fileSize"`
	CanSentToMFC        bool   `json:"canSentToMFC"`
	Link                string `json:"link"`
	ID                  string `json:"id"`
	MimeType            string `json:"mimeType"`
	HasDigitalSignature bool   `json:"hasDigitalSignature"`
	AdditionalName      string `json:"additionalName"`
}

// orderDoc is the object escaped into the order string of the details (EPGU-T28), with the fields
// and the order of the EPGU-5.5 sample.
type orderDoc struct {
	OrderType               string      `json:"orderType"`
	SmevTx                  string      `json:"smevTx"`
	HasEmpowerment2021      bool        `json:"hasEmpowerment2021"`
	SmevMessageID           string      `json:"smevMessageId"`
	FormVersion             string      `json:"formVersion"`
	OwnerID                 int64       `json:"ownerId"`
	NotifySms               string      `json:"notifySms"`
	HasTimestamp            bool        `json:"hasTimestamp"`
	OrderStatusName         string      `json:"orderStatusName"`
	PortalName              string      `json:"portalName"`
	PaymentRequired         bool        `json:"paymentRequired"`
	ID                      int64       `json:"id"`
	SignCnt                 int         `json:"signCnt"`
	ChildrenSigned          bool        `json:"childrenSigned"`
	StateOrgStatusCode      string      `json:"stateOrgStatusCode"`
	OrderStatusID           int         `json:"orderStatusId"`
	WithCustomResult        bool        `json:"withCustomResult"`
	HasNoPaidPayment        bool        `json:"hasNoPaidPayment"`
	ServicePassportID       string      `json:"servicePassportId"`
	RoutingCode             string      `json:"routingCode"`
	SourceSystem            string      `json:"sourceSystem"`
	StateOrgStatusName      string      `json:"stateOrgStatusName"`
	ServiceURL              string      `json:"serviceUrl"`
	ServiceEpguID           string      `json:"serviceEpguId"`
	EdsStatus               string      `json:"edsStatus"`
	AllowToDelete           bool        `json:"allowToDelete"`
	RequestDate             *string     `json:"requestDate"`
	StateOrgCode            string      `json:"stateOrgCode"`
	PersonType              string      `json:"personType"`
	ServiceTargetID         string      `json:"serviceTargetId"`
	OrderPayments           []any       `json:"orderPayments"`
	OrderResponseFiles      []fileDoc   `json:"orderResponseFiles"`
	HasResult               bool        `json:"hasResult"`
	UserID                  int64       `json:"userId"`
	AllowToEdit             bool        `json:"allowToEdit"`
	Closed                  bool        `json:"closed"`
	ReadyToSign             bool        `json:"readyToSign"`
	CurrentStatusHistory    statusDoc   `json:"currentStatusHistory"`
	InfoMessages            []any       `json:"infoMessages"`
	NotifyEmail             string      `json:"notifyEmail"`
	PaymentCount            int         `json:"paymentCount"`
	DraftHidden             bool        `json:"draftHidden"`
	StateStructureID        string      `json:"stateStructureId"`
	HasNewStatus            bool        `json:"hasNewStatus"`
	HasChildren             bool        `json:"hasChildren"`
	StateStructureName      string      `json:"stateStructureName"`
	PortalCode              string      `json:"portalCode"`
	OrderAttributeEvents    []any       `json:"orderAttributeEvents"`
	NotifyPush              string      `json:"notifyPush"`
	EserviceID              string      `json:"eserviceId"`
	CurrentStatusHistoryID  int64       `json:"currentStatusHistoryId"`
	PaymentStatusEvents     []any       `json:"paymentStatusEvents"`
	Payback                 bool        `json:"payback"`
	ReadyToPush             bool        `json:"readyToPush"`
	AdmLevelCode            string      `json:"admLevelCode"`
	AllFileSign             bool        `json:"allFileSign"`
	OrgUserName             string      `json:"orgUserName"`
	NoPaidPaymentCount      int         `json:"noPaidPaymentCount"`
	CreationMode            string      `json:"creationMode"`
	PowerMnemonic           string      `json:"powerMnemonic"`
	Statuses                []statusDoc `json:"statuses"`
	OrderDate               string      `json:"orderDate"`
	Updated                 string      `json:"updated"`
	CheckQueue              bool        `json:"checkQueue"`
	WithDelivery            bool        `json:"withDelivery"`
	Gisdo                   bool        `json:"gisdo"`
	UserSelectedRegion      string      `json:"userSelectedRegion"`
	EQueueEvents            []any       `json:"eQueueEvents"`
	HasActiveInviteToEqueue bool        `json:"hasActiveInviteToEqueue"`
	MultRegion              bool        `json:"multRegion"`
	ExtSystem               bool        `json:"extSystem"`
	UseAsTemplate           bool        `json:"useAsTemplate"`
	Qrlink                  qrlinkDoc   `json:"qrlink"`
	HasPreviewPdf           bool        `json:"hasPreviewPdf"`
	TestUser                bool        `json:"testUser"`
	TextMessages            []any       `json:"textMessages"`
	UnreadMessageCnt        int         `json:"unreadMessageCnt"`
	ServiceName             string      `json:"serviceName"`
	DeprecatedService       bool        `json:"deprecatedService"`
	HubForm                 bool        `json:"hubForm"`
	OrderAttachmentFiles    []fileDoc   `json:"orderAttachmentFiles"`
	Online                  bool        `json:"online"`
	Location                string      `json:"location"`
}

// detailsDoc is the answer of POST /api/gusmev/order/{orderId} (EPGU-T27). messageId is the 1.13
// table's name and what go-api-epgu observed; message_id is the 1.13 sample's: both are sent.
type detailsDoc struct {
	Code       Processing `json:"code"`
	Message    *string    `json:"message"`
	MessageID  *string    `json:"messageId"`
	MessageID2 *string    `json:"message_id"`
	Order      string     `json:"order"`
}

// link is a file's address in the portal's storage: terrabyte://00/{orderId}/{mnemonic}/{objectType}
// (EPGU-4, EPGU-5.5 sample).
func link(orderID int64, mnemonic string, objectType int) string {
	return "terrabyte://00/" + itoa(orderID) + "/" + mnemonic + "/" + strconv.Itoa(objectType)
}

func fileID(orderID int64, name string) string {
	return itoa(orderID) + "/files/" + base64.RawURLEncoding.EncodeToString([]byte(name))
}

// ObjectTypeRequest and ObjectTypeResult are the objectType of the order's own files and of the
// agency's result file (EPGU-4: 3 for the result).
const (
	ObjectTypeRequest = 2
	ObjectTypeResult  = 3
)

func (a *API) statusDoc(o *order, e statusEvent) statusDoc {
	yn := "N"
	if e.step.Result {
		yn = "Y"
	}
	sender := o.service.Agency
	if e.step.Status == StatusDraft {
		sender = ""
	}
	return statusDoc{
		Date: mskTime(e.at), CancelAllowed: e.step.CancelAllowed, UnreadEvent: true, FinalStatus: e.step.final(),
		OrderID: o.id, HasResult: yn, Title: e.step.title(), StatusID: e.step.Status, Sender: sender,
		Comment: e.step.Comment, ID: e.id,
	}
}

// orderJSON renders the order as seen at now.
func (a *API) orderJSON(o *order, now time.Time) string {
	visible := o.statusesAt(now)
	cur := visible[len(visible)-1]
	d := orderDoc{
		OrderType: "ORDER", SmevTx: o.smevTx, SmevMessageID: "WAIT_RESPONSE", FormVersion: "1",
		OwnerID: numericID(o.owner.subject), OrderStatusName: cur.step.title(), PortalName: "Портал гос услуг v1",
		ID: o.id, OrderStatusID: cur.step.Status, ServicePassportID: o.service.PassportID,
		SourceSystem: o.owner.clientID, ServiceEpguID: "1", EdsStatus: "EDS_NOT_SUPPORTED",
		StateOrgCode: o.service.AgencyCode, PersonType: o.owner.personType(), ServiceTargetID: o.meta.TargetCode,
		OrderPayments: []any{}, OrderResponseFiles: []fileDoc{}, UserID: numericID(o.owner.subject),
		Closed: cur.step.final(), CurrentStatusHistory: a.statusDoc(o, cur), InfoMessages: []any{},
		StateStructureName: o.service.Agency, PortalCode: "PGU", HasNewStatus: true, OrderAttributeEvents: []any{},
		EserviceID: o.meta.ServiceCode, CurrentStatusHistoryID: cur.id, PaymentStatusEvents: []any{},
		AdmLevelCode: "FEDERAL", NoPaidPaymentCount: -1, CreationMode: "api", OrderDate: mskTime(o.created),
		Updated: mskTime(cur.at), UserSelectedRegion: o.meta.Region, EQueueEvents: []any{}, TextMessages: []any{},
		ServiceName: o.service.Name, OrderAttachmentFiles: []fileDoc{}, Location: regionLevel(o.meta.Region),
	}
	if !o.submitted.IsZero() {
		rd := mskTime(o.submitted)
		d.RequestDate = &rd
	}
	for _, e := range visible {
		d.Statuses = append(d.Statuses, a.statusDoc(o, e))
	}
	names := map[string]bool{}
	for _, f := range o.files {
		names[f.Name] = true
	}
	for _, f := range o.files {
		typ := "ATTACHMENT"
		if strings.HasPrefix(strings.ToLower(f.Name), "req") && strings.HasSuffix(strings.ToLower(f.Name), ".xml") {
			typ = "REQUEST"
		}
		d.OrderAttachmentFiles = append(d.OrderAttachmentFiles, fileDoc{
			FileName: f.Name, FileSize: f.Size, Link: link(o.id, f.Name, ObjectTypeRequest), ID: fileID(o.id, f.Name),
			MimeType: mimeOf(f.Name), HasDigitalSignature: names[f.Name+".sig"], Type: typ,
		})
	}
	if res := o.result; res != nil && visibleID(visible, res.statusID) {
		f, eds := false, ""
		t := true
		d.OrderResponseFiles = append(d.OrderResponseFiles, fileDoc{
			HasAltMimeType: &f, FileName: res.name, EdsStatus: &eds, FileSize: int64(len(res.body)),
			Link: link(o.id, res.name, ObjectTypeResult), ID: fileID(o.id, res.name), MimeType: res.mimeType, HasResult: &t,
		})
		d.HasResult = true
	}
	b, _ := marshal(d)
	return string(b)
}

func visibleID(visible []statusEvent, id int64) bool {
	for _, e := range visible {
		if e.id == id {
			return true
		}
	}
	return false
}

// numericID is an ESIA oid as the number ownerId/userId carry; 0 when the subject is not numeric.
func numericID(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// regionLevel is the first two digits of an OKATO code: the region (location in the sample).
func regionLevel(okato string) string {
	if len(okato) >= 2 {
		return okato[:2]
	}
	return okato
}

func mimeOf(name string) string {
	switch n := strings.ToLower(name); {
	case strings.HasSuffix(n, ".xml"):
		return "application/xml"
	case strings.HasSuffix(n, ".sig"):
		return "application/pkcs7-signature"
	case strings.HasSuffix(n, ".zip"):
		return "application/zip"
	case strings.HasSuffix(n, ".pdf"):
		return "application/pdf"
	}
	return "application/octet-stream"
}

// marshal is json.Marshal without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}
