package router

import (
	"net/http"
	"slices"
	"testing"
)

// sendMany sends n documents from the agency to the ministry, returning their ids.
func (e *env) sendMany(n int) []string {
	e.t.Helper()
	tok := e.token(e.agency)
	var ids []string
	for range n {
		ids = append(ids, e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry), map[string][]byte{"a.pdf": []byte("A")}))
	}
	return ids
}

// SMDO-POLL: the incoming list pages from 0 with 1..100 packages a page, in the order routed, and
// says whether a next page exists.
func TestListPaging(t *testing.T) {
	e := newEnv(t)
	ids := e.sendMany(5)
	mtok := e.token(e.ministry)
	var seen []string
	for page, want := range []struct {
		n       int
		hasNext bool
	}{{2, true}, {2, true}, {1, false}} {
		l := e.list(mtok, page, 2, true)
		if len(l.Content) != want.n || l.HasNext != want.hasNext || l.TotalElements != 5 || l.Page != page || l.Size != 2 {
			t.Fatalf("page %d: %d items, hasNext %v, total %d", page, len(l.Content), l.HasNext, l.TotalElements)
		}
		for _, in := range l.Content {
			seen = append(seen, in.ID)
		}
		if rec := e.lastRequest(); rec.Op != "list" || len(rec.Listed) != want.n || rec.Subscriber != e.ministry.ID {
			t.Errorf("log entry %+v", rec)
		}
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("listed %v, sent %v", seen, ids)
	}
	if l := e.list(mtok, 3, 2, true); len(l.Content) != 0 || l.HasNext {
		t.Errorf("past the end: %+v", l)
	}
	if l := e.list(mtok, 9223372036854775807/2, 100, true); len(l.Content) != 0 || l.TotalElements != 5 {
		t.Errorf("a huge page: %+v", l)
	}
	for _, c := range []struct {
		body  string
		field string
	}{
		{`{"page":0,"size":0,"onlyNew":true}`, "size"},
		{`{"page":0,"size":101,"onlyNew":true}`, "size"},
		{`{"page":-1,"size":10,"onlyNew":true}`, "page"},
		{`{"page":"first","size":10}`, "page"},
		{`{"page":0,"size":1e30}`, "size"},
		{`{"page":0,"size":10,"onlyNew":"yes"}`, "onlyNew"},
	} {
		e.postJSON("POST", incomingPath, mtok, []byte(c.body)).refusal(t, http.StatusBadRequest, "SMDO-POLL", c.field)
	}
	// a client sending nothing gets the first page of everything
	if r := e.do("POST", incomingPath, mtok, "application/json", nil); r.status != http.StatusOK || r.json(t)["totalElements"] != float64(5) {
		t.Errorf("no body: %d %s", r.status, r.body)
	}
}

// SMDO-CONFIRM: an unconfirmed package stays listed and every list that returns it is recorded;
// once confirmed it leaves the new ones but stays in the full list.
func TestUnconfirmedStaysListed(t *testing.T) {
	e := newEnv(t)
	id := e.sendMany(1)[0]
	mtok := e.token(e.ministry)
	var confirmID string
	for i := range 3 {
		l := e.list(mtok, 0, 100, true)
		if len(l.Content) != 1 || l.Content[0].ID != id {
			t.Fatalf("list %d: %+v", i, l)
		}
		confirmID = l.Content[0].ConfirmID
	}
	d := e.pkg(id).Deliveries[0]
	if len(d.Offered) != 3 || d.Offers != 3 || !d.Confirmed.IsZero() || d.ConfirmID != confirmID {
		t.Errorf("delivery %+v", d)
	}
	e.confirm(mtok, confirmID)
	if l := e.list(mtok, 0, 100, true); len(l.Content) != 0 {
		t.Errorf("confirmed, still new: %+v", l)
	}
	if l := e.list(mtok, 0, 100, false); len(l.Content) != 1 {
		t.Errorf("the full list lost it: %+v", l)
	}
	if d := e.pkg(id).Deliveries[0]; d.Offers != 4 || d.Confirmed.IsZero() {
		t.Errorf("delivery %+v", d)
	}
}

// Offers beyond MaxOffers keep the newest times and count them all.
func TestOffersBounded(t *testing.T) {
	e := newEnv(t, WithLimits(Limits{MaxOffers: 2}))
	id := e.sendMany(1)[0]
	mtok := e.token(e.ministry)
	for range 5 {
		e.list(mtok, 0, 100, true)
	}
	if d := e.pkg(id).Deliveries[0]; len(d.Offered) != 2 || d.Offers != 5 || !d.Offered[0].Before(d.Offered[1]) {
		t.Errorf("delivery %+v", d)
	}
}

