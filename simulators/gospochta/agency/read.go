package agency

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// ReadResult is what a reading did: the searches made, every message whose card was opened, and
// the X-Request-Id of every request.
type ReadResult struct {
	Searches   []Search
	Messages   []ReadMessage
	RequestIDs []string
}

// Search is one search task of a reading.
type Search struct {
	From, To string // the period as sent (wire.TimeLayout, Moscow time)
	TaskUUID string
	State    string // the task's last state seen
	Total    int
	Fetches  int // GETs of the task, polls and pages
}

// ReadMessage is a message whose card the client opened (GP-R-LEGAL: it is now read).
type ReadMessage struct {
	ThreadUUID, MessageUUID string
	FeedTitle               string
	Card                    wire.Card
	Files                   []ReadFile
}

// ReadFile is an attachment of a card and what the client did with it.
type ReadFile struct {
	AttachmentUUID, FileName string
	Status                   string // the card's statusMnemonic
	Signed                   bool
	Downloaded               bool
	Size                     int
	// SignatureVerified says the .sig verified over the file against Config.Roots (GP-R-SIG);
	// SignatureError says why not, for a signed file.
	SignatureVerified bool
	SignatureError    string
}

// depthMargin keeps the oldest search start this far inside the 30 days, so that the time the
// request takes to arrive does not push it past the depth (GP-R-RANGE).
const depthMargin = time.Minute

// quotaDay counts the client's own searches and fetches of the Moscow day (GP-R-QUOTA).
type quotaDay struct {
	day               string
	searches, fetches int
}

// Read reads the organisation's Gospochta over [from, to) with a status filter (wire.FilterAny
// when empty). GP-R-RANGE: the period, cut to the last 30 days and to now, is split into searches
// of a day at most; GP-R-QUOTA: it never sends a sixth search or a sixteenth fetch of a Moscow day
// (ErrQuota); GP-R-TASK: it fetches a task after PollPause until it completes, and makes one new
// search for a task that ends in ERROR; GP-R-PAGE: it pages by 1000 through total; GP-R-LEGAL,
// GP-R-CARD, GP-R-SIG: it opens every card, downloads the READY attachments and their signatures
// and verifies them. It stops at the first refusal (403, 429, …, an *APIError) and returns what
// it read so far.
func (c *Client) Read(ctx context.Context, from, to time.Time, filter string) (ReadResult, error) {
	act := &action{}
	var res ReadResult
	err := c.read(ctx, act, &res, from, to, filter)
	res.RequestIDs = act.list()
	return res, err
}

func (c *Client) read(ctx context.Context, act *action, res *ReadResult, from, to time.Time, filter string) error {
	switch filter {
	case "":
		filter = wire.FilterAny
	case wire.FilterAny, wire.FilterRead, wire.FilterUnread:
	default:
		return fmt.Errorf("read: status filter %q is none of %s, %s, %s", filter, wire.FilterAny, wire.FilterRead, wire.FilterUnread)
	}
	windows, err := c.windows(from, to)
	if err != nil {
		return err
	}
	if !c.has(DefectQuota) {
		if left := c.searchesLeft(); len(windows) > left {
			return fmt.Errorf("read: the period needs %d searches of a day and %d are left today: %w (GP-R-QUOTA)", len(windows), left, ErrQuota)
		}
	}
	// All searches first: the lists are prepared in parallel, so the reading waits about once.
	for _, w := range windows {
		s, err := c.search(ctx, act, w[0], w[1], filter)
		if err != nil {
			return err
		}
		res.Searches = append(res.Searches, s)
	}
	seen := map[string]bool{}
	var failed error
	for i := range res.Searches {
		err := c.collect(ctx, act, res, i, filter, seen)
		var te *TaskError
		if errors.As(err, &te) {
			failed = cmp.Or(failed, err) // the other days are still read
			continue
		}
		if err != nil {
			return err
		}
	}
	return failed
}

// windows splits [from, to) into searches: GP-R-RANGE, a day at most each (one for DefectWideRange),
// none older than 30 days nor after now.
func (c *Client) windows(from, to time.Time) ([][2]time.Time, error) {
	now := c.cfg.Clock.Now()
	if to.After(now) {
		to = now
	}
	if earliest := now.Add(-wire.MaxDepth + depthMargin); from.Before(earliest) {
		from = earliest
	}
	if !from.Before(to) {
		return nil, fmt.Errorf("read: nothing to read between %s and %s within the last 30 days (GP-R-RANGE)",
			from.Format(wire.TimeLayout), to.Format(wire.TimeLayout))
	}
	if c.has(DefectWideRange) {
		return [][2]time.Time{{from, to}}, nil // DefectWideRange: one search however long
	}
	var out [][2]time.Time
	for start := from; start.Before(to); start = start.Add(wire.MaxRange) {
		end := start.Add(wire.MaxRange)
		if end.After(to) {
			end = to
		}
		out = append(out, [2]time.Time{start, end})
	}
	return out, nil
}

