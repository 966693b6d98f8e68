package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestInjectedFaults(t *testing.T) {
	cases := []struct {
		name       string
		fault      Fault
		code       string
		retryAfter string
	}{
		{"503 twice on order creation", Fault{Method: "POST", PathPrefix: "/api/gusmev/order", Status: 503, Times: 2}, "", ""},
		{"429 with Retry-After", Fault{PathPrefix: "/api/gusmev/", Status: 429, RetryAfter: 1500 * time.Millisecond}, CodeLimitationException, "2"},
		{"500 internal_error", Fault{Status: 500}, CodeInternalError, ""},
		{"403 with a chosen code", Fault{Status: 403, Code: CodePushDenied}, CodePushDenied, ""},
		{"502", Fault{Status: 502}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.Inject(c.fault)
			times := max(c.fault.Times, 1)
			for i := range times {
				r := e.do("POST", "/api/gusmev/order", "alice", "application/json", []byte(fsspMeta))
				if r.status != c.fault.Status {
					t.Fatalf("answer %d: %d, want %d", i, r.status, c.fault.Status)
				}
				m := r.json(t)
				if got, _ := m["code"].(string); got != c.code || m["message"] == nil {
					t.Errorf("body %s, want code %q", r.body, c.code)
				}
				if got := r.header.Get("Retry-After"); got != c.retryAfter {
					t.Errorf("Retry-After %q, want %q", got, c.retryAfter)
				}
				if rec := e.lastRequest(); !rec.Fault || rec.Status != c.fault.Status {
					t.Errorf("log entry %+v", rec)
				}
			}
			if id := e.createOrder("alice", fsspMeta); id <= 0 {
				t.Errorf("served again after %d faults", times)
			}
		})
	}
	t.Run("only matching requests", func(t *testing.T) {
		e := newEnv(t, nil)
		e.Inject(Fault{Method: "GET", PathPrefix: "/api/gusmev/order/getUpdatedAfter", Status: 504})
		id := e.createOrder("alice", fsspMeta)
		if r := e.do("GET", fmt.Sprintf("/api/gusmev/order/getOrdersStatus?pageNum=0&pageSize=1&orderIds=%d", id), "alice", "", nil); r.status != 200 {
			t.Errorf("%d", r.status)
		}
		if r := e.do("GET", "/api/gusmev/order/getUpdatedAfter?pageNum=0&pageSize=1&updatedAfter=2024-01-01T00:00:00.000", "alice", "", nil); r.status != http.StatusGatewayTimeout {
			t.Errorf("%d", r.status)
		}
	})
}

func TestExchangeLog(t *testing.T) {
	e := newEnv(t, nil, WithLimits(smallChunks()), WithLogCap(5))
	id := e.createOrder("alice", fsspMeta)
	e.clk.Advance(time.Minute)
	e.chunk("alice", id, 0, 2, make([]byte, 150))
	e.chunk("alice", id, 1, 2, make([]byte, 10))
	rs := e.api.Requests()
	if len(rs) != 3 {
		t.Fatalf("%d entries", len(rs))
	}
	c := rs[1]
	if c.ClientID != "SYS1" || c.Method != "POST" || c.Path != "/api/gusmev/push/chunked" || c.Status != 206 || c.OrderID != id ||
		c.Chunk != 0 || c.Chunks != 2 || c.ChunkBytes != 150 || !c.SimAt.Equal(start.Add(time.Minute)) || c.At.IsZero() {
		t.Errorf("chunk entry %+v", c)
	}
	for range 5 {
		e.do("POST", "/api/gusmev/order/1", "alice", "", nil)
	}
	if rs := e.api.Requests(); len(rs) != 5 || rs[0].Status != http.StatusNoContent {
		t.Errorf("the log keeps the newest 5: %d, first %+v", len(rs), rs[0])
	}
}
