package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

var sample = Request{Action: Send, Channel: Sync, Gateway: "http://127.0.0.1:1", ServiceID: "SVC", Data: "<a>1</a>"}

func TestHTTPPostsTheRequestAndReadsTheResult(t *testing.T) {
	var got Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s with %q, want POST application/json", r.Method, r.Header.Get("Content-Type"))
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		_, _ = w.Write([]byte(`{"outcome":"answered","messageId":"m-1","answer":"<b/>"}`))
	}))
	defer srv.Close()
	res, err := HTTP{URL: srv.URL}.Fire(context.Background(), sample)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sample) {
		t.Errorf("the system was sent %+v, want %+v", got, sample)
	}
	if res.Outcome != Answered || res.MessageID != "m-1" || res.Answer != "<b/>" {
		t.Errorf("result %+v", res)
	}
}

func TestHTTPErrorsNameTheProblem(t *testing.T) {
	cases := map[string]http.HandlerFunc{
		"HTTP 500":       func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) },
		"not the JSON":   func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) },
		"has no outcome": func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"messageId":"x"}`)) },
	}
	for want, h := range cases {
		srv := httptest.NewServer(h)
		_, err := HTTP{URL: srv.URL}.Fire(context.Background(), sample)
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one saying %q", err, want)
		}
	}
}

func TestCommandExpandsPlaceholdersAndReadsTheLastJSONLine(t *testing.T) {
	c := Command{Args: []string{"sh", "-c", `echo "log line"; echo '{"outcome":"fault","code":"SCE004"}'; echo "{\"outcome\":\"answered\",\"answer\":\"$1 $2\"}"`, "sh", "{serviceId}", "{channel}"}}
	res, err := c.Fire(context.Background(), sample)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Answered || res.Answer != "SVC sync" {
		t.Errorf("result %+v, want answered with %q", res, "SVC sync")
	}
}

func TestCommandWithoutAResultIsAnError(t *testing.T) {
	_, err := Command{Args: []string{"sh", "-c", "echo nothing useful; exit 3"}}.Fire(context.Background(), sample)
	if err == nil || !strings.Contains(err.Error(), "exit code 3") {
		t.Errorf("error %v, want one naming exit code 3", err)
	}
}

func TestExpandCarriesTheWholeRequest(t *testing.T) {
	out := sample.Expand([]string{"{request}"})
	var back Request
	if err := json.Unmarshal([]byte(out[0]), &back); err != nil || !reflect.DeepEqual(back, sample) {
		t.Errorf("{request} expanded to %s (%v)", out[0], err)
	}
}

func TestOperatorReadsTheOutcomeTyped(t *testing.T) {
	var out bytes.Buffer
	o := &Operator{Out: &out, In: strings.NewReader("Refused\n"), Wait: 5 * time.Second}
	res, err := o.Fire(context.Background(), sample)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Refused {
		t.Errorf("outcome %q, want %q", res.Outcome, Refused)
	}
	if !strings.Contains(out.String(), "send a sync message to the service SVC") {
		t.Errorf("the operator was not told what to do:\n%s", out.String())
	}
}

func TestOperatorCountsDownAndEndsWhenTheMessageArrives(t *testing.T) {
	var out bytes.Buffer
	polls := 0
	o := &Operator{Out: &out, Wait: 10 * time.Second}
	start := time.Now()
	res, err := o.Fire(WithArrival(context.Background(), func() bool { polls++; return polls == 2 }), sample)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Unknown || time.Since(start) > 5*time.Second {
		t.Errorf("outcome %q after %s, want unknown once the message arrived", res.Outcome, time.Since(start))
	}
	if !strings.Contains(out.String(), "waiting") || !strings.Contains(out.String(), "arrived") {
		t.Errorf("no countdown shown:\n%s", out.String())
	}
}

func TestCheckNamesTheField(t *testing.T) {
	for _, c := range []struct {
		r    Request
		want string
	}{
		{Request{Action: "dance", Channel: Sync, Gateway: "g", ServiceID: "s"}, "action"},
		{Request{Action: Send, Channel: "smtp", Gateway: "g", ServiceID: "s"}, "channel"},
		{Request{Action: Send, Channel: Sync, ServiceID: "s"}, "gateway"},
		{Request{Action: Send, Channel: Sync, Gateway: "g"}, "serviceId"},
		{Request{Action: Submit, Channel: Sync, Gateway: "g", ServiceID: "s", Auth: "a", APIKey: "k"}, "go with channel epgu"},
		{Request{Action: Send, Channel: EPGU, Gateway: "g", ServiceID: "s"}, "go with channel epgu"},
		{Request{Action: Submit, Channel: EPGU, Gateway: "g", ServiceID: "s", APIKey: "k"}, "auth"},
		{Request{Action: Submit, Channel: EPGU, Gateway: "g", Auth: "a", APIKey: "k"}, "serviceId"},
		{Request{Action: Login, Channel: EPGU}, "a login needs auth"},
		{Request{Action: Login, Channel: Sync, Auth: "a"}, "login go with channel epgu"},
		{Request{Action: "dance", Channel: EPGU, Auth: "a"}, "login"},
	} {
		if err := c.r.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c.r, err, c.want)
		}
	}
	if err := (Request{Action: Receive, Channel: Async, Gateway: "g"}).Check(); err != nil {
		t.Errorf("a receive needs no service: %v", err)
	}
	if err := (Request{Action: Submit, Channel: EPGU, Gateway: "g", ServiceID: "s", Auth: "a", APIKey: "k"}).Check(); err != nil {
		t.Errorf("a complete submit: %v", err)
	}
	if err := (Request{Action: Login, Channel: EPGU, Auth: "a"}).Check(); err != nil {
		t.Errorf("a login needs only ESIA, no gateway, API key or service: %v", err)
	}
}

func TestOperatorIsToldToSignACitizenIn(t *testing.T) {
	var out bytes.Buffer
	o := &Operator{Out: &out, In: strings.NewReader("answered\n"), Wait: 5 * time.Second}
	if _, err := o.Fire(context.Background(), Request{Action: Login, Channel: EPGU, Auth: "https://esia.test"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "sign a citizen in") || !strings.Contains(out.String(), "https://esia.test") {
		t.Errorf("the operator was not told to sign a citizen in through ESIA:\n%s", out.String())
	}
}
