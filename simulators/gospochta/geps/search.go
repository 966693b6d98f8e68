package geps

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// task is a search task (GP-R-TASK). Its state follows from the clock: SEARCH for the first half
// of the wait, PROCESSING for the second, then COMPLETED or ERROR.
type task struct {
	uuid     string
	org      string
	created  time.Time
	from, to time.Time
	filter   string
	fail     bool
	list     []*message // the result, taken at the first fetch after completion
	snapped  bool
}

func (s *Service) stateOf(t *task, now time.Time) string {
	switch {
	case now.Before(t.created.Add(s.wait / 2)):
		return wire.TaskSearch
	case now.Before(t.created.Add(s.wait)):
		return wire.TaskProcessing
	case t.fail:
		return wire.TaskError
	}
	return wire.TaskCompleted
}

// snapshot is the task's result as it was prepared at its completion: the messages of the
// organisation created in [from, to) that had come by then and match the filter as they were
// then, oldest first. Reading a message later does not change a prepared list. Called with s.mu
// held.
func (s *Service) snapshot(t *task) []*message {
	if t.snapped {
		return t.list
	}
	done := t.created.Add(s.wait)
	var list []*message
	for _, m := range s.box(t.org).messages {
		if m.added.After(done) || m.Created.Before(t.from) || !m.Created.Before(t.to) {
			continue
		}
		if read := m.readBy(done); (t.filter == wire.FilterRead && !read) || (t.filter == wire.FilterUnread && read) {
			continue
		}
		list = append(list, m)
	}
	slices.SortFunc(list, func(a, b *message) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.MessageUUID, b.MessageUUID)
	})
	t.list, t.snapped = list, true
	return list
}

// expired says the task's result is no longer kept (GP-R-TASK: 7 days).
func expired(t *task, now time.Time) bool { return !now.Before(t.created.Add(wire.SearchKept)) }

// prune forgets the organisation's expired tasks. Called with s.mu held.
func (s *Service) prune(b *mailbox, now time.Time) {
	b.tasks = slices.DeleteFunc(b.tasks, func(id string) bool {
		if t := s.tasks[id]; t == nil || expired(t, now) {
			delete(s.tasks, id)
			return true
		}
		return false
	})
}

