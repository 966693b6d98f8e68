package router

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strings"

	smdofixtures "github.com/shepconf/shepconf/fixtures/smdo"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/server"
)

// Directories are the router's directories (SMDO-DIR) other than the subscribers: each entry as
// the directory endpoint answers it.
type Directories struct {
	DocTypes  []json.RawMessage `json:"docTypes"`
	FileTypes []json.RawMessage `json:"fileTypes"`
	SedTypes  []json.RawMessage `json:"sedTypes"`
}

// LoadDirectories reads {"docTypes":[…],"fileTypes":[…],"sedTypes":[…]} at path in fsys.
func LoadDirectories(fsys fs.FS, path string) (Directories, error) {
	var d Directories
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("directories %s: %w", path, err)
	}
	if _, err := d.index(); err != nil {
		return d, fmt.Errorf("directories %s: %w", path, err)
	}
	return d, nil
}

// DefaultDirectories are the fictional directories of fixtures/smdo.
func DefaultDirectories() (Directories, error) {
	return LoadDirectories(smdofixtures.Files, smdofixtures.Directories)
}

// DocKinds are the names of the active document types: what document.kind may say.
func (d Directories) DocKinds() []string {
	var out []string
	for _, e := range entries(d.DocTypes) {
		if e.active() {
			out = append(out, e.Name)
		}
	}
	return out
}

// FileExtensions are the extensions of the active file types (".pdf"): what docTransfer.type may say.
func (d Directories) FileExtensions() []string {
	var out []string
	for _, e := range entries(d.FileTypes) {
		if e.active() {
			out = append(out, e.Extension)
		}
	}
	return out
}

func (d Directories) empty() bool {
	return d.DocTypes == nil && d.FileTypes == nil && d.SedTypes == nil
}

// entry is what the router reads of a directory entry.
type entry struct {
	Status    string `json:"status"`
	Name      string `json:"name"`
	DocCode   string `json:"docCode"`
	Extension string `json:"extension"`
}

func (e entry) active() bool { return e.Status == "" || e.Status == StatusActive }

func entries(raw []json.RawMessage) []entry {
	out := make([]entry, 0, len(raw))
	for _, r := range raw {
		var e entry
		_ = json.Unmarshal(r, &e) // index has checked them
		out = append(out, e)
	}
	return out
}

// directoryIndex is what packets may say: the active document kinds (name or docCode) and file
// extensions (lower case).
type directoryIndex struct {
	kinds      map[string]bool
	extensions map[string]bool
}

func (d Directories) index() (directoryIndex, error) {
	x := directoryIndex{kinds: map[string]bool{}, extensions: map[string]bool{}}
	for name, list := range map[string][]json.RawMessage{"docTypes": d.DocTypes, "fileTypes": d.FileTypes, "sedTypes": d.SedTypes} {
		for i, r := range list {
			var e entry
			if err := json.Unmarshal(r, &e); err != nil {
				return x, fmt.Errorf("%s[%d]: %w", name, i, err)
			}
		}
	}
	for _, e := range entries(d.DocTypes) {
		if e.active() {
			x.kinds[e.Name] = true
			if e.DocCode != "" {
				x.kinds[e.DocCode] = true
			}
		}
	}
	for _, e := range entries(d.FileTypes) {
		if e.active() {
			x.extensions[strings.ToLower(e.Extension)] = true
		}
	}
	return x, nil
}

// docTypes answers GET smdo_nsi_doc_type/1.0.0/smdo_nsi/doc_type/v1.
func (r *Router) docTypes(w http.ResponseWriter, _ *http.Request, _ *Subscriber) {
	server.WriteJSON(w, http.StatusOK, orEmpty(r.dirs.DocTypes))
}

// fileTypes answers GET smdo_nsi_file_type/1.0.0/smdo_nsi/file_type/v1.
func (r *Router) fileTypes(w http.ResponseWriter, _ *http.Request, _ *Subscriber) {
	server.WriteJSON(w, http.StatusOK, orEmpty(r.dirs.FileTypes))
}

// sedTypes answers GET smdo_nsi_sed_type/1.0.0/smdo_nsi/sed_type/v1.
func (r *Router) sedTypes(w http.ResponseWriter, _ *http.Request, _ *Subscriber) {
	server.WriteJSON(w, http.StatusOK, orEmpty(r.dirs.SedTypes))
}

func orEmpty(l []json.RawMessage) []json.RawMessage {
	if l == nil {
		return []json.RawMessage{}
	}
	return l
}

