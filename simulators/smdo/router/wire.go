package router

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// packageJSON is the router's answer for an outgoing package: what the client sent (dateSent,
// parentId, to, body) with the router's ids, its state and the files.
type packageJSON struct {
	PackageID   string           `json:"packageId"`
	ConfirmID   string           `json:"confirmId"`
	HeaderID    string           `json:"headerId"`
	ParentID    *string          `json:"parentId"`
	DateSent    json.RawMessage  `json:"dateSent"`
	To          json.RawMessage  `json:"to"`
	Body        json.RawMessage  `json:"body"`
	State       string           `json:"state"`
	Attachments []attachmentJSON `json:"attachments"`
}

type attachmentJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Size int    `json:"size"`
	Sign []Sign `json:"sign"`
}

// attachAnswer is the answer of an attach call.
type attachAnswer struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Size int    `json:"size"`
}

// incomingJSON is a package in a receiver's incoming list.
type incomingJSON struct {
	ID          string           `json:"id"`
	ConfirmID   string           `json:"confirmId"`
	HeaderID    string           `json:"headerId"`
	ParentID    string           `json:"parentId,omitempty"`
	From        partyJSON        `json:"from"`
	To          partyJSON        `json:"to"`
	DateSent    json.RawMessage  `json:"dateSent"`
	DateIn      string           `json:"dateIn"`
	Ack         bool             `json:"ack"`
	Attachments []attachmentJSON `json:"attachments"`
	Body        json.RawMessage  `json:"body"`
}

type partyJSON struct {
	IDAbonent   string `json:"idAbonent"`
	TypeAbonent string `json:"typeAbonent"`
	Name        string `json:"name"`
}

// listAnswer is a page of the incoming list.
type listAnswer struct {
	Content       []incomingJSON `json:"content"`
	HasNext       bool           `json:"hasNext"`
	Page          int            `json:"page"`
	Size          int            `json:"size"`
	TotalElements int            `json:"totalElements"`
}

func (r *Router) answerOf(p *pkg) packageJSON {
	a := packageJSON{PackageID: p.id, ConfirmID: p.confirmID, HeaderID: p.headerID, DateSent: p.dateSent,
		To: p.toRaw, Body: p.body, State: p.state, Attachments: attachmentsJSON(p)}
	if p.parentID != "" {
		parent := p.parentID
		a.ParentID = &parent
	}
	return a
}

func attachmentsJSON(p *pkg) []attachmentJSON {
	out := make([]attachmentJSON, 0, len(p.attachments))
	for _, a := range p.attachments {
		signs := append([]Sign{}, a.signs...)
		out = append(out, attachmentJSON{ID: a.id, Name: a.name, Size: len(a.data), Sign: signs})
	}
	return out
}

// timestamp is how the router writes its times: ISO 8601 in UTC without fractions, as dtstamp.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// MarshalJSON writes the empty text fields as null, as clients send them.
func (s Sign) MarshalJSON() ([]byte, error) {
	orNull := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		KeyID         *string `json:"keyId"`
		Signer        *string `json:"signer"`
		OperationType *string `json:"operationType"`
		OrigSignatire *string `json:"origSignatire"`
		Data          string  `json:"data"`
	}{orNull(s.KeyID), orNull(s.Signer), orNull(s.OperationType), orNull(s.OrigSignatire), s.Data})
}

// UnmarshalJSON takes each field as null, text, a number or a boolean (kept as its text): the
// router's own types for them are not public, and working clients send null and "null".
func (s *Sign) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return &fieldError{field: "", problem: msg.F("a sign is a JSON object {keyId, signer, operationType, origSignatire, data}")}
	}
	for name, dst := range map[string]*string{"keyId": &s.KeyID, "signer": &s.Signer, "operationType": &s.OperationType,
		"origSignatire": &s.OrigSignatire, "data": &s.Data} {
		raw, ok := m[name]
		if !ok {
			continue
		}
		v, err := scalarText(raw)
		if err != nil {
			return &fieldError{field: name, problem: msg.Of(err)}
		}
		*dst = v
	}
	return nil
}

// fieldError is a JSON value of the wrong kind, at a field.
type fieldError struct {
	field   string
	problem msg.Text
}

