package geps

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// GP-R-RANGE and the search body: each refusal names its field.
func TestSearchRefusals(t *testing.T) {
	now := start
	at := func(d time.Duration) string { return moscow(now.Add(d)) }
	cases := []struct {
		name         string
		body         any
		status       int
		code, ruleID string
		field        string
	}{
		{"no start", wire.SearchRequest{EndDateTime: at(0)}, 400, wire.CodeInvalid, "GP-R-RANGE", "startDateTime"},
		{"no offset", wire.SearchRequest{StartDateTime: "2026-12-10T00:00:00", EndDateTime: at(0)}, 400, wire.CodeInvalid, "GP-R-RANGE", "startDateTime"},
		{"bad end", wire.SearchRequest{StartDateTime: at(-time.Hour), EndDateTime: "yesterday"}, 400, wire.CodeInvalid, "GP-R-RANGE", "endDateTime"},
		{"end before start", wire.SearchRequest{StartDateTime: at(-time.Hour), EndDateTime: at(-2 * time.Hour)}, 400, wire.CodeInvalid, "GP-R-RANGE", "endDateTime"},
		{"empty range", wire.SearchRequest{StartDateTime: at(-time.Hour), EndDateTime: at(-time.Hour)}, 400, wire.CodeInvalid, "GP-R-RANGE", "endDateTime"},
		{"two days", wire.SearchRequest{StartDateTime: at(-48 * time.Hour), EndDateTime: at(0)}, 422, wire.CodeRangeExceeded, "GP-R-RANGE", "endDateTime"},
		{"a day and a second", wire.SearchRequest{StartDateTime: at(-24*time.Hour - time.Second), EndDateTime: at(0)}, 422, wire.CodeRangeExceeded, "GP-R-RANGE", "endDateTime"},
		{"31 days back", wire.SearchRequest{StartDateTime: at(-31 * 24 * time.Hour), EndDateTime: at(-30*24*time.Hour - time.Hour)}, 422, wire.CodeDepthExceeded, "GP-R-RANGE", "startDateTime"},
		{"future", wire.SearchRequest{StartDateTime: at(-time.Hour), EndDateTime: at(time.Minute)}, 422, wire.CodeFuture, "GP-R-RANGE", "endDateTime"},
		{"bad filter", wire.SearchRequest{StartDateTime: at(-time.Hour), EndDateTime: at(0), StatusFilter: "read"}, 400, wire.CodeInvalid, "GP-R-TASK", "statusFilter"},
		{"not JSON", "{startDateTime:", 400, wire.CodeInvalid, "GP-R-TASK", "body"},
		{"trailing data", `{"startDateTime":"` + at(-time.Hour) + `","endDateTime":"` + at(0) + `"} {}`, 400, wire.CodeInvalid, "GP-R-TASK", "body"},
		{"number for a time", `{"startDateTime": 5, "endDateTime": "x"}`, 400, wire.CodeInvalid, "GP-R-TASK", "startDateTime"},
		{"array", `[]`, 400, wire.CodeInvalid, "GP-R-TASK", "body"},
		{"too large", `{"statusFilter":"` + strings.Repeat("A", maxSearchBody) + `"}`, 413, wire.CodeTooLarge, "GP-R-TASK", "body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.do("POST", wire.PathSearch, "head", c.body).refusal(t, c.status, c.code, c.ruleID)
			if rec := e.last(); rec.Breach == nil || rec.Breach.Field.String() != c.field || rec.Endpoint != EndpointSearch {
				t.Errorf("logged breach %+v at %q, want field %s", rec.Breach, rec.Endpoint, c.field)
			}
		})
	}
}

