package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Status is an order's details (EPGU-T27): the processing code of gu-smev (EPGU-A1) and, once the
// order exists on the portal, the order itself.
type Status struct {
	Code    string // NEW, VALIDATION, FILES_VERIFICATION, ..., DONE, or a final error (EPGU-A1); "OK" in the spec's sample
	Message string
	Order   *Order // nil while the answer has no order
	// RawOrder is the order as sent: a string holding escaped JSON (EPGU-T27).
	RawOrder string
}

// finalCodes are the final processing codes of Appendix 1 other than DONE, and v1.13's
// CREATE_ORDER_FORBIDDEN (EPGU-1.13).
var finalCodes = map[string]bool{
	"LIMITATION_EXCEPTION": true, "INVALID_FILES_STRUCTURE": true, "VALIDATION_ERROR": true,
	"REQ_NOT_FOUND": true, "MPC_NOT_FOUND": true, "REQ_VERIFY_FAILED": true,
	"FILES_VERIFICATION_FAILED": true, "INTERNAL_ERROR": true, "CREATE_ORDER_FORBIDDEN": true,
}

// Failed says the processing ended in an error status (EPGU-A1).
func (s Status) Failed() bool { return finalCodes[s.Code] }

// Final says nothing more will happen to the order: its processing failed, or the order is closed
// or in a final status of the portal's status model.
func (s Status) Final() bool {
	if s.Failed() {
		return true
	}
	return s.Order != nil && (s.Order.Closed || s.Order.CurrentStatusHistory.FinalStatus)
}

// Order is the part of the escaped order JSON (EPGU-T28) an agency system acts on.
type Order struct {
	ID                     int64           `json:"id"`
	EserviceID             string          `json:"eserviceId"`
	OrderStatusID          int             `json:"orderStatusId"`
	OrderStatusName        string          `json:"orderStatusName"`
	CurrentStatusHistoryID int64           `json:"currentStatusHistoryId"`
	CurrentStatusHistory   StatusHistory   `json:"currentStatusHistory"`
	Statuses               []StatusHistory `json:"statuses"`
	Closed                 bool            `json:"closed"`
	OrderResponseFiles     []File          `json:"orderResponseFiles"`
	OrderAttachmentFiles   []File          `json:"orderAttachmentFiles"`
}

// StatusHistory is one status of the order (EPGU-T28 statuses, currentStatusHistory).
type StatusHistory struct {
	ID            int64  `json:"id"`
	StatusID      int    `json:"statusId"`
	Title         string `json:"title"`
	Date          string `json:"date"`
	Comment       string `json:"comment"`
	CancelAllowed bool   `json:"cancelAllowed"`
	FinalStatus   bool   `json:"finalStatus"`
	HasResult     yesNo  `json:"hasResult"` // "Y"/"N" in the statuses (EPGU-T28), a boolean elsewhere
}

// yesNo reads a flag written "Y"/"N" or as a JSON boolean.
type yesNo bool

func (y *yesNo) UnmarshalJSON(b []byte) error {
	switch strings.Trim(strings.ToUpper(string(b)), `"`) {
	case "Y", "TRUE", "1":
		*y = true
	default:
		*y = false
	}
	return nil
}

// resultStatusID is the status that brought the result: the latest with hasResult, else the
// current one (spec section 4: objectId is a currentStatusHistoryId).
func (o *Order) resultStatusID() int64 {
	for i := len(o.Statuses) - 1; i >= 0; i-- {
		if o.Statuses[i].HasResult && o.Statuses[i].ID != 0 {
			return o.Statuses[i].ID
		}
	}
	return o.CurrentStatusHistoryID
}

// File is a file of the order (EPGU-T28 orderResponseFiles, orderAttachmentFiles).
type File struct {
	ID       string `json:"id"`
	FileName string `json:"fileName"`
	FileSize int64  `json:"fileSize"`
	Link     string `json:"link"` // terrabyte://00/{orderId}/{mnemonic}/{objectType}
	MimeType string `json:"mimeType"`
	Type     string `json:"type"`
}

