package geps_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/simulators/gospochta/geps"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// A reader's day: search, wait for the task on the service's clock, page, open the card.
func Example() {
	now := time.Date(2026, 12, 10, 12, 0, 0, 0, wire.Moscow)
	c := clock.NewVirtual(now)
	auth := func(token string) (wire.Caller, error) { // the contour backs this with ESIA
		return wire.Caller{System: "GP_AGENCY", OrgOID: "1000000101", Roles: []string{wire.RoleHead}}, nil
	}
	svc := geps.New(auth, geps.WithClock(c))
	_ = svc.AddMessage("1000000101", geps.Message{
		ThreadUUID: "6f0c7f3e-0d5b-4b8e-9d7a-0c1b2a3d4e5f", MessageUUID: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
		FeedTitle: "ФССП России", Text: "Извещение", Created: now.Add(-time.Hour),
	})
	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()
	call := func(method, path, body string, v any) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer token-from-esia")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(v)
		return resp.StatusCode
	}

	var task wire.SearchCreated
	call("POST", wire.PathSearch, `{"startDateTime":"2026-12-09T12:00:00+03:00","endDateTime":"2026-12-10T12:00:00+03:00"}`, &task)
	var res wire.SearchResult
	call("GET", wire.ReadBase+"/search/"+task.SearchTaskUUID+"?offset=0&limit=1000", "", &res)
	fmt.Println(res.SearchTaskStatus)
	c.Advance(wire.DefaultSearchWait) // the list is prepared in about an hour
	call("GET", wire.ReadBase+"/search/"+task.SearchTaskUUID+"?offset=0&limit=1000", "", &res)
	fmt.Println(res.SearchTaskStatus, res.Total, res.MessageList[0].IsRead)
	var card wire.Card
	m := res.MessageList[0]
	call("GET", wire.ReadBase+"/message/"+m.ThreadUUID+"/"+m.MessageUUID, "", &card)
	fmt.Println(card.Text, card.IsRead, card.StatusList[0].Mnemonic)
	fmt.Println(len(svc.Deliveries()), "legal delivery at", svc.Deliveries()[0].At.In(wire.Moscow).Format(time.RFC3339))
	// Output:
	// SEARCH
	// COMPLETED 1 false
	// Извещение true READ
	// 1 legal delivery at 2026-12-10T13:00:00+03:00
}