// GP-R-RANGE: exactly a day, exactly 30 days back and ending now are allowed; any offset is read.
func TestSearchLimitsInclusive(t *testing.T) {
	e := newEnv(t, WithQuotas(0, 0))
	now := e.clock.Now()
	for _, req := range []wire.SearchRequest{
		{StartDateTime: moscow(now.Add(-wire.MaxRange)), EndDateTime: moscow(now)},
		{StartDateTime: moscow(now.Add(-wire.MaxDepth)), EndDateTime: moscow(now.Add(-wire.MaxDepth + time.Hour))},
		{StartDateTime: now.Add(-time.Hour).UTC().Format(time.RFC3339), EndDateTime: now.UTC().Format(time.RFC3339Nano), StatusFilter: wire.FilterUnread},
	} {
		e.searchOK("head", req)
		if rec := e.last(); !rec.To.Equal(mustParse(t, req.EndDateTime)) || rec.TaskUUID == "" {
			t.Errorf("logged %+v", rec)
		}
	}
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// GP-R-TASK: SEARCH for the first half of the wait, PROCESSING for the second, then COMPLETED; a
// page is empty until then.
func TestTaskStatesOnTheClock(t *testing.T) {
	e := newEnv(t, WithQuotas(0, 0))
	m := e.add(orgA, time.Hour, Message{FeedTitle: "ФССП", FeedSubtitle: "Извещение"})
	id := e.searchOK("head", day(e.clock.Now()))
	steps := []struct {
		after time.Duration
		state string
		total int
	}{
		{0, wire.TaskSearch, 0},
		{29 * time.Minute, wire.TaskSearch, 0},
		{time.Minute, wire.TaskProcessing, 0},
		{29 * time.Minute, wire.TaskProcessing, 0},
		{time.Minute, wire.TaskCompleted, 1},
		{6 * 24 * time.Hour, wire.TaskCompleted, 1},
	}
	for _, st := range steps {
		e.clock.Advance(st.after)
		res := e.result("head", id, nil)
		if res.SearchTaskStatus != st.state || res.Total != st.total || res.MessageList == nil {
			t.Fatalf("at +%s: %+v, want %s with %d", e.clock.Now().Sub(start), res, st.state, st.total)
		}
		if rec := e.last(); rec.Task != st.state || rec.TaskUUID != id || rec.Endpoint != EndpointSearchTask {
			t.Fatalf("logged %+v", rec)
		}
	}
	res := e.result("head", id, nil)
	got := res.MessageList[0]
	if got.MessageUUID != m.MessageUUID || got.ThreadUUID == "" || got.FeedTitle != "ФССП" || got.IsRead ||
		got.CreateDate != moscow(m.Created) || !strings.HasSuffix(got.CreateDate, "+03:00") {
		t.Errorf("listed %+v", got)
	}
	// GP-R-TASK: kept 7 days, then not found.
	e.clock.Advance(24 * time.Hour)
	e.fetch("head", id, nil).refusal(t, http.StatusNotFound, wire.CodeTaskNotFound, "GP-R-TASK")
}

func TestShortWaitAndFailedSearch(t *testing.T) {
	e := newEnv(t, WithSearchWait(0))
	id := e.searchOK("head", day(e.clock.Now()))
	if res := e.result("head", id, nil); res.SearchTaskStatus != wire.TaskCompleted {
		t.Fatalf("with no wait: %s", res.SearchTaskStatus)
	}
	e.s.FailNextSearch(orgA)
	failed := e.searchOK("head", day(e.clock.Now()))
	if res := e.result("head", failed, nil); res.SearchTaskStatus != wire.TaskError || res.Total != 0 || len(res.MessageList) != 0 {
		t.Fatalf("the failed task: %+v", res)
	}
	// Only the next one fails.
	if res := e.result("head", e.searchOK("head", day(e.clock.Now())), nil); res.SearchTaskStatus != wire.TaskCompleted {
		t.Fatalf("the task after: %s", res.SearchTaskStatus)
	}
}

// The result is the organisation's messages created in [start, end) matching the filter, as they
// were when the task completed.
func TestSearchResultIsTheSnapshotAtCompletion(t *testing.T) {
	e := newEnv(t, WithQuotas(0, 0), WithSearchWait(time.Hour))
	now := e.clock.Now()
	req := wire.SearchRequest{StartDateTime: moscow(now.Add(-10 * time.Hour)), EndDateTime: moscow(now.Add(-2 * time.Hour))}
	atStart := e.add(orgA, 10*time.Hour, Message{FeedSubtitle: "at the start"})
	e.add(orgA, 2*time.Hour, Message{FeedSubtitle: "at the end: outside"})
	e.add(orgA, 11*time.Hour, Message{FeedSubtitle: "before"})
	e.add(orgB, 5*time.Hour, Message{FeedSubtitle: "another organisation's"})
	read := e.add(orgA, 5*time.Hour, Message{FeedSubtitle: "read"})
	e.do("GET", cardPath(read.ThreadUUID, read.MessageUUID), "head", nil).decode(t, &wire.Card{})
	anyID := e.searchOK("head", req)
	req.StatusFilter = wire.FilterUnread
	unreadID := e.searchOK("head", req)
	req.StatusFilter = wire.FilterRead
	readID := e.searchOK("head", req)

	e.clock.Advance(30 * time.Minute)
	e.add(orgA, 6*time.Hour, Message{FeedSubtitle: "came while the task was prepared"})
	e.clock.Advance(31 * time.Minute)
	e.add(orgA, 7*time.Hour, Message{FeedSubtitle: "came after completion"})

	subjects := func(id string) []string {
		var out []string
		for _, m := range e.result("head", id, nil).MessageList {
			out = append(out, m.FeedSubtitle)
		}
		return out
	}
	if got := strings.Join(subjects(anyID), "|"); got != "at the start|came while the task was prepared|read" {
		t.Errorf("ANY listed %s", got)
	}
	if got := strings.Join(subjects(readID), "|"); got != "read" {
		t.Errorf("READ listed %s", got)
	}
	// The unread list is prepared: reading a message of it later changes neither the list nor its isRead.
	first := e.result("head", unreadID, nil)
	e.do("GET", cardPath(first.MessageList[0].ThreadUUID, first.MessageList[0].MessageUUID), "admin", nil).decode(t, &wire.Card{})
	again := e.result("head", unreadID, nil)
	if again.Total != 2 || again.MessageList[0].IsRead || again.MessageList[0].MessageUUID != atStart.MessageUUID {
		t.Errorf("UNREAD after a reading: %+v", again)
	}
}

// GP-R-TASK: another organisation's task, an unknown one and a malformed uuid.
func TestTaskNotFound(t *testing.T) {
	e := newEnv(t, WithQuotas(0, 0))
	id := e.searchOK("head", day(e.clock.Now()))
	e.fetch("other", id, nil).refusal(t, http.StatusNotFound, wire.CodeTaskNotFound, "GP-R-TASK")
	e.fetch("head", "3f2b1c9e-8d4a-4e6b-9c1d-2a7f5e0b6c3d", nil).refusal(t, http.StatusNotFound, wire.CodeTaskNotFound, "GP-R-TASK")
	for _, bad := range []string{"42", "{3f2b1c9e-8d4a-4e6b-9c1d-2a7f5e0b6c3d}", "3f2b1c9e8d4a4e6b9c1d2a7f5e0b6c3d", "%27%20OR%201=1"} {
		e.fetch("head", bad, nil).refusal(t, http.StatusBadRequest, wire.CodeInvalid, "GP-R-TASK")
	}
	e.result("admin", id, nil) // the organisation's administrator reads its head's task
}

// The simulator's bound on the tasks kept: 503 service.busy beyond, until they expire.
func TestTaskCap(t *testing.T) {
	e := newEnv(t, WithQuotas(0, 0))
	for range MaxTasksPerOrg {
		e.searchOK("head", day(e.clock.Now()))
	}
	e.do("POST", wire.PathSearch, "head", day(e.clock.Now())).refusal(t, http.StatusServiceUnavailable, wire.CodeBusy, "GP-R-TASK")
	e.searchOK("other", day(e.clock.Now()))
	e.clock.Advance(wire.SearchKept)
	e.searchOK("head", day(e.clock.Now()))
	e.s.mu.Lock()
	n := len(e.s.tasks)
	e.s.mu.Unlock()
	if n != 2 { // the other organisation's stays until one of its calls prunes it
		t.Errorf("%d tasks kept after the expiry, want 2", n)
	}
}