// subscriberJSON is a subscriber as the subscriber directory answers it.
type subscriberJSON struct {
	RowID            int              `json:"rowId"`
	Status           string           `json:"status"`
	SMDOCode         string           `json:"smdoCode"`
	SubscriberStatus string           `json:"subscriberStatus"`
	Organization     organizationJSON `json:"organization"`
}

type organizationJSON struct {
	ID              string `json:"id"`
	FullName        ruText `json:"fullName"`
	BrandName       ruText `json:"brandName"`
	AbbreviatedName ruText `json:"abbreviatedName"`
	Address         ruText `json:"address"`
}

type ruText struct {
	RU string `json:"ru"`
}

type pagingJSON struct {
	Page    int64 `json:"page"`
	Limit   int64 `json:"limit"`
	HasNext bool  `json:"hasNext"`
}

// maxSubscriberPage is the largest page of the subscriber directory (working clients ask for 1000).
const maxSubscriberPage = 1000

// simulatedAddress is every subscriber's address: the simulator has none, and clients read a city
// out of it.
const simulatedAddress = "220000, г. Минск, ул. Примерная, 1"

// searchSubscribers answers POST smdo_nsi_subscriber/1.0.0/smdo_nsi/subscriber/v1/search
// {"paging": {"page": 1, "limit": 1000}}: pages count from 1 (SMDO-DIR).
func (r *Router) searchSubscribers(w http.ResponseWriter, req *http.Request, _ *Subscriber) {
	raw, status, b := readJSONOr(w, req, r.limits.MaxBodyBytes, "SMDO-DIR", []byte("{}"))
	if b != nil {
		refuse(w, req, status, b)
		return
	}
	var q struct {
		Paging *struct {
			Page  *int64 `json:"page"`
			Limit *int64 `json:"limit"`
		} `json:"paging"`
	}
	if err := json.Unmarshal(raw, &q); err != nil {
		field := typeErrorField(err)
		if field == "" {
			field = "request body"
		}
		refuse(w, req, http.StatusBadRequest, breach("SMDO-DIR", field, msg.Raw(`{"paging": {"page": 1, "limit": 1000}}`), msg.Of(err),
			msg.F("send page and limit as whole numbers")))
		return
	}
	page, limit := int64(1), int64(maxSubscriberPage)
	if q.Paging != nil && q.Paging.Page != nil {
		page = *q.Paging.Page
	}
	if q.Paging != nil && q.Paging.Limit != nil {
		limit = *q.Paging.Limit
	}
	if page < 1 {
		refuse(w, req, http.StatusBadRequest, breach("SMDO-DIR", "paging.page", msg.F("a page number from 1"), msg.Raw(fmt.Sprint(page)),
			msg.F("ask for page 1 first: the subscriber directory counts pages from 1")))
		return
	}
	if limit < 1 || limit > maxSubscriberPage {
		refuse(w, req, http.StatusBadRequest, breach("SMDO-DIR", "paging.limit", msg.F("a limit of 1 to %d", maxSubscriberPage),
			msg.Raw(fmt.Sprint(limit)), msg.F("ask for at most 1000 subscribers a page")))
		return
	}
	r.mu.Lock()
	ids := r.subscriberIDs()
	ans := struct {
		Data   []subscriberJSON `json:"data"`
		Paging pagingJSON       `json:"paging"`
	}{Data: []subscriberJSON{}, Paging: pagingJSON{Page: page, Limit: limit}}
	// page is clamped before it is multiplied: a page past the end is an empty page.
	if page <= int64(len(ids)) && (page-1)*limit < int64(len(ids)) {
		from := int((page - 1) * limit)
		to := min(from+int(limit), len(ids))
		for i, id := range ids[from:to] {
			ans.Data = append(ans.Data, subscriberEntry(from+i+1, r.subscribers[id]))
		}
		ans.Paging.HasNext = to < len(ids)
	}
	r.mu.Unlock()
	server.WriteJSON(w, http.StatusOK, ans)
}

func subscriberEntry(row int, s *Subscriber) subscriberJSON {
	status := s.Status
	if status == "" {
		status = StatusActive
	}
	return subscriberJSON{RowID: row, Status: StatusActive, SMDOCode: s.Code, SubscriberStatus: status,
		Organization: organizationJSON{ID: s.ID, FullName: ruText{s.Name}, BrandName: ruText{s.Name},
			AbbreviatedName: ruText{s.Name}, Address: ruText{simulatedAddress}}}
}

// subscriberIDs is the subscribers' IDs in order (r.mu held).
func (r *Router) subscriberIDs() []string {
	ids := make([]string, 0, len(r.subscribers))
	for id := range r.subscribers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
