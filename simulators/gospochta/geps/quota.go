package geps

import (
	"strconv"
	"time"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// quota is what an organisation used of its day (GP-R-QUOTA): the day is Moscow's, as the API's
// times are.
type quota struct {
	day               string // YYYY-MM-DD in Moscow
	searches, fetches int
}

// today is the quota of now's Moscow day, reset when the day has changed.
func (q *quota) today(now time.Time) *quota {
	if d := now.In(wire.Moscow).Format(time.DateOnly); q.day != d {
		*q = quota{day: d}
	}
	return q
}

// UseQuota pretends the organisation has already made searches searches and fetches result
// fetches today (Moscow day, on the service's clock), so a test meets the quota without spending
// it.
func (s *Service) UseQuota(org string, searches, fetches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.box(org).quota.today(s.now())
	q.searches = max(0, q.searches+searches)
	q.fetches = max(0, q.fetches+fetches)
}

// untilMidnight is Retry-After for a spent quota: the seconds until the next Moscow day.
func untilMidnight(now time.Time) string {
	m := now.In(wire.Moscow)
	next := time.Date(m.Year(), m.Month(), m.Day()+1, 0, 0, 0, 0, wire.Moscow)
	return strconv.Itoa(int(next.Sub(now).Seconds() + 0.999))
}