// search serves POST search: a search task over at most a day of the organisation's Gospochta.
func (s *Service) search(w http.ResponseWriter, r *http.Request, caller wire.Caller) {
	rec := recordOf(r)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSearchBody+1))
	if err != nil {
		refuse(w, r, http.StatusBadRequest, wire.CodeInvalid, breach("GP-R-TASK", "body",
			msg.F("a JSON body {startDateTime, endDateTime, statusFilter}"), msg.F("the body could not be read: %s", msg.Of(err)), msg.F("send the whole body")))
		return
	}
	if len(body) > maxSearchBody {
		refuse(w, r, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, breach("GP-R-TASK", "body",
			msg.F("a search body of at most %d bytes", maxSearchBody), msg.F("more than %d bytes", maxSearchBody),
			msg.F("send only {startDateTime, endDateTime, statusFilter}")))
		return
	}
	var req wire.SearchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		field := "body"
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			field = te.Field
		}
		refuse(w, r, http.StatusBadRequest, wire.CodeInvalid, breach("GP-R-TASK", field,
			msg.F(`a JSON object {"startDateTime": "2026-12-01T00:00:00+03:00", "endDateTime": "…", "statusFilter": "ANY"}`),
			msg.F("not one: %s", msg.Of(err)), msg.F("send the search as that JSON object with string fields")))
		return
	}
	from, ok := searchTime(w, r, "startDateTime", req.StartDateTime)
	if !ok {
		return
	}
	to, ok := searchTime(w, r, "endDateTime", req.EndDateTime)
	if !ok {
		return
	}
	rec.From, rec.To = from, to
	filter := req.StatusFilter
	if filter == "" {
		filter = wire.FilterAny
	}
	if filter != wire.FilterAny && filter != wire.FilterRead && filter != wire.FilterUnread {
		refuse(w, r, http.StatusBadRequest, wire.CodeInvalid, breach("GP-R-TASK", "statusFilter",
			msg.F("%s, %s or %s", wire.FilterAny, wire.FilterRead, wire.FilterUnread), quoted(filter), msg.F("send one of the three, or none for ANY")))
		return
	}
	// GP-R-RANGE: a search covers at most a day, no deeper than 30 days, not into the future.
	now := s.now()
	switch {
	case !to.After(from):
		refuse(w, r, http.StatusBadRequest, wire.CodeInvalid, breach("GP-R-RANGE", "endDateTime",
			msg.F("an end after the start"), msg.F("%s is not after %s", req.EndDateTime, req.StartDateTime), msg.F("send the range's start and end in order")))
		return
	case to.Sub(from) > wire.MaxRange:
		refuse(w, r, http.StatusUnprocessableEntity, wire.CodeRangeExceeded, breach("GP-R-RANGE", "endDateTime",
			msg.F("a range of at most a day"), msg.F("a range of %s", to.Sub(from).String()), msg.F("split the period into searches of a day at most")))
		return
	case from.Before(now.Add(-wire.MaxDepth)):
		refuse(w, r, http.StatusUnprocessableEntity, wire.CodeDepthExceeded, breach("GP-R-RANGE", "startDateTime",
			msg.F("a start no earlier than 30 days ago (%s)", moscow(now.Add(-wire.MaxDepth))), msg.Raw(req.StartDateTime),
			msg.F("search only the last 30 days")))
		return
	case to.After(now):
		refuse(w, r, http.StatusUnprocessableEntity, wire.CodeFuture, breach("GP-R-RANGE", "endDateTime",
			msg.F("an end no later than now (%s)", moscow(now)), msg.Raw(req.EndDateTime), msg.F("end the range at the present moment at the latest")))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	org := orgOf(caller)
	b := s.box(org)
	s.prune(b, now)
	// GP-R-QUOTA: 5 search orders per organisation per day. Only a search that is taken counts.
	q := b.quota.today(now)
	if s.searches > 0 && q.searches >= s.searches {
		w.Header().Set("Retry-After", untilMidnight(now))
		refuse(w, r, http.StatusTooManyRequests, wire.CodeQuotaExceeded, breach("GP-R-QUOTA", "",
			msg.F("at most %d searches per organisation per day", s.searches),
			msg.F("organisation %s has made %d today (%s, Moscow)", org, q.searches, q.day),
			msg.F("search each day once, and fetch the result of the tasks already made")))
		return
	}
	if len(b.tasks) >= MaxTasksPerOrg {
		w.Header().Set("Retry-After", "3600")
		refuse(w, r, http.StatusServiceUnavailable, wire.CodeBusy, breach("GP-R-TASK", "",
			msg.F("at most %d search tasks kept per organisation (the simulator's bound)", MaxTasksPerOrg),
			msg.F("organisation %s has %d", org, len(b.tasks)), msg.F("fetch the results of the tasks already made")))
		return
	}
	q.searches++
	t := &task{uuid: uuid.NewString(), org: org, created: now, from: from, to: to, filter: filter}
	if b.failNext > 0 {
		t.fail = true
		b.failNext--
	}
	s.tasks[t.uuid] = t
	b.tasks = append(b.tasks, t.uuid)
	rec.TaskUUID = t.uuid
	server.WriteJSON(w, http.StatusOK, wire.SearchCreated{SearchTaskUUID: t.uuid})
}

// searchTime parses a time of the search: RFC 3339 with its offset (the API writes +03:00).
func searchTime(w http.ResponseWriter, r *http.Request, field, v string) (time.Time, bool) {
	if v == "" {
		refuse(w, r, http.StatusBadRequest, wire.CodeInvalid, breach("GP-R-RANGE", field,
			msg.F("a time with its offset, e.g. 2026-12-01T00:00:00+03:00"), msg.F("none"), msg.F("send %s", field)))
		return time.Time{}, false
	}
	t, err := time.Parse(wire.TimeLayout, v)
	if err != nil {
		refuse(w, r, http.StatusBadRequest, wire.CodeInvalid, breach("GP-R-RANGE", field,
			msg.F("a time with its offset, e.g. 2026-12-01T00:00:00+03:00"), quoted(v),
			msg.F("write the time in RFC 3339 with the offset +03:00")))
		return time.Time{}, false
	}
	return t, true
}

// clip cuts a value quoted in a breach: a client can send a long one.
func clip(v string) string {
	if len(v) > 100 {
		return v[:100] + "…"
	}
	return v
}