// Details asks for the order's details: POST /api/gusmev/order/{orderId} (EPGU-T25).
func (c *Client) Details(ctx context.Context, orderID int64) (Status, error) {
	return c.details(ctx, orderID, false)
}

func (c *Client) details(ctx context.Context, orderID int64, flood bool) (Status, error) {
	path := "/api/gusmev/order/" + strconv.FormatInt(orderID, 10)
	r, err := c.do(ctx, call{method: http.MethodPost, path: path, flood: flood})
	if err != nil {
		return Status{}, fmt.Errorf("order %d details: %w", orderID, err)
	}
	var b struct {
		Code    string  `json:"code"`
		Message *string `json:"message"`
		Order   *string `json:"order"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		return Status{}, fmt.Errorf("order %d details: not the details JSON (EPGU-T27): %w", orderID, err)
	}
	s := Status{Code: b.Code}
	if b.Message != nil {
		s.Message = *b.Message
	}
	if b.Order != nil && *b.Order != "" {
		// EPGU-T27: order is a string holding escaped JSON, not an object.
		s.RawOrder = *b.Order
		s.Order = new(Order)
		if err := json.Unmarshal([]byte(*b.Order), s.Order); err != nil {
			return Status{}, fmt.Errorf("order %d details: order is not the escaped order JSON (EPGU-T28): %w", orderID, err)
		}
	}
	return s, nil
}

// Follow polls the order's details until until says stop (Status.Final when nil), pausing
// Config.PollInterval between polls and keeping to the limits (EPGU-A3). It returns the last status.
func (c *Client) Follow(ctx context.Context, orderID int64, until func(Status) bool) (Status, error) {
	if until == nil {
		until = Status.Final
	}
	flood := c.has(DefectPollFlood)
	for {
		s, err := c.details(ctx, orderID, flood)
		if err != nil {
			return s, err
		}
		if until(s) {
			return s, nil
		}
		if flood {
			if err := ctx.Err(); err != nil {
				return s, err
			}
			continue
		}
		if err := c.cfg.Sleep(ctx, c.cfg.PollInterval); err != nil {
			return s, err
		}
	}
}

// OrderStatus is one entry of getOrdersStatus (EPGU-T21).
type OrderStatus struct {
	OrderID    int64
	Found      bool // orderSearchStatus FOUND
	StatusID   int
	StatusName string
	Updated    string // "2022-12-21T20:49:37.672"
}

// Statuses asks for the current statuses of orders: GET /api/gusmev/order/getOrdersStatus
// (EPGU-T19), one page of all of them.
func (c *Client) Statuses(ctx context.Context, orderIDs ...int64) ([]OrderStatus, error) {
	ids := make([]string, len(orderIDs))
	for i, id := range orderIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	q := url.Values{"pageNum": {"0"}, "pageSize": {strconv.Itoa(max(1, len(ids)))}, "orderIds": {strings.Join(ids, ",")}}
	r, err := c.do(ctx, call{method: http.MethodGet, path: "/api/gusmev/order/getOrdersStatus", query: q})
	if err != nil {
		return nil, fmt.Errorf("orders' statuses: %w", err)
	}
	var b struct {
		Content []struct {
			OrderID           int64  `json:"orderId"`
			OrderSearchStatus string `json:"orderSearchStatus"`
			Status            *struct {
				StatusID   int    `json:"statusId"`
				StatusName string `json:"statusName"`
				Updated    string `json:"updated"`
			} `json:"status"`
		} `json:"content"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil {
		return nil, fmt.Errorf("orders' statuses: not the statuses JSON (EPGU-T21): %w", err)
	}
	out := make([]OrderStatus, 0, len(b.Content))
	for _, e := range b.Content {
		s := OrderStatus{OrderID: e.OrderID, Found: e.OrderSearchStatus == "FOUND"}
		if e.Status != nil {
			s.StatusID, s.StatusName, s.Updated = e.Status.StatusID, e.Status.StatusName, e.Status.Updated
		}
		out = append(out, s)
	}
	return out, nil
}
