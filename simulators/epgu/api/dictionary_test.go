package api

import (
	"encoding/json"
	"net/http"
	"testing"
)

type dictAnswer struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	FieldErrors []map[string]string `json:"fieldErrors"`
	Total       int                 `json:"total"`
	Items       []struct {
		Value       string           `json:"value"`
		ParentValue *string          `json:"parentValue"`
		Title       string           `json:"title"`
		IsLeaf      bool             `json:"isLeaf"`
		Children    []map[string]any `json:"children"`
		Attributes  []any            `json:"attributes"`
		AttrValues  map[string]any   `json:"attributeValues"`
	} `json:"items"`
}

func TestDictionary(t *testing.T) {
	e := newEnv(t, nil)
	ask := func(code, body string) (int, dictAnswer) {
		t.Helper()
		r := e.do("POST", "/api/nsi/v1/dictionary/"+code, "", "application/json", []byte(body)) // no token: EPGU-3
		var d dictAnswer
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatalf("%d %s: %v", r.status, r.body, err)
		}
		return r.status, d
	}
	cases := []struct {
		name, code, body string
		status, errCode  int
		total            int
		values           []string
		children         int // of the first item
	}{
		{"flat, whole", "APPLICANT_TYPE", `{"treeFiltering":"ONELEVEL"}`, 200, 0, 3, []string{"PERSON", "LEGAL", "BUSINESSMAN"}, 0},
		{"first page from 1", "APPLICANT_TYPE", `{"treeFiltering":"ONELEVEL","pageNum":1,"pageSize":2}`, 200, 0, 3, []string{"PERSON", "LEGAL"}, 0},
		{"second page", "APPLICANT_TYPE", `{"treeFiltering":"ONELEVEL","pageNum":2,"pageSize":2}`, 200, 0, 3, []string{"BUSINESSMAN"}, 0},
		{"tree, one level", "OKATO", `{"treeFiltering":"ONELEVEL"}`, 200, 0, 4, []string{"36000000000", "40000000000", "45000000000", "92000000000"}, 0},
		{"tree, subtree", "OKATO", `{"treeFiltering":"SUBTREE"}`, 200, 0, 4, []string{"36000000000", "40000000000", "45000000000", "92000000000"}, 2},
		{"under a parent", "OKATO", `{"treeFiltering":"ONELEVEL","parentRefItemValue":"36000000000"}`, 200, 0, 2, []string{"36401000000", "36440000000"}, 0},
		{"unknown dictionary", "NOPE", `{"treeFiltering":"ONELEVEL"}`, 200, 7, 0, nil, 0},
		{"no treeFiltering", "OKATO", `{}`, 400, 1, 0, nil, 0},
		{"not JSON", "OKATO", `{`, 400, 1, 0, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, d := ask(c.code, c.body)
			if status != c.status || d.Error.Code != c.errCode || d.Total != c.total || len(d.Items) != len(c.values) || d.FieldErrors == nil {
				t.Fatalf("status %d %+v", status, d)
			}
			for i, v := range c.values {
				if d.Items[i].Value != v || d.Items[i].Title == "" || d.Items[i].Children == nil || d.Items[i].Attributes == nil {
					t.Errorf("item %d: %+v", i, d.Items[i])
				}
			}
			if len(d.Items) > 0 && len(d.Items[0].Children) != c.children {
				t.Errorf("children of the first item: %v", d.Items[0].Children)
			}
			if c.errCode == 1 && len(d.FieldErrors) == 0 {
				t.Error("no fieldErrors")
			}
		})
	}
	_, d := ask("OKATO", `{"treeFiltering":"ONELEVEL","parentRefItemValue":"36000000000"}`)
	if p := d.Items[0].ParentValue; p == nil || *p != "36000000000" || !d.Items[0].IsLeaf {
		t.Errorf("child item %+v", d.Items[0])
	}
	_, d = ask("OKATO", `{"treeFiltering":"ONELEVEL"}`)
	if d.Items[0].ParentValue != nil || d.Items[0].IsLeaf {
		t.Errorf("root item %+v", d.Items[0])
	}
	if r := e.do("POST", "/api/nsi/v1/dictionary/OKATO", "", "text/plain", []byte(`{"treeFiltering":"ONELEVEL"}`)); r.status != http.StatusBadRequest {
		t.Errorf("Content-Type must be application/json (Table 30): %d", r.status)
	}
}
