package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ErrNoResult: the order has no response file to download.
var ErrNoResult = errors.New("the order has no result file")

// Result is a downloaded response file of an order.
type Result struct {
	File File
	Data []byte
}

// DownloadResult downloads the order's response files (orderResponseFiles of EPGU-T28). Each link
// terrabyte://00/{orderId}/{mnemonic}/{objectType} gives the mnemonic and the object type; the
// object is a currentStatusHistoryId (spec section 4, Table 33): that of the status which brought
// the result (hasResult "Y"), else the order's current one. It asks the v1.13 path
// /api/gusmev/files/download/{objectId}/{objectType}?mnemonic=&eserviceCode= (EPGU-1.13) and, on
// 404, the v1.12 path /api/storage/v2/files/{objectId}/{objectType}/download?mnemonic= (EPGU-T33).
func (c *Client) DownloadResult(ctx context.Context, orderID int64) ([]Result, error) {
	s, err := c.Details(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("download result: %w", err)
	}
	if s.Order == nil || len(s.Order.OrderResponseFiles) == 0 {
		return nil, fmt.Errorf("download result of order %d: %w", orderID, ErrNoResult)
	}
	var out []Result
	for _, f := range s.Order.OrderResponseFiles {
		l, err := parseLink(f.Link)
		if err != nil {
			return nil, fmt.Errorf("download result of order %d: %s: %w", orderID, f.FileName, err)
		}
		objectID := strconv.FormatInt(s.Order.resultStatusID(), 10)
		if s.Order.resultStatusID() == 0 {
			objectID = l.objectID
		}
		data, err := c.download(ctx, objectID, l, s.Order.EserviceID)
		if err != nil {
			return nil, fmt.Errorf("download result of order %d: %s: %w", orderID, f.FileName, err)
		}
		out = append(out, Result{File: f, Data: data})
	}
	return out, nil
}

func (c *Client) download(ctx context.Context, objectID string, l link, serviceCode string) ([]byte, error) {
	r, err := c.do(ctx, call{method: http.MethodGet,
		path:  "/api/gusmev/files/download/" + url.PathEscape(objectID) + "/" + url.PathEscape(l.objectType),
		query: url.Values{"mnemonic": {l.mnemonic}, "eserviceCode": {serviceCode}}})
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		// A portal before v1.13 has only the storage path.
		r, err = c.do(ctx, call{method: http.MethodGet,
			path:  "/api/storage/v2/files/" + url.PathEscape(objectID) + "/" + url.PathEscape(l.objectType) + "/download",
			query: url.Values{"mnemonic": {l.mnemonic}}})
	}
	if err != nil {
		return nil, err
	}
	return r.body, nil
}

// link is a parsed terrabyte link.
type link struct{ objectID, mnemonic, objectType string }

// parseLink reads terrabyte://00/{id}/{mnemonic}/{objectType} (EPGU-T33); the mnemonic is
// everything between the id and the last segment.
func parseLink(s string) (link, error) {
	rest, ok := strings.CutPrefix(s, "terrabyte://")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) < 4 {
		return link{}, fmt.Errorf("link %q is not terrabyte://00/{id}/{mnemonic}/{objectType}", s)
	}
	l := link{objectID: parts[1], mnemonic: strings.Join(parts[2:len(parts)-1], "/"), objectType: parts[len(parts)-1]}
	if l.objectID == "" || l.mnemonic == "" || l.objectType == "" {
		return link{}, fmt.Errorf("link %q has an empty part", s)
	}
	return l, nil
}
