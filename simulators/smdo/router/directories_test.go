package router

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// SMDO-DIR: the directories of document, file and СЭД types as working clients read them.
func TestDirectoryEndpoints(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	read := func(path string) []map[string]any {
		r := e.do("GET", path, tok, "", nil)
		var out []map[string]any
		if r.status != http.StatusOK || json.Unmarshal(r.body, &out) != nil {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		return out
	}
	names := func(list []map[string]any, key string, fields ...string) []string {
		var out []string
		for _, e := range list {
			for _, f := range fields {
				if _, ok := e[f]; !ok {
					t.Errorf("entry %v has no %s", e, f)
				}
			}
			out = append(out, e[key].(string))
		}
		return out
	}
	common := []string{"id", "rowId", "status", "name", "objid", "createdOn", "updatedOn"}
	if kinds := names(read(docTypePath), "name", append(common, "docCode")...); !slices.Contains(kinds, "Письмо") || !slices.Contains(kinds, "Постановление") {
		t.Errorf("document types %v", kinds)
	}
	if exts := names(read(fileTypePath), "extension", append(common, "extension")...); !slices.Contains(exts, ".pdf") || !slices.Contains(exts, ".zip") {
		t.Errorf("file types %v", exts)
	}
	if seds := names(read(sedTypePath), "name", append(common, "description", "certified")...); len(seds) != 2 {
		t.Errorf("СЭД types %v", seds)
	}
	d, _ := DefaultDirectories()
	if !slices.Contains(d.FileExtensions(), ".tif") || slices.Contains(d.FileExtensions(), ".rtf") || slices.Contains(d.DocKinds(), "Телеграмма") {
		t.Errorf("active entries: %v %v", d.FileExtensions(), d.DocKinds())
	}
}

// WithDirectories replaces what packets may name.
func TestWithDirectories(t *testing.T) {
	d := Directories{DocTypes: []json.RawMessage{json.RawMessage(`{"status":"ACTIVE","name":"Меморандум","docCode":"M1"}`)},
		FileTypes: []json.RawMessage{json.RawMessage(`{"status":"ACTIVE","extension":".PDF"}`)}}
	e := newEnv(t, WithDirectories(d))
	tok := e.token(e.agency)
	ok := documentPacket(e.agency, []string{"a.pdf"}, e.ministry).set("body.envelop.body.document.kind", "M1")
	if id := e.sendAll(tok, e.agency, ok, map[string][]byte{"a.pdf": []byte("A")}); e.pkg(id).State != StateRouted {
		t.Errorf("refused: %+v", e.pkg(id).Refusal)
	}
	e.expectRefused(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry), map[string][]byte{"a.pdf": []byte("A")},
		"SMDO-DIR", "body.envelop.body.document.kind")
	if _, err := New(WithDirectories(Directories{DocTypes: []json.RawMessage{json.RawMessage(`[1]`)}})); err == nil {
		t.Error("a directory entry that is not an object was taken")
	}
}

// SMDO-DIR: the subscriber directory pages from 1; organization.id is the idAbonent, smdoCode the
// code, subscriberStatus the status.
func TestSubscriberSearch(t *testing.T) {
	e := newEnv(t)
	if err := e.r.AddSubscriber(Subscriber{ID: "1009", Code: "SMDO-CLOSED", Name: "Закрытая организация", Status: StatusBlocked}); err != nil {
		t.Fatal(err)
	}
	tok := e.token(e.agency)
	type page struct {
		Data []struct {
			SMDOCode         string `json:"smdoCode"`
			SubscriberStatus string `json:"subscriberStatus"`
			Organization     struct {
				ID       string `json:"id"`
				FullName struct {
					RU string `json:"ru"`
				} `json:"fullName"`
			} `json:"organization"`
		} `json:"data"`
		Paging struct {
			Page, Limit int
			HasNext     bool
		} `json:"paging"`
	}
	search := func(p, limit int) page {
		r := e.postJSON("POST", searchPath, tok, map[string]any{"paging": map[string]any{"page": p, "limit": limit}})
		var out page
		if r.status != http.StatusOK || json.Unmarshal(r.body, &out) != nil {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return out
	}
	p1, p2 := search(1, 3), search(2, 3)
	if len(p1.Data) != 3 || !p1.Paging.HasNext || p1.Paging.Page != 1 || len(p2.Data) != 1 || p2.Paging.HasNext {
		t.Fatalf("pages %+v %+v", p1, p2)
	}
	first, last := p1.Data[0], p2.Data[0]
	if first.Organization.ID != e.agency.ID || first.SMDOCode != e.agency.Code || first.SubscriberStatus != StatusActive || first.Organization.FullName.RU != e.agency.Name {
		t.Errorf("first %+v", first)
	}
	if last.SMDOCode != "SMDO-CLOSED" || last.SubscriberStatus != StatusBlocked {
		t.Errorf("last %+v", last)
	}
	if p := search(1, 1000); len(p.Data) != 4 || p.Paging.HasNext {
		t.Errorf("all in one page: %+v", p)
	}
	e.postJSON("POST", searchPath, tok, map[string]any{"paging": map[string]any{"page": 0, "limit": 10}}).refusal(t, http.StatusBadRequest, "SMDO-DIR", "paging.page")
	e.postJSON("POST", searchPath, tok, map[string]any{"paging": map[string]any{"page": 1, "limit": 1001}}).refusal(t, http.StatusBadRequest, "SMDO-DIR", "paging.limit")
	e.postJSON("POST", searchPath, tok, []byte(`{"paging":{"page":"one"}}`)).refusal(t, http.StatusBadRequest, "SMDO-DIR", "paging.page")
	if err := e.r.SetStatus(e.ministry.ID, StatusBlocked); err != nil {
		t.Fatal(err)
	}
	if p := search(1, 1000); p.Data[1].SubscriberStatus != StatusBlocked {
		t.Errorf("blocked ministry: %+v", p.Data[1])
	}
}

// AddSubscriber refuses what would make two subscribers one.
func TestAddSubscriber(t *testing.T) {
	e := newEnv(t)
	for name, s := range map[string]Subscriber{
		"duplicate ID":       {ID: e.agency.ID, Code: "X1"},
		"duplicate code":     {ID: "2001", Code: e.agency.Code},
		"duplicate username": {ID: "2002", Code: "X2", Username: e.agency.User, Password: "p"},
		"router's id":        {ID: RouterID, Code: "X3"},
		"no code":            {ID: "2003"},
		"unknown status":     {ID: "2004", Code: "X4", Status: "SLEEPING"},
		"username only":      {ID: "2005", Code: "X5", Username: "u"},
		"bad script":         {ID: "2006", Code: "X6", Script: &Script{ErrorCode: 7}},
	} {
		if err := e.r.AddSubscriber(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if n := len(e.r.Subscribers()); n != 3 {
		t.Errorf("%d subscribers", n)
	}
}
