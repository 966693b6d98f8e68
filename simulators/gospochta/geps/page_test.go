package geps

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// GP-R-PAGE: a client pages through total with offset and limit.
func TestPaging(t *testing.T) {
	e := newEnv(t, WithQuotas(0, 0), WithSearchWait(0))
	for i := range 250 {
		e.add(orgA, time.Duration(i+1)*time.Minute, Message{})
	}
	id := e.searchOK("head", day(e.clock.Now()))
	seen := map[string]bool{}
	for offset := 0; ; offset += 100 {
		res := e.result("head", id, url.Values{"offset": {strconv.Itoa(offset)}, "limit": {"100"}})
		if res.Total != 250 || res.Offset != offset || res.Limit != 100 {
			t.Fatalf("page at %d: total %d offset %d limit %d", offset, res.Total, res.Offset, res.Limit)
		}
		for _, m := range res.MessageList {
			seen[m.MessageUUID] = true
		}
		if rec := e.last(); rec.Offset != offset || rec.Limit != 100 || rec.Returned != len(res.MessageList) {
			t.Fatalf("logged %+v", rec)
		}
		if offset+100 >= res.Total {
			if len(res.MessageList) != 50 {
				t.Fatalf("the last page holds %d", len(res.MessageList))
			}
			break
		}
	}
	if len(seen) != 250 {
		t.Fatalf("pages held %d distinct messages, want 250", len(seen))
	}
	// Without offset and limit: the first 100. Beyond total: an empty page. The most: 1000.
	if res := e.result("head", id, nil); res.Offset != 0 || res.Limit != defaultLimit || len(res.MessageList) != defaultLimit {
		t.Errorf("default page: offset %d limit %d, %d messages", res.Offset, res.Limit, len(res.MessageList))
	}
	if res := e.result("head", id, url.Values{"offset": {"9223372036854775807"}, "limit": {"1000"}}); len(res.MessageList) != 0 || res.Total != 250 {
		t.Errorf("beyond total: %d messages, total %d", len(res.MessageList), res.Total)
	}
	if res := e.result("head", id, url.Values{"limit": {"1000"}}); len(res.MessageList) != 250 {
		t.Errorf("limit 1000: %d messages", len(res.MessageList))
	}
}

func TestPageRefusals(t *testing.T) {
	e := newEnv(t, WithQuotas(0, 0))
	id := e.searchOK("head", day(e.clock.Now()))
	for _, q := range []url.Values{
		{"offset": {"-1"}}, {"offset": {"x"}}, {"offset": {""}}, {"offset": {"99999999999999999999"}},
		{"limit": {"0"}}, {"limit": {"1001"}}, {"limit": {"-5"}}, {"limit": {"1e3"}}, {"limit": {""}},
	} {
		e.fetch("head", id, q).refusal(t, http.StatusBadRequest, wire.CodeInvalid, "GP-R-PAGE")
		var field string
		for k := range q {
			field = k
		}
		if rec := e.last(); rec.Breach.Field.String() != field {
			t.Errorf("%v: breach names %q", q, rec.Breach.Field)
		}
	}
}
