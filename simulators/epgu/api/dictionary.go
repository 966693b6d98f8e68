package api

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"

	"github.com/shepconf/shepconf/internal/server"
)

// dictItem is an entry of a simulated NSI dictionary.
type dictItem struct {
	value, title string
	attrs        map[string]string
	children     []dictItem
}

// dictionaries are small dictionaries of the simulator's own making, enough for a client to exercise
// both tree filters and paging (EPGU-3): OKATO codes of a few regions (hierarchical) and applicant
// types (flat).
var dictionaries = map[string][]dictItem{
	"OKATO": {
		{value: "36000000000", title: "Самарская область", children: []dictItem{
			{value: "36401000000", title: "г Самара"},
			{value: "36440000000", title: "г Тольятти"},
		}},
		{value: "40000000000", title: "г Санкт-Петербург"},
		{value: "45000000000", title: "г Москва"},
		{value: "92000000000", title: "Республика Татарстан"},
	},
	"APPLICANT_TYPE": {
		{value: "PERSON", title: "Физическое лицо", attrs: map[string]string{"SHORT": "ФЛ"}},
		{value: "LEGAL", title: "Юридическое лицо", attrs: map[string]string{"SHORT": "ЮЛ"}},
		{value: "BUSINESSMAN", title: "Индивидуальный предприниматель", attrs: map[string]string{"SHORT": "ИП"}},
	},
}

type dictRequest struct {
	TreeFiltering      string `json:"treeFiltering"`
	ParentRefItemValue string `json:"parentRefItemValue"`
	PageNum            *int   `json:"pageNum"`
	PageSize           *int   `json:"pageSize"`
}

type dictError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type itemDoc struct {
	Value           string            `json:"value"`
	ParentValue     *string           `json:"parentValue"`
	Title           string            `json:"title"`
	IsLeaf          bool              `json:"isLeaf"`
	Children        []itemDoc         `json:"children"`
	Attributes      []any             `json:"attributes"`
	Source          *string           `json:"source"`
	AttributeValues map[string]string `json:"attributeValues"`
}

// dictDoc is the NSI answer (EPGU-T32): error.code 0 on success.
type dictDoc struct {
	Error       dictError    `json:"error"`
	FieldErrors []fieldError `json:"fieldErrors"`
	Total       int          `json:"total"`
	Items       []itemDoc    `json:"items"`
}

// dictionary is POST /api/nsi/v1/dictionary/{code}, open without authorisation (EPGU-3). An
// unknown dictionary is error 7 "Entity not found" with HTTP 200, as go-api-epgu documents the
// portal answering; a malformed request is HTTP 400 with the same envelope.
func (a *API) dictionary(w http.ResponseWriter, r *http.Request) {
	invalid := func(field, msg string) {
		exchangeOf(r).Note = field + ": " + msg
		server.WriteJSON(w, http.StatusBadRequest, dictDoc{Error: dictError{1, "validation error"},
			FieldErrors: []fieldError{{field, msg}}, Items: []itemDoc{}})
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		invalid("Content-Type", "expected application/json (Table 30)")
		return
	}
	var req dictRequest
	body, _ := io.ReadAll(io.LimitReader(r.Body, fieldLimit))
	if err := json.Unmarshal(body, &req); err != nil {
		invalid("body", "not a JSON object: "+err.Error())
		return
	}
	if req.TreeFiltering != "ONELEVEL" && req.TreeFiltering != "SUBTREE" {
		invalid("treeFiltering", "expected ONELEVEL or SUBTREE (Table 31)")
		return
	}
	items, ok := dictionaries[r.PathValue("code")]
	if !ok {
		exchangeOf(r).Note = "unknown dictionary " + r.PathValue("code")
		server.WriteJSON(w, http.StatusOK, dictDoc{Error: dictError{7, "Entity not found"}, FieldErrors: []fieldError{}, Items: []itemDoc{}})
		return
	}
	var parent *string
	if req.ParentRefItemValue != "" {
		items = childrenOf(items, req.ParentRefItemValue)
		parent = &req.ParentRefItemValue
	}
	docs := make([]itemDoc, 0, len(items))
	for _, it := range items {
		docs = append(docs, itemOf(it, parent, req.TreeFiltering == "SUBTREE"))
	}
	total := len(docs)
	if req.PageSize != nil && *req.PageSize > 0 { // without pageNum and pageSize every item is returned (EPGU-3)
		num := 1 // pages count from 1, as the EPGU-5 dictionary sample asks pageNum 1 for the first two
		if req.PageNum != nil && *req.PageNum > 1 {
			num = *req.PageNum
		}
		docs = page(docs, num-1, *req.PageSize)
	}
	server.WriteJSON(w, http.StatusOK, dictDoc{Error: dictError{0, "operation completed"}, FieldErrors: []fieldError{}, Total: total, Items: docs})
}

func childrenOf(items []dictItem, value string) []dictItem {
	for _, it := range items {
		if it.value == value {
			return it.children
		}
		if c := childrenOf(it.children, value); c != nil {
			return c
		}
	}
	return []dictItem{}
}

func itemOf(it dictItem, parent *string, subtree bool) itemDoc {
	d := itemDoc{Value: it.value, ParentValue: parent, Title: it.title, IsLeaf: len(it.children) == 0,
		Children: []itemDoc{}, Attributes: []any{}, AttributeValues: map[string]string{}}
	for k, v := range it.attrs {
		d.AttributeValues[k] = v
	}
	if subtree {
		v := it.value
		for _, c := range it.children {
			d.Children = append(d.Children, itemOf(c, &v, true))
		}
	}
	return d
}