func (e *fieldError) Error() string { return e.field + ": " + e.problem.String() }

// scalarText is a JSON null, string, number or boolean as text.
func scalarText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case raw[0] == '{' || raw[0] == '[':
		return "", msg.Errorf("an object or array where text is expected")
	}
	return string(raw), nil
}

// readJSON reads a JSON request body of at most limit bytes. Too large is 413, not JSON 400.
func readJSON(w http.ResponseWriter, req *http.Request, limit int64, ruleID string) ([]byte, int, *rule.Breach) {
	return readJSONOr(w, req, limit, ruleID, nil)
}

// readJSONOr is readJSON taking an empty body as empty.
func readJSONOr(w http.ResponseWriter, req *http.Request, limit int64, ruleID string, empty []byte) ([]byte, int, *rule.Breach) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if err == nil && empty != nil && len(bytes.TrimSpace(body)) == 0 {
		return empty, 0, nil
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge, breach(ruleID, "request body", msg.F("at most %d bytes of JSON", limit),
			msg.F("a larger body"), msg.F("send a smaller body"))
	case err != nil:
		return nil, http.StatusBadRequest, breach(ruleID, "request body", msg.F("a complete JSON body"), msg.F("the body could not be read: %s", msg.Of(err)),
			msg.F("send the whole body"))
	}
	if p := jsonProblem(body); !p.IsZero() {
		return nil, http.StatusBadRequest, breach(ruleID, "request body", msg.F("a JSON body"), p, msg.F("send valid JSON (UTF-8)"))
	}
	return body, 0, nil
}

// jsonProblem says why body is not JSON, or nothing.
func jsonProblem(body []byte) msg.Text {
	if len(bytes.TrimSpace(body)) == 0 {
		return msg.F("an empty body")
	}
	var v any
	err := json.Unmarshal(body, &v)
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return msg.F("not JSON at byte %d: %s", syntax.Offset, msg.Of(err))
	}
	if err != nil {
		return msg.F("not JSON: %s", msg.Of(err))
	}
	return msg.Text{}
}

// typeErrorField is the field a decoding error names ("paging.page"), when it names one.
func typeErrorField(err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return ""
	}
	return te.Field
}

// facts are what the router reads of a package's body before its format is checked, leniently:
// the harness's evidence and the checks before sending.
type facts struct {
	msgID              string
	msgType, msgAcknow int // -1 when absent or not a number
	idNumber           string
}

func factsOf(body json.RawMessage) facts {
	f := facts{msgType: -1, msgAcknow: -1}
	var b struct {
		Envelop struct {
			MsgID  any `json:"msg_id"`
			Header struct {
				MsgType   any `json:"msg_type"`
				MsgAcknow any `json:"msg_acknow"`
			} `json:"header"`
			Body struct {
				Document struct {
					IDNumber any `json:"idnumber"`
				} `json:"document"`
			} `json:"body"`
		} `json:"envelop"`
	}
	_ = json.Unmarshal(body, &b) // a value of another type is skipped: what could be read is kept
	f.msgID, _ = b.Envelop.MsgID.(string)
	f.idNumber, _ = b.Envelop.Body.Document.IDNumber.(string)
	f.msgType, f.msgAcknow = wholeNumber(b.Envelop.Header.MsgType), wholeNumber(b.Envelop.Header.MsgAcknow)
	f.msgID, f.idNumber = rule.Cut(f.msgID, 255), rule.Cut(f.idNumber, 255)
	return f
}

func wholeNumber(v any) int {
	n, ok := v.(float64)
	if !ok || n != math.Trunc(n) || n < -1 || n > 1e6 {
		return -1
	}
	return int(n)
}

// packageIn is the package JSON of a create or update call, its shape checked.
type packageIn struct {
	packageID string
	parentID  string
	dateSent  json.RawMessage
	to        []string
	toRaw     json.RawMessage
	body      json.RawMessage
}

// jsonBytes is what the package JSON counts against Limits.MaxStoredBytes once kept.
func (in packageIn) jsonBytes() int64 { return int64(len(in.body) + len(in.toRaw) + len(in.dateSent)) }

