package client

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/rule"
)

// scriptedOrder goes NEW, VALIDATION, DONE without an order, then the portal statuses 17, 21, 2 and
// the final 3, one step per poll.
func scriptedOrder(id int64, poll int) (string, map[string]any) {
	switch {
	case poll == 1:
		return "NEW", nil
	case poll == 2:
		return "VALIDATION", nil
	case poll < 7:
		return "DONE", testOrder(id, []int{17, 21, 2, 2}[poll-3], false, false)
	default:
		return "DONE", testOrder(id, 3, true, false)
	}
}

// Follow polls the details until the order is final, Config.PollInterval apart, and reads the
// escaped order JSON (EPGU-T27).
func TestFollow(t *testing.T) {
	f := newFake(t)
	f.details = scriptedOrder
	cfg := f.config()
	cfg.PollInterval = 10 * time.Second
	s, err := New(cfg).Follow(context.Background(), 77, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Order == nil || s.Order.OrderStatusID != 3 || !s.Final() || s.Order.ID != 77 {
		t.Fatalf("last status %+v, want the final order 77 in status 3", s)
	}
	hs := f.seen("/api/gusmev/order/77")
	if len(hs) != 7 {
		t.Fatalf("%d polls, want 7", len(hs))
	}
	for i := 1; i < len(hs); i++ {
		if d := hs[i].At.Sub(hs[i-1].At); d < cfg.PollInterval {
			t.Errorf("polls %d and %d are %v apart, under the interval %v", i-1, i, d, cfg.PollInterval)
		}
	}
}

// Follow stops at what until says.
func TestFollowUntil(t *testing.T) {
	f := newFake(t)
	f.details = scriptedOrder
	s, err := New(f.config()).Follow(context.Background(), 77, func(s Status) bool { return s.Code == "DONE" })
	if err != nil {
		t.Fatal(err)
	}
	if s.Code != "DONE" || len(f.seen("/api/gusmev/order/77")) != 3 {
		t.Errorf("stopped at %q after %d polls, want DONE after 3", s.Code, len(f.seen("/api/gusmev/order/77")))
	}
}

// A processing error (EPGU-A1) is final.
func TestFollowFailed(t *testing.T) {
	f := newFake(t)
	f.details = func(int64, int) (string, map[string]any) { return "FILES_VERIFICATION_FAILED", nil }
	s, err := New(f.config()).Follow(context.Background(), 77, nil)
	if err != nil || !s.Failed() || len(f.seen("/api/gusmev/order/77")) != 1 {
		t.Errorf("status %+v, error %v: want a final failure after one poll", s, err)
	}
}

// Cancel sends the cancel only when the current status allows it (EPGU-2.2).
func TestCancel(t *testing.T) {
	for _, allowed := range []bool{false, true} {
		t.Run(map[bool]string{false: "not allowed", true: "allowed"}[allowed], func(t *testing.T) {
			f := newFake(t)
			f.details = func(id int64, _ int) (string, map[string]any) { return "DONE", testOrder(id, 21, false, allowed) }
			err := New(f.config()).Cancel(context.Background(), 77)
			sent := len(f.seen("/api/gusmev/order/77/cancel"))
			if allowed {
				if err != nil || sent != 1 {
					t.Errorf("error %v, %d cancels sent; want one", err, sent)
				}
				return
			}
			var b *rule.Breach
			if !errors.As(err, &b) || b.Rule != "EPGU-2.2" || sent != 0 {
				t.Errorf("error %v, %d cancels sent; want a breach of EPGU-2.2 and none sent", err, sent)
			}
		})
	}
}

// DownloadResult takes the mnemonic and object type from the terrabyte link and the object from
// currentStatusHistoryId; it asks v1.13's path and falls back to v1.12's on 404 (EPGU-1.13, EPGU-T33).
func TestDownloadResult(t *testing.T) {
	for _, tc := range []struct {
		name   string
		old112 bool
		paths  []string
	}{
		{"v1.13", false, []string{"GET /api/gusmev/files/download/6268157772/3"}},
		{"v1.12", true, []string{"GET /api/gusmev/files/download/6268157772/3", "GET /api/storage/v2/files/6268157772/3/download"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.old112 = tc.old112
			f.details = func(id int64, _ int) (string, map[string]any) {
				o := testOrder(id, 3, true, false)
				// The result came with status 3 (history id 6268157772); a later status moved on.
				o["statuses"] = append(o["statuses"].([]any), map[string]any{"id": 6268157773, "statusId": 4, "hasResult": "N"})
				o["currentStatusHistoryId"] = 6268157773
				o["statuses"].([]any)[0].(map[string]any)["hasResult"] = "Y"
				o["orderResponseFiles"] = []any{map[string]any{"fileName": "result.pdf", "link": "terrabyte://00/77/result_8d85.pdf/3",
					"id": "77/files/cmVzdWx0", "mimeType": "application/pdf", "fileSize": 10}}
				return "DONE", o
			}
			rs, err := New(f.config()).DownloadResult(context.Background(), 77)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || string(rs[0].Data) != resultPrefix+"6268157772/3/result_8d85.pdf" || rs[0].File.FileName != "result.pdf" {
				t.Fatalf("results %+v", rs)
			}
			hs := f.seen("/api/gusmev/files/")
			hs = append(hs, f.seen("/api/storage/")...)
			if got := paths(hs); !slices.Equal(got, tc.paths) {
				t.Errorf("downloads %v, want %v", got, tc.paths)
			}
			if q := hs[0].Query; q.Get("mnemonic") != "result_8d85.pdf" || q.Get("eserviceCode") != "10000000113" {
				t.Errorf("v1.13 query %v, want mnemonic and eserviceCode", q)
			}
		})
	}
}

func TestNoResult(t *testing.T) {
	f := newFake(t)
	if _, err := New(f.config()).DownloadResult(context.Background(), 77); !errors.Is(err, ErrNoResult) {
		t.Errorf("error %v, want ErrNoResult", err)
	}
}

func TestParseLink(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want link
		ok   bool
	}{
		{"terrabyte://00/2058864134/req.xml/2", link{"2058864134", "req.xml", "2"}, true},
		{"terrabyte://00/77/result_8d85.pdf/3", link{"77", "result_8d85.pdf", "3"}, true},
		{"terrabyte://00/77/3", link{}, false},
		{"https://00/77/a/3", link{}, false},
		{"terrabyte://00/77//3", link{}, false},
	} {
		got, err := parseLink(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseLink(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

// Statuses reads getOrdersStatus (EPGU-T19, T21).
func TestStatuses(t *testing.T) {
	f := newFake(t)
	got, err := New(f.config()).Statuses(context.Background(), 764607248, 764603930)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Found || got[0].StatusID != 21 || got[1].OrderID != 764603930 {
		t.Errorf("statuses %+v", got)
	}
	if q := f.apiHits()[0].Query; q.Get("orderIds") != "764607248,764603930" || q.Get("pageNum") != "0" || q.Get("pageSize") != "2" {
		t.Errorf("query %v", q)
	}
}