// SMDO-CONFIRM: a batch confirms all its packages or none; an unknown or another's confirmId is 404.
func TestConfirmBatch(t *testing.T) {
	e := newEnv(t)
	ids := e.sendMany(3)
	mtok := e.token(e.ministry)
	l := e.list(mtok, 0, 100, true)
	c := []string{l.Content[0].ConfirmID, l.Content[1].ConfirmID, l.Content[2].ConfirmID}

	e.postJSON("POST", incomingPath+"/confirm/batch", mtok, map[string]any{"ids": []string{c[0], "unknown"}}).
		refusal(t, http.StatusNotFound, "SMDO-CONFIRM", "ids[1]")
	if p := e.pkg(ids[0]); p.State != StateRouted {
		t.Errorf("a refused batch confirmed %s", p.ID)
	}
	atok := e.token(e.agency)
	e.postJSON("POST", incomingPath+"/confirm/batch", atok, map[string]any{"ids": []string{c[0]}}).
		refusal(t, http.StatusNotFound, "SMDO-CONFIRM", "ids[0]")
	e.do("GET", incomingPath+"/confirm/"+c[2], atok, "", nil).refusal(t, http.StatusNotFound, "SMDO-CONFIRM", "confirmId")
	e.do("GET", incomingPath+"/confirm/unknown", mtok, "", nil).refusal(t, http.StatusNotFound, "SMDO-CONFIRM", "confirmId")
	e.postJSON("POST", incomingPath+"/confirm/batch", mtok, map[string]any{"ids": []string{}}).refusal(t, http.StatusBadRequest, "SMDO-CONFIRM", "ids")
	e.postJSON("POST", incomingPath+"/confirm/batch", mtok, []byte(`{"ids":[1,2]}`)).refusal(t, http.StatusBadRequest, "SMDO-CONFIRM", "ids")

	if r := e.postJSON("POST", incomingPath+"/confirm/batch", mtok, map[string]any{"ids": c[:2]}); r.status != http.StatusNoContent {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if rec := e.lastRequest(); rec.Op != "confirm-batch" || !slices.Equal(rec.ConfirmIDs, c[:2]) {
		t.Errorf("log entry %+v", rec)
	}
	for i, id := range ids {
		want := StateDelivered
		if i == 2 {
			want = StateRouted
		}
		if p := e.pkg(id); p.State != want {
			t.Errorf("package %d: %s, want %s", i, p.State, want)
		}
	}
	if s := e.list(atok, 0, 100, true); s.TotalElements != 2 || s.Content[0].ParentID != ids[0] || s.Content[1].ParentID != ids[1] {
		t.Errorf("receipts %+v", s)
	}
}

// A package to two receivers is delivered once both confirmed; each confirmation brings the sender
// a receipt naming the receiver.
func TestTwoReceivers(t *testing.T) {
	e := newEnv(t)
	if err := e.r.AddSubscriber(Subscriber{ID: "1004", Code: "SMDO-OBLAST", Name: "Облисполком", Username: "oblast", Password: "secret-o"}); err != nil {
		t.Fatal(err)
	}
	oblast := party{ID: "1004", Code: "SMDO-OBLAST", Name: "Облисполком", User: "oblast", Pass: "secret-o"}
	tok := e.token(e.agency)
	id := e.sendAll(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry, oblast), map[string][]byte{"a.pdf": []byte("A")})
	m := e.list(e.token(e.ministry), 0, 100, true).Content[0]
	o := e.list(e.token(oblast), 0, 100, true).Content[0]
	if m.ConfirmID == o.ConfirmID || m.ID != id || o.ID != id {
		t.Fatalf("deliveries %+v %+v", m, o)
	}
	e.confirm(e.token(e.ministry), m.ConfirmID)
	if p := e.pkg(id); p.State != StateRouted {
		t.Errorf("state %s after one of two", p.State)
	}
	e.confirm(e.token(oblast), o.ConfirmID)
	if p := e.pkg(id); p.State != StateDelivered {
		t.Errorf("state %s after both", p.State)
	}
	s := e.list(tok, 0, 100, true)
	if len(s.Content) != 2 {
		t.Fatalf("%d receipts", len(s.Content))
	}
	_, _, _, v1 := ackOf(t, s.Content[0].Body)
	_, _, _, v2 := ackOf(t, s.Content[1].Body)
	if !contains(v1, "SMDO-MINISTRY") || !contains(v2, "SMDO-OBLAST") {
		t.Errorf("receipts %q %q", v1, v2)
	}
}