// decodePackage reads the package JSON of a create (POST) or update (PUT) call. Its format is
// checked after sending (SMDO-FORMAT); here only the kinds of the top-level fields the router
// keeps, so that a hostile body is refused naming the field. The fields kept (body, to,
// dateSent) are json.RawMessage values, which encoding/json fills with copies of their own bytes:
// a kept package holds its JSON, not the whole request body it came in.
func decodePackage(raw []byte, update bool) (packageIn, *rule.Breach) {
	var in packageIn
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return in, breach("SMDO-SEND", "request body", msg.F("the package as a JSON object {dateSent, parentId, to, body}"),
			describeJSON(raw), msg.F("send the package JSON"))
	}
	if update {
		id, err := optionalString(m["packageId"])
		if err != nil || id == "" {
			return in, breach("SMDO-SEND", "packageId", msg.F("the packageId the create call answered"), describeJSON(m["packageId"]),
				msg.F("send the whole package as GET answers it, with its packageId"))
		}
		in.packageID = id
	}
	parent, err := optionalString(m["parentId"])
	if err != nil {
		return in, breach("SMDO-REPLY", "parentId", msg.F("the packageId of the package answered, or null"), describeJSON(m["parentId"]),
			msg.F("send parentId as text"))
	}
	in.parentID = parent
	if v, ok := m["dateSent"]; ok {
		if _, err := scalarText(v); err != nil {
			return in, breach("SMDO-FORMAT", "dateSent", msg.F("the time of sending as ISO 8601 text"), describeJSON(v), msg.F("send dateSent as text"))
		}
		in.dateSent = v
	}
	if in.to, in.toRaw, err = decodeTo(m["to"]); err != nil {
		var fe *fieldError
		errors.As(err, &fe)
		return in, breach("SMDO-FORMAT", fe.field, msg.F("to: an array of receivers {idAbonent, typeAbonent: \"SMDO\", name}"), fe.problem,
			msg.F("send to[] with each receiver's idAbonent as text"))
	}
	if v, ok := m["body"]; ok && string(bytes.TrimSpace(v)) != "null" {
		if t := bytes.TrimSpace(v); len(t) == 0 || t[0] != '{' {
			return in, breach("SMDO-FORMAT", "body", msg.Raw("body: {\"envelop\": {…}}"), describeJSON(v), msg.F("send the envelope as an object"))
		}
		in.body = v
	}
	return in, nil
}

func decodeTo(raw json.RawMessage) ([]string, json.RawMessage, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return nil, nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, nil, &fieldError{"to", describeJSON(raw)}
	}
	ids := make([]string, 0, len(items))
	for i, it := range items {
		var party map[string]json.RawMessage
		if err := json.Unmarshal(it, &party); err != nil || party == nil {
			return nil, nil, &fieldError{fmt.Sprintf("to[%d]", i), describeJSON(it)}
		}
		id, err := optionalString(party["idAbonent"])
		if err != nil {
			return nil, nil, &fieldError{fmt.Sprintf("to[%d].idAbonent", i), describeJSON(party["idAbonent"])}
		}
		ids = append(ids, id)
	}
	return ids, raw, nil
}

// optionalString is a JSON string, or "" for null or absent.
func optionalString(raw json.RawMessage) (string, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(t, &s); err != nil {
		return "", err
	}
	return s, nil
}

// describeJSON says what a JSON value is, briefly.
func describeJSON(raw json.RawMessage) msg.Text {
	t := bytes.TrimSpace(raw)
	switch {
	case len(t) == 0:
		return msg.F("none")
	case t[0] == '{':
		return msg.F("an object")
	case t[0] == '[':
		return msg.F("an array")
	case t[0] == '"':
		return msg.F("the text %s", rule.Cut(string(t), 80))
	case string(t) == "null":
		return msg.Raw("null")
	case string(t) == "true" || string(t) == "false":
		return msg.F("the boolean %s", string(t))
	}
	if _, err := strconv.ParseFloat(string(t), 64); err == nil {
		return msg.F("the number %s", rule.Cut(string(t), 40))
	}
	return msg.F("not JSON: %s", rule.Cut(string(t), 80))
}