// moscowDay is the quota's day (GP-R-QUOTA counts per Moscow day).
func (c *Client) moscowDay() string { return c.cfg.Clock.Now().In(wire.Moscow).Format(time.DateOnly) }

// searchesLeft is how many searches the client may still make today.
func (c *Client) searchesLeft() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rollQuota()
	return wire.SearchesPerDay - c.quota.searches
}

// rollQuota starts a new count on a new Moscow day; c.mu is held.
func (c *Client) rollQuota() {
	if d := c.moscowDay(); d != c.quota.day {
		c.quota = quotaDay{day: d}
	}
}

// spend counts a search or a fetch about to be sent, or refuses it when the day's quota is used
// (GP-R-QUOTA); DefectQuota counts without refusing.
func (c *Client) spend(search bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rollQuota()
	n, limit, what := &c.quota.fetches, wire.FetchesPerDay, "result fetches"
	if search {
		n, limit, what = &c.quota.searches, wire.SearchesPerDay, "searches"
	}
	if *n >= limit && !c.has(DefectQuota) {
		return fmt.Errorf("read: the %d %s of today (Moscow) are used: %w (GP-R-QUOTA)", limit, what, ErrQuota)
	}
	*n++
	return nil
}

// search creates a search task over [from, to).
func (c *Client) search(ctx context.Context, act *action, from, to time.Time, filter string) (Search, error) {
	s := Search{From: from.In(wire.Moscow).Format(wire.TimeLayout), To: to.In(wire.Moscow).Format(wire.TimeLayout)}
	if err := c.spend(true); err != nil {
		return s, err
	}
	body, err := json.Marshal(wire.SearchRequest{StartDateTime: s.From, EndDateTime: s.To, StatusFilter: filter})
	if err != nil {
		return s, err
	}
	r, err := c.do(ctx, act, call{api: readingAPI, method: http.MethodPost, pattern: wire.PathSearch, path: wire.PathSearch, body: body})
	if err != nil {
		return s, fmt.Errorf("read: search %s … %s: %w", s.From, s.To, err)
	}
	var created wire.SearchCreated
	if err := json.Unmarshal(r.body, &created); err != nil || created.SearchTaskUUID == "" {
		return s, fmt.Errorf("read: search %s … %s: HTTP %d without a searchTaskUuid: %.200q", s.From, s.To, r.status, r.body)
	}
	s.TaskUUID, s.State = created.SearchTaskUUID, wire.TaskSearch
	return s, nil
}

// collect waits for search i to complete and reads every message of its result (GP-R-TASK,
// GP-R-PAGE). The tasks were created together: the first is fetched after PollPause, the next at
// once, since they are likely complete by then.
func (c *Client) collect(ctx context.Context, act *action, res *ReadResult, i int, filter string, seen map[string]bool) error {
	s := &res.Searches[i]
	pause, retried := i == 0, false
	for {
		if pause && !c.has(DefectQuota) { // DefectQuota: no pause between fetches
			if err := c.sleep(ctx, c.cfg.PollPause); err != nil {
				return fmt.Errorf("read: search task %s: %w", s.TaskUUID, err)
			}
		}
		pause = true
		page, err := c.fetch(ctx, act, s, 0)
		if err != nil {
			return err
		}
		switch page.SearchTaskStatus {
		case wire.TaskCompleted:
			return c.pages(ctx, act, res, s, page, seen)
		case wire.TaskError:
			if retried {
				return &TaskError{TaskUUID: s.TaskUUID, From: s.From, To: s.To}
			}
			// GP-R-TASK: a failed task is searched again, once, if the day's quota allows.
			retried = true
			from, _ := time.Parse(wire.TimeLayout, s.From)
			to, _ := time.Parse(wire.TimeLayout, s.To)
			again, err := c.search(ctx, act, from, to, filter)
			if err != nil {
				return err
			}
			s.TaskUUID, s.State, s.Total = again.TaskUUID, again.State, 0
		}
	}
}

// fetch GETs one page of a search task (a fetch, GP-R-QUOTA).
func (c *Client) fetch(ctx context.Context, act *action, s *Search, offset int) (wire.SearchResult, error) {
	var page wire.SearchResult
	if err := c.spend(false); err != nil {
		return page, err
	}
	s.Fetches++
	r, err := c.do(ctx, act, call{api: readingAPI, method: http.MethodGet, pattern: wire.PathSearchTask,
		path:  strings.Replace(wire.PathSearchTask, "{searchTaskUuid}", url.PathEscape(s.TaskUUID), 1),
		query: url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(wire.MaxPage)}}})
	if err != nil {
		return page, fmt.Errorf("read: search task %s: %w", s.TaskUUID, err)
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		return page, fmt.Errorf("read: search task %s: the answer is not a search result: %v", s.TaskUUID, err)
	}
	s.State, s.Total = page.SearchTaskStatus, page.Total
	return page, nil
}

