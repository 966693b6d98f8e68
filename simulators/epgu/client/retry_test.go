package client

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"
)

func onPath(path string) func(*hit) bool { return func(h *hit) bool { return h.Path == path } }

// Appendix 4 (EPGU-A4): 401 → a new token and one repeat; 429 and 502/503/504 → a bounded number of
// repeats after Retry-After or an exponential back-off; 400/403/404/409 → no repeat. The answer's
// status and {"code","message"} reach the caller in an *APIError.
func TestRetries(t *testing.T) {
	const details = "/api/gusmev/order/77"
	for _, tc := range []struct {
		name      string
		inject    injection
		ok        bool
		attempts  int             // requests to the method
		tokens    int             // token requests
		gaps      []time.Duration // between the attempts, on the virtual clock
		status    int             // of the final error
		code, msg string
	}{
		{name: "401 once", inject: injection{status: 401, times: 1}, ok: true, attempts: 2, tokens: 2, gaps: []time.Duration{0}},
		{name: "401 always", inject: injection{status: 401, times: -1}, attempts: 2, tokens: 2, gaps: []time.Duration{0}, status: 401},
		{name: "429 Retry-After", inject: injection{status: 429, header: map[string]string{"Retry-After": "7"}, times: 2}, ok: true,
			attempts: 3, tokens: 1, gaps: []time.Duration{7 * time.Second, 7 * time.Second}},
		{name: "429 Retry-After over the cap", inject: injection{status: 429, header: map[string]string{"Retry-After": "120"}, times: 1}, ok: true,
			attempts: 2, tokens: 1, gaps: []time.Duration{120 * time.Second}},
		{name: "503 always: exponential, capped, bounded", inject: injection{status: 503, times: -1}, attempts: 5, tokens: 1,
			gaps: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second}, status: 503},
		{name: "502 once", inject: injection{status: 502, times: 1}, ok: true, attempts: 2, tokens: 1, gaps: []time.Duration{time.Second}},
		{name: "504 once", inject: injection{status: 504, times: 1}, ok: true, attempts: 2, tokens: 1, gaps: []time.Duration{time.Second}},
		{name: "400 not repeated", inject: injection{status: 400, body: `{"code":"bad_request","message":"Ошибка в параметрах запроса"}`, times: -1},
			attempts: 1, tokens: 1, status: 400, code: "bad_request", msg: "Ошибка в параметрах запроса"},
		{name: "403 not repeated", inject: injection{status: 403, body: `{"code":"order_access","message":"У пользователя нет прав для работы с текущим заявлением"}`, times: -1},
			attempts: 1, tokens: 1, status: 403, code: "order_access", msg: "У пользователя нет прав для работы с текущим заявлением"},
		{name: "404 not repeated", inject: injection{status: 404, body: `{"code":"not_found","message":"Заявление не найдено"}`, times: -1},
			attempts: 1, tokens: 1, status: 404, code: "not_found", msg: "Заявление не найдено"},
		{name: "409 not repeated", inject: injection{status: 409, body: `{"code":"limitation_exception","message":"Превышение"}`, times: -1},
			attempts: 1, tokens: 1, status: 409, code: "limitation_exception", msg: "Превышение"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			in := tc.inject
			in.match = onPath(details)
			f.inject = []*injection{&in}
			cfg := f.config()
			cfg.Retry = Retry{Max: 4, Base: time.Second, Cap: 5 * time.Second}
			_, err := New(cfg).Details(context.Background(), 77)
			if tc.ok != (err == nil) {
				t.Fatalf("error %v, want ok=%v", err, tc.ok)
			}
			hs := f.seen(details)
			if len(hs) != tc.attempts {
				t.Fatalf("%d attempts, want %d", len(hs), tc.attempts)
			}
			if n := len(f.seen(tokenPrefix)); n != tc.tokens {
				t.Errorf("%d token requests, want %d", n, tc.tokens)
			}
			var gaps []time.Duration
			for i := 1; i < len(hs); i++ {
				gaps = append(gaps, hs[i].At.Sub(hs[i-1].At))
			}
			if tc.gaps != nil && !slices.Equal(gaps, tc.gaps) {
				t.Errorf("pauses %v, want %v", gaps, tc.gaps)
			}
			if err == nil {
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if ae.Status != tc.status || ae.Code != tc.code || ae.Message != tc.msg {
				t.Errorf("APIError %d %q %q, want %d %q %q", ae.Status, ae.Code, ae.Message, tc.status, tc.code, tc.msg)
			}
		})
	}
}

// Retry-After as an HTTP date is a wait until that time.
func TestRetryAfterDate(t *testing.T) {
	f := newFake(t)
	at := f.clock.Now().Add(42 * time.Second).UTC().Format(http.TimeFormat)
	f.inject = []*injection{{match: onPath("/api/gusmev/order/77"), status: 503, header: map[string]string{"Retry-After": at}, times: 1}}
	if _, err := New(f.config()).Details(context.Background(), 77); err != nil {
		t.Fatal(err)
	}
	hs := f.seen("/api/gusmev/order/77")
	if len(hs) != 2 || hs[1].At.Sub(hs[0].At) != 42*time.Second {
		t.Errorf("attempts at %v, want two 42 s apart", hs)
	}
}

// The client never sends more than the per-minute and per-hour limits in any sliding window
// (EPGU-A3).
func TestLimiter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits Limits
		calls  int
		span   time.Duration
		limit  int
	}{
		{"per minute", Limits{PerMinute: 5, PerHour: 1000}, 12, time.Minute, 5},
		{"per hour", Limits{PerMinute: 100, PerHour: 7}, 10, time.Hour, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			cfg := f.config()
			cfg.Limits = tc.limits
			c := New(cfg)
			for range tc.calls {
				if _, err := c.Details(context.Background(), 77); err != nil {
					t.Fatal(err)
				}
			}
			hs := f.apiHits()
			if len(hs) != tc.calls {
				t.Fatalf("%d requests, want %d", len(hs), tc.calls)
			}
			for i := tc.limit; i < len(hs); i++ {
				if d := hs[i].At.Sub(hs[i-tc.limit].At); d < tc.span {
					t.Errorf("requests %d and %d are %v apart: %d requests within %v", i-tc.limit, i, d, tc.limit+1, tc.span)
				}
			}
		})
	}
}
