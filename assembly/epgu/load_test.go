package epgu

import (
	"strings"
	"testing"
	"time"
)

// The verdict fails when the API served past its limit, when it answered anything but 200 or
// 429, and when it let through requests beyond the limit.
func TestLoadVerdictNamesWhatBrokeTheLimit(t *testing.T) {
	t0 := time.Now()
	served := func(n int) []time.Time {
		out := make([]time.Time, n)
		for i := range out {
			out[i] = t0.Add(time.Duration(i) * time.Millisecond)
		}
		return out
	}
	cases := []struct {
		name string
		r    LoadResult
		at   []time.Time
		want string
	}{
		{"within the limit", LoadResult{Plan: LoadPlan{PerMinute: 6000, Duration: time.Second}, Limit: 10, Requests: 100, Served: 10, Refused: 90}, served(10), ""},
		{"served past the limit", LoadResult{Plan: LoadPlan{PerMinute: 6000, Duration: time.Second}, Limit: 10, Requests: 100, Served: 100}, served(100), "100 served in one minute"},
		{"errors", LoadResult{Plan: LoadPlan{PerMinute: 60, Duration: time.Second}, Limit: 10, Requests: 2, Served: 1, Other: 1}, served(1), "EPGU-A4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.r.judge(nil, c.at)
			var msgs []string
			for _, b := range got.Breaches {
				msgs = append(msgs, b.Error())
			}
			all := strings.Join(msgs, "; ")
			if (c.want == "") != got.Passed() || !strings.Contains(all, c.want) {
				t.Errorf("passed %v, breaches %q, want %q", got.Passed(), all, c.want)
			}
		})
	}
}
