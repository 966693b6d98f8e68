package envelope

import (
	"encoding/json"
	"time"
)

// The REST format of Appendix 1 ("REST сервистерінің деректер пішімдері"). No gateway contract for
// REST is public, so the field names are the Rules' as printed (serviceid, messegeDate); see
// fixtures/README.md.

// RESTRequest is the body of a REST request (A1-T22).
type RESTRequest struct {
	Request struct {
		RequestInfo RESTRequestInfo `json:"requestInfo"` // row 2
		RequestData RESTData        `json:"requestData"` // rows 10-11
	} `json:"request"`
}

// RESTRequestInfo is A1-T22 rows 3-9.
type RESTRequestInfo struct {
	MessageID   string     `json:"messageId"`
	ServiceID   string     `json:"serviceid"`
	MessageDate time.Time  `json:"messegeDate"`
	RouteID     string     `json:"routeId,omitempty"`
	Sender      SenderInfo `json:"sender"`
}

// RESTResponse is the body of a REST response (A1-T23).
type RESTResponse struct {
	Response struct {
		ResponseInfo RESTResponseInfo `json:"responseInfo"` // row 2
		ResponseData RESTData         `json:"responseData"` // rows 6-7
	} `json:"response"`
}

// RESTResponseInfo is A1-T23 rows 3-5.
type RESTResponseInfo struct {
	MessageID    string    `json:"messageId"`
	ResponseDate time.Time `json:"responseDate"`
	Message      string    `json:"message"`
}

// RESTData carries business data of any JSON type, passed on unaltered.
type RESTData struct {
	Data json.RawMessage `json:"data,omitempty"`
}
