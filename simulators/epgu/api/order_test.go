package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

func TestCreateOrder(t *testing.T) {
	svc := DefaultServices()
	svc[1].Systems = []string{"SYS2"} // SFR is granted to SYS2 only
	legalOnly := Service{Code: "1", TargetCode: "-1", PersonTypes: []string{"LEGAL"}}
	e := newEnv(t, nil, WithServices(svc[0], svc[1], legalOnly))

	if id := e.createOrder("alice", fsspMeta); id <= 0 {
		t.Fatal(id)
	}
	cases := []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"not JSON content type", "text/plain", fsspMeta, 400, CodeBadRequest},
		{"not JSON", "application/json", "{", 400, CodeBadRequest},
		{"names as Table 6 capitalises them", "application/json", `{"Region":"45000000000","ServiceCode":"60010153","TargetCode":"-60010153"}`, 400, CodeBadRequest},
		{"region not OKATO", "application/json", `{"region":"Moscow","serviceCode":"60010153","targetCode":"-60010153"}`, 400, CodeBadRequest},
		{"region a number", "application/json", `{"region":45000000000,"serviceCode":"60010153","targetCode":"-60010153"}`, 400, CodeBadRequest},
		{"unknown service", "application/json", `{"region":"45","serviceCode":"999","targetCode":"-999"}`, 400, CodeServiceNotFound},
		{"wrong target", "application/json", `{"region":"45","serviceCode":"60010153","targetCode":"-1"}`, 400, CodeBadRequest},
		{"service not granted to the system", "application/json", `{"region":"45","serviceCode":"10000000109","targetCode":"-10000000109"}`, 403, CodeAccessDeniedService},
		{"service not for citizens", "application/json", `{"region":"45","serviceCode":"1","targetCode":"-1"}`, 403, CodeAccessDeniedUser},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", "/api/gusmev/order", "alice", c.contentType, []byte(c.body))
			r.errorCode(t, c.status, c.code)
			if rec := e.lastRequest(); rec.Code != c.code || rec.Status != c.status || rec.ClientID != "SYS1" {
				t.Errorf("log entry %+v", rec)
			}
		})
	}
	if r := e.do("POST", "/api/gusmev/order", "carol", "application/json", []byte(`{"region":"45","serviceCode":"10000000109","targetCode":"-10000000109"}`)); r.status != 200 {
		t.Errorf("SYS2 is granted SFR: %d %s", r.status, r.body)
	}
}

func TestPushProcessing(t *testing.T) {
	e := newEnv(t, nil)
	archive := makeZip(t, 0, "req.xml", "req.xml.sig", "piev_epgu.xml")
	r := e.push("alice", metaPart(fsspMeta), filePart(archive))
	id := orderIDOf(t, r)
	// EPGU-A1: NEW → FILES_VERIFICATION → FILES_VERIFICATION_SUCCESS → DONE, a stage a second.
	for _, want := range []string{"NEW", "FILES_VERIFICATION", "FILES_VERIFICATION_SUCCESS", "DONE"} {
		if got := e.code("alice", id); got != want {
			t.Fatalf("code %q, want %q", got, want)
		}
		e.clk.Advance(time.Second)
	}
	snap, _ := e.api.Order(id)
	if len(snap.Files) != 3 || snap.Files[0].Name != "req.xml" || snap.Chunked {
		t.Errorf("snapshot %+v", snap)
	}
	if rec := e.lastRequest(); rec.Path != fmt.Sprintf("/api/gusmev/order/%d", id) || rec.OrderID != id {
		t.Errorf("log entry %+v", rec)
	}

	t.Run("refusals", func(t *testing.T) {
		e := newEnv(t, nil, WithLimits(smallChunks()))
		cases := []struct {
			name  string
			parts []part
		}{
			{"no meta", []part{filePart(archive[:100])}},
			{"meta as text/plain", []part{{"meta", "text/plain", "", fsspMeta}, filePart(archive[:100])}},
			{"no file", []part{metaPart(fsspMeta)}},
			{"empty file", []part{metaPart(fsspMeta), filePart(nil)}},
			{"archive over the push limit", []part{metaPart(fsspMeta), filePart(make([]byte, 1001))}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.push("alice", c.parts...).errorCode(t, http.StatusBadRequest, CodeBadRequest)
			})
		}
		if r := e.push("alice", metaPart(fsspMeta), filePart(make([]byte, 1000))); r.status != 200 {
			t.Errorf("an archive of exactly the limit: %d %s", r.status, r.body)
		}
		r := e.do("POST", "/api/gusmev/push", "alice", "application/json", []byte(fsspMeta))
		r.errorCode(t, http.StatusBadRequest, CodeBadRequest)
	})
}

