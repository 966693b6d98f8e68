package api

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestAuthorisation(t *testing.T) {
	tokens := baseTokens()
	expired := token("SYS1", "1000000001")
	expired.ExpiresAt = start.Add(-time.Second)
	tokens["expired"] = expired
	tokens["revoked"] = errors.New("token revoked")
	noScope := token("SYS1", "1000000001")
	noScope.Scopes = []string{"openid"}
	tokens["noscope"] = noScope
	noPerm := token("SYS1", "1000000001")
	noPerm.Permissions = []string{"CHARGES"}
	tokens["noperm"] = noPerm
	inner := token("SYS1", "1000000001")
	inner.Permissions = []string{"x_APIPGU_y"} // EPGU-A4: a substring is enough
	tokens["inner"] = inner
	tokens["stranger"] = token("SYS9", "1000000009")
	only := DefaultServices()
	for i := range only {
		only[i].Systems = []string{"SYS1", "SYS2"}
	}
	e := newEnv(t, tokens, WithServices(only...))

	cases := []struct {
		name   string
		header string
		status int
		code   string
	}{
		{"no header", "", http.StatusUnauthorized, ""},
		{"basic scheme", "Basic YWxpY2U6eA==", http.StatusUnauthorized, ""},
		{"unknown token", "Bearer nobody", http.StatusUnauthorized, ""},
		{"expired on the API's clock", "Bearer expired", http.StatusUnauthorized, ""},
		{"revoked", "Bearer revoked", http.StatusUnauthorized, ""},
		{"without the api-order scope", "Bearer noscope", http.StatusForbidden, CodeAccessDeniedPersonPermissions},
		{"without APIPGU", "Bearer noperm", http.StatusForbidden, CodeAccessDeniedPersonPermissions},
		{"system granted no service", "Bearer stranger", http.StatusForbidden, CodeAccessDeniedSystem},
		{"APIPGU inside a permission", "Bearer inner", http.StatusOK, ""},
		{"lower-case scheme", "bearer alice", http.StatusOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.url+"/api/gusmev/order", stringsReader(fsspMeta))
			req.Header.Set("Content-Type", "application/json")
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			r := send(t, e, req)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			switch c.status {
			case http.StatusUnauthorized:
				m := r.json(t)
				if _, has := m["code"]; has {
					t.Errorf("Appendix 4 gives 401 no code, got %s", r.body)
				}
				if m["message"] == "" || r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("want a message and WWW-Authenticate: %s %v", r.body, r.header)
				}
			case http.StatusForbidden:
				r.errorCode(t, c.status, c.code)
			}
		})
	}
}

func TestRequestLimitPerSystem(t *testing.T) {
	lim := SpecLimits()
	lim.RequestsPerMinute = 3
	e := newEnv(t, nil, WithLimits(lim))
	for i := range 3 {
		if r := e.do("GET", "/api/gusmev/order/getOrdersStatus?pageNum=0&pageSize=5&orderIds=1", "alice", "", nil); r.status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+1, r.status, r.body)
		}
	}
	r := e.do("GET", "/api/gusmev/order/getOrdersStatus?pageNum=0&pageSize=5&orderIds=1", "bob", "", nil)
	r.errorCode(t, http.StatusTooManyRequests, CodeLimitationException)
	if got := r.header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After %q, want 60 (the minute window opened at the first request)", got)
	}
	if rec := e.lastRequest(); rec.Breach == nil || rec.Breach.Rule != "EPGU-A3" || rec.ClientID != "SYS1" {
		t.Errorf("log entry %+v", rec)
	}
	if r := e.do("GET", "/api/gusmev/order/getOrdersStatus?pageNum=0&pageSize=5&orderIds=1", "carol", "", nil); r.status != http.StatusOK {
		t.Errorf("another system is limited apart: %d", r.status)
	}
	e.clk.Advance(time.Minute)
	if r := e.do("GET", "/api/gusmev/order/getOrdersStatus?pageNum=0&pageSize=5&orderIds=1", "alice", "", nil); r.status != http.StatusOK {
		t.Errorf("after the minute: %d %s", r.status, r.body)
	}
}

func TestRequestLimitPerHour(t *testing.T) {
	lim := SpecLimits()
	lim.RequestsPerMinute, lim.RequestsPerHour = 100, 2
	e := newEnv(t, nil, WithLimits(lim))
	e.do("POST", "/api/gusmev/order/1", "alice", "", nil)
	e.clk.Advance(30 * time.Minute)
	e.do("POST", "/api/gusmev/order/1", "alice", "", nil)
	r := e.do("POST", "/api/gusmev/order/1", "alice", "", nil)
	r.errorCode(t, http.StatusTooManyRequests, CodeLimitationException)
	if got := r.header.Get("Retry-After"); got != "1800" {
		t.Errorf("Retry-After %q, want 1800", got)
	}
}
