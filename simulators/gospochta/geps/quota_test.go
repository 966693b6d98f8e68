package geps

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// GP-R-QUOTA: 5 searches per organisation per Moscow day; a refused search does not count.
func TestSearchQuota(t *testing.T) {
	e := newEnv(t)
	bad := wire.SearchRequest{StartDateTime: moscow(start.Add(-48 * time.Hour)), EndDateTime: moscow(start)}
	for range 3 {
		e.do("POST", wire.PathSearch, "head", bad).refusal(t, http.StatusUnprocessableEntity, wire.CodeRangeExceeded, "GP-R-RANGE")
	}
	for range wire.SearchesPerDay {
		e.searchOK("head", day(e.clock.Now()))
	}
	r := e.do("POST", wire.PathSearch, "admin", day(e.clock.Now()))
	r.refusal(t, http.StatusTooManyRequests, wire.CodeQuotaExceeded, "GP-R-QUOTA")
	// 12:00 Moscow: 12 hours to the next day.
	if got := r.header.Get("Retry-After"); got != strconv.Itoa(12*3600) {
		t.Errorf("Retry-After = %q", got)
	}
	e.searchOK("other", day(e.clock.Now())) // per organisation
	// The day is Moscow's: 23:59:59 MSK still today, 00:00 MSK the next.
	e.clock.AdvanceTo(time.Date(2026, 12, 10, 23, 59, 59, 0, wire.Moscow))
	e.do("POST", wire.PathSearch, "head", day(e.clock.Now())).refusal(t, http.StatusTooManyRequests, wire.CodeQuotaExceeded, "GP-R-QUOTA")
	e.clock.Advance(time.Second)
	e.searchOK("head", day(e.clock.Now()))
}

// GP-R-QUOTA: 15 result fetches a day, whatever the task's state or whether it exists.
func TestFetchQuota(t *testing.T) {
	e := newEnv(t)
	id := e.searchOK("head", day(e.clock.Now()))
	e.fetch("head", uuid.NewString(), nil).refusal(t, http.StatusNotFound, wire.CodeTaskNotFound, "GP-R-TASK")
	for range wire.FetchesPerDay - 1 {
		if res := e.result("head", id, nil); res.SearchTaskStatus != wire.TaskSearch {
			t.Fatal(res.SearchTaskStatus)
		}
	}
	e.clock.Advance(wire.DefaultSearchWait)
	e.fetch("head", id, nil).refusal(t, http.StatusTooManyRequests, wire.CodeQuotaExceeded, "GP-R-QUOTA")
	if rec := e.last(); rec.Task != "" || rec.Breach.Rule != "GP-R-QUOTA" {
		t.Errorf("logged %+v", rec)
	}
	// Another organisation has its own day.
	e.fetch("other", id, nil).refusal(t, http.StatusNotFound, wire.CodeTaskNotFound, "GP-R-TASK")
	e.clock.Advance(12 * time.Hour)
	if res := e.result("head", id, nil); res.SearchTaskStatus != wire.TaskCompleted {
		t.Fatal(res.SearchTaskStatus)
	}
}

func TestUseQuotaAndQuotaOptions(t *testing.T) {
	e := newEnv(t, WithQuotas(2, 3))
	e.s.UseQuota(orgA, 1, 3)
	id := e.searchOK("head", day(e.clock.Now()))
	e.do("POST", wire.PathSearch, "head", day(e.clock.Now())).refusal(t, http.StatusTooManyRequests, wire.CodeQuotaExceeded, "GP-R-QUOTA")
	e.fetch("head", id, nil).refusal(t, http.StatusTooManyRequests, wire.CodeQuotaExceeded, "GP-R-QUOTA")
	e.s.UseQuota(orgA, -5, -1) // never below zero; a negative use gives back
	e.result("head", id, nil)

	unlimited := newEnv(t, WithQuotas(0, -1))
	for range 20 {
		unlimited.result("head", unlimited.searchOK("head", day(unlimited.clock.Now())), nil)
	}
}