// searchTask serves GET search/{searchTaskUuid}?offset&limit: the task's state and, once
// COMPLETED, a page of its result.
func (s *Service) searchTask(w http.ResponseWriter, r *http.Request, caller wire.Caller) {
	rec := recordOf(r)
	id := r.PathValue("searchTaskUuid")
	rec.TaskUUID = id
	if !pathUUID(w, r, "searchTaskUuid", id, "GP-R-TASK") {
		return
	}
	offset, limit, ok := page(w, r)
	if !ok {
		return
	}
	rec.Offset, rec.Limit = offset, limit

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	org := orgOf(caller)
	b := s.box(org)
	// GP-R-QUOTA: 15 result fetches per organisation per day, whatever the task's state: a reader
	// that asks too early spends its day.
	q := b.quota.today(now)
	if s.fetches > 0 && q.fetches >= s.fetches {
		w.Header().Set("Retry-After", untilMidnight(now))
		refuse(w, r, http.StatusTooManyRequests, wire.CodeQuotaExceeded, breach("GP-R-QUOTA", "",
			msg.F("at most %d result fetches per organisation per day", s.fetches),
			msg.F("organisation %s has made %d today (%s, Moscow)", org, q.fetches, q.day),
			msg.F("wait for the task's preparation (about an hour) before fetching, and page with limit 1000")))
		return
	}
	q.fetches++
	t := s.tasks[id]
	if t != nil && expired(t, now) {
		s.prune(s.box(t.org), now)
		t = nil
	}
	if t == nil || t.org != org {
		refuse(w, r, http.StatusNotFound, wire.CodeTaskNotFound, breach("GP-R-TASK", "searchTaskUuid",
			msg.F("a search task of the organisation made within 7 days"), msg.F("no such task: %s", id),
			msg.F("fetch the uuid POST search answered; after 7 days make a new search")))
		return
	}
	state := s.stateOf(t, now)
	rec.Task = state
	res := wire.SearchResult{SearchTaskStatus: state, Offset: offset, Limit: limit, MessageList: []wire.ListMessage{}}
	if state == wire.TaskCompleted {
		list := s.snapshot(t)
		res.Total = len(list)
		done := t.created.Add(s.wait)
		start := min(offset, len(list))
		for _, m := range list[start : start+min(limit, len(list)-start)] {
			res.MessageList = append(res.MessageList, wire.ListMessage{
				ThreadUUID: m.ThreadUUID, MessageUUID: m.MessageUUID, FeedTitle: m.FeedTitle,
				FeedSubtitle: m.FeedSubtitle, IsRead: m.readBy(done), CreateDate: moscow(m.Created),
			})
		}
		rec.Returned = len(res.MessageList)
	}
	server.WriteJSON(w, http.StatusOK, res)
}

// page reads offset (default 0) and limit (default 100) of a fetch (GP-R-PAGE): offset ≥ 0, limit
// 1..1000.
func page(w http.ResponseWriter, r *http.Request) (offset, limit int, ok bool) {
	q := r.URL.Query()
	offset, limit = 0, defaultLimit
	if v := q.Get("offset"); q.Has("offset") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			refuse(w, r, http.StatusBadRequest, wire.CodeInvalid, breach("GP-R-PAGE", "offset",
				msg.F("a whole number of 0 or more"), quoted(v), msg.F("page with offset 0, limit, 2×limit … below total")))
			return 0, 0, false
		}
		offset = n
	}
	if v := q.Get("limit"); q.Has("limit") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > wire.MaxPage {
			refuse(w, r, http.StatusBadRequest, wire.CodeInvalid, breach("GP-R-PAGE", "limit",
				msg.F("a whole number from 1 to %d", wire.MaxPage), quoted(v),
				msg.F("ask for pages of at most %d messages", wire.MaxPage)))
			return 0, 0, false
		}
		limit = n
	}
	return offset, limit, true
}

// defaultLimit is the page of a fetch without limit (the specification's default is not known).
const defaultLimit = 100

// pathUUID checks a UUID of the path, in its canonical 36-character form: anything else is 400
// naming the segment.
func pathUUID(w http.ResponseWriter, r *http.Request, field, v, ruleID string) bool {
	if _, err := uuid.Parse(v); err == nil && len(v) == 36 {
		return true
	}
	refuse(w, r, http.StatusBadRequest, wire.CodeInvalid, breach(ruleID, field,
		msg.F("a UUID, e.g. 3f2b1c9e-8d4a-4e6b-9c1d-2a7f5e0b6c3d"), quoted(v), msg.F("send the %s the API answered", field)))
	return false
}