// pages opens the messages of the first page and of every next one through total (GP-R-PAGE).
func (c *Client) pages(ctx context.Context, act *action, res *ReadResult, s *Search, page wire.SearchResult, seen map[string]bool) error {
	for offset := 0; ; {
		for _, m := range page.MessageList {
			if seen[m.MessageUUID] {
				continue
			}
			seen[m.MessageUUID] = true
			rm, ok, err := c.open(ctx, act, m)
			if err != nil {
				return err
			}
			if ok {
				res.Messages = append(res.Messages, rm)
			}
		}
		offset += len(page.MessageList)
		if len(page.MessageList) == 0 || offset >= page.Total {
			return nil
		}
		var err error
		if page, err = c.fetch(ctx, act, s, offset); err != nil {
			return err
		}
	}
}

// open opens a message's card (GP-R-LEGAL) and takes its attachments (GP-R-CARD, GP-R-SIG); false
// when the card is not found.
func (c *Client) open(ctx context.Context, act *action, m wire.ListMessage) (ReadMessage, bool, error) {
	rm := ReadMessage{ThreadUUID: m.ThreadUUID, MessageUUID: m.MessageUUID, FeedTitle: m.FeedTitle}
	path := strings.NewReplacer("{threadUuid}", url.PathEscape(m.ThreadUUID), "{messageUuid}", url.PathEscape(m.MessageUUID)).Replace(wire.PathCard)
	r, err := c.do(ctx, act, call{api: readingAPI, method: http.MethodGet, pattern: wire.PathCard, path: path})
	if soft(err, http.StatusNotFound) {
		return rm, false, nil
	}
	if err != nil {
		return rm, false, fmt.Errorf("read: card of message %s: %w", m.MessageUUID, err)
	}
	if err := json.Unmarshal(r.body, &rm.Card); err != nil {
		return rm, false, fmt.Errorf("read: card of message %s: the answer is not a card: %v", m.MessageUUID, err)
	}
	for _, a := range rm.Card.AttachmentList {
		f, err := c.attachment(ctx, act, m.MessageUUID, a)
		if err != nil {
			return rm, true, err
		}
		rm.Files = append(rm.Files, f)
	}
	return rm, true, nil
}

// soft says err is a refusal of one of statuses: the thing asked for is not there, which the
// reading notes and goes on.
func soft(err error, statuses ...int) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, s := range statuses {
		if ae.Status == s {
			return true
		}
	}
	return false
}

// attachment downloads a READY attachment and, when signed, its signature, and verifies it
// (GP-R-CARD, GP-R-SIG). One DOWNLOADING or DELETED is noted, not asked for.
func (c *Client) attachment(ctx context.Context, act *action, messageUUID string, a wire.Attachment) (ReadFile, error) {
	f := ReadFile{AttachmentUUID: a.AttachmentUUID, FileName: a.FileName, Status: a.StatusMnemonic, Signed: a.Signed}
	if a.StatusMnemonic != wire.AttachmentReady {
		return f, nil
	}
	part := func(p string) string {
		return strings.NewReplacer("{messageUuid}", url.PathEscape(messageUUID),
			"{attachmentUuid}", url.PathEscape(a.AttachmentUUID), "{part}", p).Replace(wire.PathAttachment)
	}
	r, err := c.do(ctx, act, call{api: readingAPI, method: http.MethodGet, pattern: wire.PathAttachment, path: part("file")})
	if soft(err, http.StatusNotFound, http.StatusConflict, http.StatusGone) {
		return f, nil // its state changed since the card
	}
	if err != nil {
		return f, fmt.Errorf("read: attachment %s of message %s: %w", a.AttachmentUUID, messageUUID, err)
	}
	f.Downloaded, f.Size = true, len(r.body)
	if !a.Signed {
		return f, nil
	}
	sr, err := c.do(ctx, act, call{api: readingAPI, method: http.MethodGet, pattern: wire.PathAttachment, path: part("sig")})
	if soft(err, http.StatusNotFound, http.StatusConflict, http.StatusGone) {
		f.SignatureError = err.Error()
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read: signature of attachment %s of message %s: %w", a.AttachmentUUID, messageUUID, err)
	}
	if _, err := c.verifier.VerifyDetached(sr.body, r.body); err != nil {
		f.SignatureError = err.Error()
		return f, nil
	}
	f.SignatureVerified = true
	return f, nil
}