func TestProcessingFailures(t *testing.T) {
	svc := DefaultServices()
	svc[0].NoPowers = []string{"SYS2"}
	e := newEnv(t, nil, WithServices(append(svc, Service{Code: "3", TargetCode: "-3"})...))
	e.check["3"] = struct {
		status string
		breach *rule.Breach
	}{"DONE", nil}
	e.check["10000000109"] = struct {
		status string
		breach *rule.Breach
	}{"REQ_NOT_FOUND", &rule.Breach{Rule: "EPGU-2.1.3", Expected: msg.Raw("req.xml"), Observed: msg.Raw("no such file")}}
	sfr := `{"region":"45","serviceCode":"10000000109","targetCode":"-10000000109"}`

	cases := []struct {
		name, tok, meta string
		path            []string
	}{
		{"archive without its transport file", "alice", sfr, []string{"NEW", "REQ_NOT_FOUND"}},
		{"system without powers (1.13)", "carol", fsspMeta, []string{"NEW", "FILES_VERIFICATION", "FILES_VERIFICATION_SUCCESS", "CREATE_ORDER_FORBIDDEN"}},
		{"service without a signature check", "alice", `{"region":"45","serviceCode":"3","targetCode":"-3"}`, []string{"NEW", "DONE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := orderIDOf(t, e.push(c.tok, metaPart(c.meta), filePart(makeZip(t, 0, "x.xml"))))
			for _, want := range c.path {
				if got := e.code(c.tok, id); got != want {
					t.Fatalf("code %q, want %q", got, want)
				}
				e.clk.Advance(time.Second)
			}
			e.clk.Advance(time.Minute)
			env, order := e.details(c.tok, id)
			final := c.path[len(c.path)-1]
			if final == "DONE" {
				if order["orderStatusId"].(float64) != StatusDone {
					t.Errorf("a DONE order reaches the agency: %v", order["orderStatusId"])
				}
				return
			}
			if env["code"] != final || !strings.Contains(env["message"].(string), "EPGU-") {
				t.Errorf("final details %v", env)
			}
			if order["orderStatusId"].(float64) != StatusDraft {
				t.Errorf("an order that never reached the portal stays a draft: %v", order["orderStatusId"])
			}
			if snap, _ := e.api.Order(id); snap.Breach == nil {
				t.Errorf("snapshot without breach: %+v", snap)
			}
		})
	}
}

// EPGU-A3: 20 orders of a service per user per 10 minutes; EPGU-A1: beyond it the processing ends
// LIMITATION_EXCEPTION while the push itself is answered 200.
func TestOrderLimitPerUser(t *testing.T) {
	lim := SpecLimits()
	lim.OrdersPerUser = 2
	e := newEnv(t, nil, WithLimits(lim))
	archive := makeZip(t, 0, "req.xml")
	var ids []int64
	for range 3 {
		r := e.push("alice", metaPart(fsspMeta), filePart(archive))
		ids = append(ids, orderIDOf(t, r))
		e.clk.Advance(time.Minute)
	}
	if got := e.code("alice", ids[2]); got != "LIMITATION_EXCEPTION" {
		t.Fatalf("third order: %q", got)
	}
	if snap, _ := e.api.Order(ids[2]); snap.Breach == nil || snap.Breach.Rule != "EPGU-A3" {
		t.Errorf("breach %+v", snap.Breach)
	}
	if got := e.code("alice", ids[1]); got == "LIMITATION_EXCEPTION" {
		t.Errorf("second order limited")
	}
	other := orderIDOf(t, e.push("bob", metaPart(fsspMeta), filePart(archive)))
	if got := e.code("bob", other); got == "LIMITATION_EXCEPTION" {
		t.Errorf("another user is counted apart")
	}
	e.clk.Advance(8 * time.Minute) // the first order leaves the 10-minute window
	late := orderIDOf(t, e.push("alice", metaPart(fsspMeta), filePart(archive)))
	if got := e.code("alice", late); got == "LIMITATION_EXCEPTION" {
		t.Errorf("after the window: %q", got)
	}
}

var mskStamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0300$`)

// The details answer: code/message/messageId/order with order a string of escaped JSON holding the
// fields of Table 28 the way the EPGU-5.5 sample writes them.
func TestDetailsJSON(t *testing.T) {
	e := newEnv(t, nil)
	id := orderIDOf(t, e.push("alice", metaPart(fsspMeta), filePart(makeZip(t, 0, "req.xml", "req.xml.sig"))))

	raw := e.do("POST", fmt.Sprintf("/api/gusmev/order/%d", id), "alice", "", nil)
	if !strings.Contains(string(raw.body), `"order":"{\"orderType\":\"ORDER\"`) {
		t.Fatalf("order is not an escaped JSON string: %.200s", raw.body)
	}
	env, _ := e.details("alice", id)
	for _, k := range []string{"code", "message", "messageId", "order"} {
		if _, ok := env[k]; !ok {
			t.Errorf("envelope lacks %s", k)
		}
	}
	if env["messageId"] != nil {
		t.Errorf("messageId before the order is sent: %v", env["messageId"])
	}

	e.clk.Advance(3*time.Second + time.Second) // DONE, then 17 after a second
	env, o := e.details("alice", id)
	if env["code"] != "DONE" || env["messageId"] == nil || env["messageId"] != env["message_id"] {
		t.Errorf("envelope %v", env)
	}
	for _, k := range []string{"orderType", "smevTx", "orderStatusName", "id", "orderStatusId", "currentStatusHistory",
		"currentStatusHistoryId", "statuses", "orderResponseFiles", "orderAttachmentFiles", "eserviceId", "serviceTargetId",
		"userSelectedRegion", "orderDate", "updated", "requestDate", "closed", "hasResult", "stateStructureName", "sourceSystem"} {
		if _, ok := o[k]; !ok {
			t.Errorf("order lacks %s", k)
		}
	}
	if o["id"].(float64) != float64(id) || o["eserviceId"] != "60010153" || o["serviceTargetId"] != "-60010153" || o["userSelectedRegion"] != "45000000000" {
		t.Errorf("identity fields %v %v %v %v", o["id"], o["eserviceId"], o["serviceTargetId"], o["userSelectedRegion"])
	}
	cur := o["currentStatusHistory"].(map[string]any)
	for _, k := range []string{"date", "cancelAllowed", "finalStatus", "hasResult", "id", "statusId", "title", "orderId", "sender"} {
		if _, ok := cur[k]; !ok {
			t.Errorf("currentStatusHistory lacks %s", k)
		}
	}
	if cur["statusId"].(float64) != StatusRegistered || cur["title"] != "Зарегистрировано на портале" || cur["hasResult"] != "N" ||
		cur["id"] != o["currentStatusHistoryId"] || o["orderStatusId"] != cur["statusId"] {
		t.Errorf("current status %v", cur)
	}
	if !mskStamp.MatchString(cur["date"].(string)) || !mskStamp.MatchString(o["orderDate"].(string)) {
		t.Errorf("dates %v %v", cur["date"], o["orderDate"])
	}
	sts := o["statuses"].([]any)
	if len(sts) != 2 || sts[0].(map[string]any)["statusId"].(float64) != StatusDraft || sts[0].(map[string]any)["title"] != "Черновик заявления" {
		t.Errorf("statuses %v", sts)
	}
	files := o["orderAttachmentFiles"].([]any)
	req := files[0].(map[string]any)
	if req["fileName"] != "req.xml" || req["link"] != fmt.Sprintf("terrabyte://00/%d/req.xml/2", id) || req["type"] != "REQUEST" || req["hasDigitalSignature"] != true {
		t.Errorf("attachment %v", req)
	}

	t.Run("not found and not yours", func(t *testing.T) {
		if r := e.do("POST", "/api/gusmev/order/1", "alice", "", nil); r.status != http.StatusNoContent || len(r.body) != 0 {
			t.Errorf("unknown order: %d %q, want 204 without body (Appendix 4)", r.status, r.body)
		}
		e.do("POST", fmt.Sprintf("/api/gusmev/order/%d", id), "bob", "", nil).errorCode(t, http.StatusForbidden, CodeOrderAccess)
		e.do("POST", "/api/gusmev/order/abc", "alice", "", nil).errorCode(t, http.StatusBadRequest, CodeBadRequest)
	})
}
