package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestUpdatedAfter(t *testing.T) {
	e := newEnv(t, nil)
	var ids []int64
	for range 3 {
		ids = append(ids, pushed(t, e, "alice"))
		e.clk.Advance(time.Minute)
	}
	pushed(t, e, "carol") // another system's order is not in SYS1's feed
	since := stampTime(start.Add(-time.Second))
	r := e.do("GET", "/api/gusmev/order/getUpdatedAfter?pageNum=0&pageSize=2&updatedAfter="+since, "bob", "", nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	page := r.json(t)
	if len(page) != 3 || page["count"].(float64) != 2 || page["totalCount"].(float64) != 3 {
		t.Fatalf("envelope %s", r.body)
	}
	first := page["content"].([]any)[0].(map[string]any)
	st := first["status"].(map[string]any)
	if first["orderId"].(float64) != float64(ids[2]) || first["orderSearchStatus"] != "FOUND" || len(first) != 3 {
		t.Errorf("latest first, the three fields of Table 24: %v", first)
	}
	if st["statusId"].(float64) != StatusDone || st["statusName"] != "Услуга оказана" || st["updated"] != "2024-07-01T10:02:21.000" || len(st) != 3 {
		t.Errorf("status %v", st)
	}
	if _, err := time.Parse(stamp, st["updated"].(string)); err != nil {
		t.Errorf("updated %q is not YYYY-MM-DDTHH:mm:ss.SSS", st["updated"])
	}
	r = e.do("GET", "/api/gusmev/order/getUpdatedAfter?pageNum=1&pageSize=2&updatedAfter="+since, "alice", "", nil)
	if p := r.json(t); p["count"].(float64) != 1 || p["content"].([]any)[0].(map[string]any)["orderId"].(float64) != float64(ids[0]) {
		t.Errorf("second page %s", r.body)
	}
	// the orders of the first two minutes are DONE and at 3 by now; updatedAfter cuts them by time
	e.clk.Advance(time.Minute)
	cut := stampTime(e.clk.Now().Add(-30 * time.Second))
	r = e.do("GET", "/api/gusmev/order/getUpdatedAfter?pageNum=0&pageSize=10&updatedAfter="+cut, "alice", "", nil)
	if p := r.json(t); p["totalCount"].(float64) != 0 {
		t.Errorf("nothing changed in the last 30 s: %s", r.body)
	}

	for _, q := range []string{"pageNum=0&pageSize=5&updatedAfter=2024-07-01T10:00:00", "pageNum=0&pageSize=5&updatedAfter=2024-07-01 10:00:00.000",
		"pageSize=5&updatedAfter=" + since, "pageNum=0&updatedAfter=" + since} {
		t.Run(q, func(t *testing.T) {
			e.do("GET", "/api/gusmev/order/getUpdatedAfter?"+strings.ReplaceAll(q, " ", "%20"), "alice", "", nil).errorCode(t, http.StatusBadRequest, CodeBadRequest)
		})
	}
}

func TestOrdersStatus(t *testing.T) {
	e := newEnv(t, nil)
	a := pushed(t, e, "alice")
	c := pushed(t, e, "carol")
	e.clk.Advance(5 * time.Second)
	r := e.do("GET", fmt.Sprintf("/api/gusmev/order/getOrdersStatus?orderIds=%d,%d,999&pageNum=0&pageSize=5", a, c), "alice", "", nil)
	page := r.json(t)
	content := page["content"].([]any)
	if page["count"].(float64) != 3 || page["totalCount"].(float64) != 3 || len(content) != 3 {
		t.Fatalf("%s", r.body)
	}
	if got := content[0].(map[string]any); got["orderSearchStatus"] != "FOUND" || got["status"].(map[string]any)["statusId"].(float64) != StatusRegistered {
		t.Errorf("own order %v", got)
	}
	for _, i := range []int{1, 2} {
		got := content[i].(map[string]any)
		if got["orderSearchStatus"] != "NOT_FOUND" || got["status"] != nil {
			t.Errorf("entry %d: %v", i, got)
		}
		if _, present := got["status"]; !present {
			t.Errorf("status must be null, not absent, as in the §5.4 sample")
		}
	}
	r = e.do("GET", fmt.Sprintf("/api/gusmev/order/getOrdersStatus?orderIds=%d&orderIds=999&pageNum=1&pageSize=1", a), "alice", "", nil)
	if p := r.json(t); p["count"].(float64) != 1 || p["totalCount"].(float64) != 2 || p["content"].([]any)[0].(map[string]any)["orderId"].(float64) != 999 {
		t.Errorf("second page of repeated orderIds: %s", r.body)
	}
	e.do("GET", "/api/gusmev/order/getOrdersStatus?orderIds=x&pageNum=0&pageSize=5", "alice", "", nil).errorCode(t, 400, CodeBadRequest)
	e.do("GET", "/api/gusmev/order/getOrdersStatus?pageNum=0&pageSize=5", "alice", "", nil).errorCode(t, 400, CodeBadRequest)
}
