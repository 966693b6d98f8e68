package standalone

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
)

// /metrics labels come from closed sets: a fault is counted under the gateway's own code (or
// "other") only when the gateway sent one, never because business data look like an error code.
func TestMetricsLabelsAreAClosedSet(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, e := range []journal.Event{
		{Kind: journal.Received, Channel: "sync", SessionID: "answered"},
		{Kind: journal.Answered, Channel: "sync", SessionID: "answered"},
		{Kind: journal.Received, Channel: "sync", SessionID: "refused"},
		{Kind: journal.Rejected, Channel: "sync", SessionID: "refused", Code: "SCE002", Rule: "R-53(2)"},
	} {
		if _, err := j.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	answers := []struct {
		path   string
		status int
		body   string
	}{
		// A routed answer whose business data quote error codes, known and invented.
		{envelope.SyncPath, 200, `<responseInfo><sessionId>answered</sessionId></responseInfo><responseData><data>` +
			`<errorCode>SCE999</errorCode><errorCode>SCE004</errorCode></data></responseData>`},
		// The same with no session the journal knows: still no fault.
		{envelope.SyncPath, 200, `<data><errorCode>INVENTED-1</errorCode></data>`},
		{"/bip-rest/S1", 200, `{"errorCode": "INVENTED-2"}`},
		// The gateway's own refusal: counted under its code.
		{envelope.SyncPath, 500, `<Fault><errorCode>SCE002</errorCode><sessionId>refused</sessionId></Fault>`},
		// A fault the journal does not know, with a code the gateway never gives: "other".
		{envelope.AsyncPath, 500, `<Fault><errorCode>SCE999&quot;} 1e9 #</errorCode></Fault>`},
		// Unknown paths fall in the "other" channel.
		{"/x/" + strings.Repeat("a", 50), 404, ``},
	}
	m := NewMetrics(j, nil)
	for _, a := range answers {
		h := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(a.status)
			w.Write([]byte(a.body))
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, a.path, nil))
	}
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()

	known := map[string]bool{"other": true}
	for _, c := range envelope.Codes {
		known[c.ID] = true
	}
	faults := regexp.MustCompile(`(?m)^shepconf_gateway_faults_total\{code="([^"]*)"\} (\d+)$`).FindAllStringSubmatch(got, -1)
	counted := map[string]string{}
	for _, f := range faults {
		if !known[f[1]] {
			t.Errorf("fault label %q is not one of the gateway's codes", f[1])
		}
		counted[f[1]] = f[2]
	}
	if counted["SCE002"] != "1" || counted["other"] != "1" || len(counted) != 2 {
		t.Errorf("faults counted %v, want SCE002 1 and other 1 (business data are no faults):\n%s", counted, got)
	}
	for _, l := range regexp.MustCompile(`channel="([^"]*)"`).FindAllStringSubmatch(got, -1) {
		if l[1] != "sync" && l[1] != "async" && l[1] != "rest" && l[1] != "other" {
			t.Errorf("channel label %q is not one of sync, async, rest, other", l[1])
		}
	}
	if !strings.Contains(got, "shepconf_gateway_journal_write_errors_total 0\n") {
		t.Errorf("metrics lack the journal's write errors:\n%s", got)
	}
}
