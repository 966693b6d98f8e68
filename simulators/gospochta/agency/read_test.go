package agency

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/gospochta/geps"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
	"github.com/shepconf/shepconf/simulators/nca"
)

// mailbox fills the organisation's Gospochta: a signed file two days ago, an unsigned and a
// deleted one yesterday, a file whose signature is over other bytes two hours ago, and a message
// older than the 30 days a search reaches. It returns the uuids of the three within reach.
func (w *world) mailbox(t *testing.T) []string {
	t.Helper()
	fns, err := w.ca.Issue(nca.Subject{CommonName: "ФНС России"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(b []byte) []byte {
		sig, err := cms.SignDetached(fns, b)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	now := time.Now()
	msgs := []geps.Message{
		{MessageUUID: "11111111-0000-4000-8000-000000000001", FeedTitle: "ФНС", Created: now.Add(-50 * time.Hour),
			Attachments: []geps.File{{UUID: att1, Name: "act.pdf", Content: []byte("акт"), Signature: sign([]byte("акт"))}}},
		{MessageUUID: "11111111-0000-4000-8000-000000000002", FeedTitle: "Суд", Created: now.Add(-26 * time.Hour),
			Attachments: []geps.File{{UUID: att2, Name: "notice.pdf", Content: []byte("извещение")},
				{UUID: att3, Name: "gone.pdf", Content: []byte("x"), Status: wire.AttachmentDeleted}}},
		{MessageUUID: "11111111-0000-4000-8000-000000000003", FeedTitle: "ПФР", Created: now.Add(-2 * time.Hour),
			Attachments: []geps.File{{UUID: att4, Name: "forged.pdf", Content: []byte("подлинник"), Signature: sign([]byte("подделка"))}}},
		{MessageUUID: "11111111-0000-4000-8000-000000000004", FeedTitle: "Старое", Created: now.Add(-40 * 24 * time.Hour)},
	}
	var uuids []string
	for _, m := range msgs {
		if err := w.geps.AddMessage(w.org, m); err != nil {
			t.Fatal(err)
		}
		uuids = append(uuids, m.MessageUUID)
	}
	return uuids[:3]
}

// The attachments of the mailbox.
const (
	att1 = "22222222-0000-4000-8000-000000000001"
	att2 = "22222222-0000-4000-8000-000000000002"
	att3 = "22222222-0000-4000-8000-000000000003"
	att4 = "22222222-0000-4000-8000-000000000004"
)

func TestReadSplitsByDayOpensEveryCardAndVerifies(t *testing.T) {
	w := newWorld(t)
	want := w.mailbox(t)
	c := w.client(t)
	now := time.Now()
	res, err := c.Read(ctxFor(t, 20*time.Second), now.Add(-60*time.Hour), now.Add(time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Searches) != 3 { // GP-R-RANGE: 60 hours cut to now are three searches
		t.Errorf("searches %+v, want 3", res.Searches)
	}
	got := map[string]ReadMessage{}
	for _, m := range res.Messages {
		got[m.MessageUUID] = m
	}
	if len(got) != len(want) {
		t.Fatalf("read %d messages %v, want %v", len(got), res.Messages, want)
	}
	files := map[string]ReadFile{}
	for _, m := range res.Messages {
		for _, f := range m.Files {
			files[f.AttachmentUUID] = f
		}
	}
	for id, check := range map[string]func(ReadFile) bool{
		att1: func(f ReadFile) bool { return f.Downloaded && f.SignatureVerified },
		att2: func(f ReadFile) bool { return f.Downloaded && !f.Signed && !f.SignatureVerified },
		att3: func(f ReadFile) bool { return !f.Downloaded && f.Status == wire.AttachmentDeleted },
		att4: func(f ReadFile) bool { return f.Downloaded && !f.SignatureVerified && f.SignatureError != "" },
	} {
		if !check(files[id]) {
			t.Errorf("attachment %s: %+v", id, files[id])
		}
	}
	if d := w.geps.Deliveries(); len(d) != 3 { // GP-R-LEGAL
		t.Errorf("deliveries %+v, want the three cards opened", d)
	}
	ids := map[string]bool{}
	fetches := 0
	for _, r := range w.geps.Requests() {
		ids[r.RequestID] = true
		if r.Status/100 != 2 {
			t.Errorf("request %s %s answered %d %s", r.Method, r.Path, r.Status, r.Code)
		}
		if r.Endpoint == geps.EndpointSearchTask {
			fetches++
		}
	}
	if fetches > wire.FetchesPerDay || fetches < 3 {
		t.Errorf("%d fetches of search tasks", fetches)
	}
	for _, id := range res.RequestIDs {
		if !ids[id] {
			t.Errorf("request id %s not in the service's log", id)
		}
	}
}

func TestReadSearchesAgainAfterATaskError(t *testing.T) {
	w := newWorld(t)
	w.mailbox(t)
	w.geps.FailNextSearch(w.org)
	c := w.client(t)
	now := time.Now()
	res, err := c.Read(ctxFor(t, 20*time.Second), now.Add(-3*time.Hour), now, wire.FilterUnread)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 1 || res.Searches[0].State != wire.TaskCompleted {
		t.Errorf("read %+v after %+v, want the one message of the new search", res.Messages, res.Searches)
	}
	searches := 0
	for _, r := range w.geps.Requests() {
		if r.Endpoint == geps.EndpointSearch {
			searches++
		}
	}
	if searches != 2 {
		t.Errorf("%d searches, want the failed one and one more", searches)
	}
}

func TestReadKeepsToTheDaysQuota(t *testing.T) {
	w := newWorld(t)
	c := w.client(t)
	now := time.Now()
	res, err := c.Read(ctxFor(t, 5*time.Second), now.Add(-6*24*time.Hour), now, "")
	if !errors.Is(err, ErrQuota) || len(res.RequestIDs) != 0 {
		t.Fatalf("err %v after %d requests, want ErrQuota before any", err, len(res.RequestIDs))
	}
}

func TestReadDefectsAreRefused(t *testing.T) {
	cases := []struct {
		defect string
		wait   time.Duration
		status int
		code   string
	}{
		{DefectWideRange, testSearchWait, http.StatusUnprocessableEntity, wire.CodeRangeExceeded},
		{DefectQuota, time.Minute, http.StatusTooManyRequests, wire.CodeQuotaExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.defect, func(t *testing.T) {
			w := newWorld(t, geps.WithSearchWait(tc.wait))
			c := w.client(t, tc.defect)
			now := time.Now()
			_, err := c.Read(ctxFor(t, 10*time.Second), now.Add(-36*time.Hour), now, "")
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tc.status || ae.Code != tc.code {
				t.Fatalf("err %v, want HTTP %d %s", err, tc.status, tc.code)
			}
		})
	}
}

func TestConfigAndDefectsAreChecked(t *testing.T) {
	if err := CheckDefects([]string{DefectQuota, "no-such"}); err == nil {
		t.Error("an unknown defect passed")
	}
	for _, d := range KnownDefects {
		if d.Breaks == "" || d.What == "" {
			t.Errorf("defect %s says nothing of what it breaks", d.Name)
		}
	}
	if _, err := New(Config{ESIAURL: "https://esia", APIURL: "https://api", Mnemonic: "X"}); err == nil {
		t.Error("a client without identity was made")
	}
}
