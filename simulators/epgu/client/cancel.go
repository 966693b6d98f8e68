package client

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// Cancel cancels the order: POST /api/gusmev/order/{orderId}/cancel (EPGU-T16). It asks for the
// details first and sends nothing unless the current status has cancelAllowed (EPGU-2.2); the
// refusal is a *rule.Breach.
func (c *Client) Cancel(ctx context.Context, orderID int64) error {
	s, err := c.Details(ctx, orderID)
	if err != nil {
		return fmt.Errorf("cancel: %w", err)
	}
	if s.Order == nil || !s.Order.CurrentStatusHistory.CancelAllowed {
		observed := msg.F("no order on the portal yet")
		if s.Order != nil {
			observed = msg.F("status %d %q with cancelAllowed false", s.Order.CurrentStatusHistory.StatusID, s.Order.CurrentStatusHistory.Title)
		}
		return fmt.Errorf("cancel order %d: not sent: %w", orderID, &rule.Breach{Rule: "EPGU-2.2", Field: msg.Raw("cancelAllowed"),
			Expected: msg.F("true in the order's current status"), Observed: observed,
			Fix: msg.F("wait for a status that allows cancelling, or for the final status")})
	}
	path := "/api/gusmev/order/" + strconv.FormatInt(orderID, 10) + "/cancel"
	if _, err := c.do(ctx, call{method: http.MethodPost, path: path}); err != nil {
		return fmt.Errorf("cancel order %d: %w", orderID, err)
	}
	return nil
}
