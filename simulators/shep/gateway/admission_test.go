package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

func admissionBed(t *testing.T) *testbed.Bed {
	t.Helper()
	bed, err := testbed.Start(testbed.Options{Limits: rule.RulesLimits(), JournalPath: filepath.Join(t.TempDir(), "journal.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bed.Close(context.Background()) })
	return bed
}

// soapFault posts body to the gateway at url and reads the fault it answers.
func soapFault(t *testing.T, url string, body []byte) (int, envelope.Fault) {
	t.Helper()
	resp, err := http.Post(url, "text/xml; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the gateway did not answer: %v", err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	m, err := envelope.Parse(out.Bytes())
	if err != nil || !m.IsFault() {
		t.Fatalf("HTTP %d, not a fault (%v): %.300s", resp.StatusCode, err, out.String())
	}
	f, err := m.Fault()
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, f
}

// hostileSOAP wraps inner as the business data of a synchronous request from the bed's initiator.
func hostileSOAP(bed *testbed.Bed, inner string) []byte {
	req := bed.Initiator.Request(bed.ServiceID, envelope.Data{Raw: "<data>" + inner + "</data>"})
	b, _ := envelope.Marshal(req)
	return b
}

// TestAdmissionHostileXMLRefusedByThePreScan: each input that makes libxml2 or the tree parsers work
// without bound is refused before any parser sees it, on both SOAP channels, with SCE001 naming the
// limit. Before the pre-scan the attribute bomb cost 35 s of libxml2 CPU and none named a limit.
func TestAdmissionHostileXMLRefusedByThePreScan(t *testing.T) {
	bed := admissionBed(t)
	attrs := func(n int) string {
		var b strings.Builder
		b.WriteString("<a")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, " a%d=\"\"", i)
		}
		return b.String() + "/>"
	}
	cases := []struct{ name, inner, limit string }{
		{"attribute bomb", attrs(100_000), "MaxAttributesPerElement"},
		{"deep nesting", strings.Repeat("<a>", 10_000) + strings.Repeat("</a>", 10_000), "MaxDepth"},
		{"huge text node", "<a>" + strings.Repeat("A", 9<<20) + "</a>", "MaxTextBytes"},
		{"huge name", "<" + strings.Repeat("n", 60_000) + "/>", "MaxNameBytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := hostileSOAP(bed, c.inner)
			for path, ruleID := range map[string]string{envelope.SyncPath: "A1-T19 row 1", envelope.AsyncPath: "A1-T1 row 1"} {
				status, f := soapFault(t, bed.Gateway.URL()+path, body)
				if status != http.StatusInternalServerError || f.Detail.ErrorCode != "SCE001" ||
					!strings.Contains(f.Detail.ErrorData, ruleID) || !strings.Contains(f.Detail.ErrorData, c.limit) {
					t.Errorf("%s: HTTP %d %s %q, want SCE001 citing %s and naming %s", path, status, f.Detail.ErrorCode, f.Detail.ErrorData, ruleID, c.limit)
				}
			}
		})
	}
}

// largeValidBody is a schema-valid synchronous request of about 9.4 MB: 90 000 business-data
// elements, each within every pre-scan limit.
func largeValidBody(t testing.TB, bed *testbed.Bed, senderID, password string) []byte {
	t.Helper()
	req := bed.Initiator.Request(bed.ServiceID, envelope.Data{Raw: "<data>" + strings.Repeat("<i>"+strings.Repeat("x", 98)+"</i>", 90_000) + "</data>"})
	req.Request.RequestInfo.Sender = envelope.SenderInfo{SenderID: senderID, Password: password}
	b, err := envelope.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAdmissionNoEnumerationOracle: an unknown system and a wrong password get the same answer on
// every channel (same code, faultstring, errorMessage and errorData), so the answers do not tell
// which systems are registered. Before, the first named the senderId "not registered" and
// the second "a different password".
func TestAdmissionNoEnumerationOracle(t *testing.T) {
	bed := admissionBed(t)
	ctx := context.Background()
	t.Run("sync", func(t *testing.T) {
		var answers []string
		for _, sender := range []string{testbed.InitiatorID, "NO_SUCH_SYSTEM"} {
			req := bed.Initiator.Request(bed.ServiceID, envelope.StringData("ping"))
			req.Request.RequestInfo.Sender = envelope.SenderInfo{SenderID: sender, Password: "guessed"}
			b, _ := envelope.Marshal(req)
			b, _ = bed.Initiator.Sign(b)
			status, f := soapFault(t, bed.Gateway.URL()+envelope.SyncPath, b)
			answers = append(answers, fmt.Sprintf("HTTP %d %s %q %s %s %q", status, f.Code, f.String, f.Detail.ErrorCode, f.Detail.ErrorMessage, f.Detail.ErrorData))
		}
		if answers[0] != answers[1] || !strings.Contains(answers[0], "SCE002") {
			t.Fatalf("wrong password and unknown system answered differently:\n%s\n%s", answers[0], answers[1])
		}
	})
	t.Run("async", func(t *testing.T) {
		var answers []string
		for _, sender := range []string{testbed.InitiatorID, "NO_SUCH_SYSTEM"} {
			p := owner.NewParticipant(sender, "guessed", bed.Gateway.URL())
			p.Identity = bed.Participant.Identity
			x := p.Send(ctx, p.Message(bed.ServiceID, envelope.TypeRequest, "", envelope.StringData("ping")))
			if x.Err != nil || x.Fault == nil {
				t.Fatalf("no fault: %v %s", x.Err, x.Response)
			}
			f := x.Fault
			answers = append(answers, fmt.Sprintf("HTTP %d %s %q %s %s %q", x.Status, f.Code, f.String, f.Detail.ErrorCode, f.Detail.ErrorMessage, f.Detail.ErrorData))
		}
		if answers[0] != answers[1] || !strings.Contains(answers[0], "SCE002") {
			t.Fatalf("wrong password and unknown system answered differently:\n%s\n%s", answers[0], answers[1])
		}
	})
	t.Run("rest", func(t *testing.T) {
		_, _, in := restGateway(t, false)
		var answers []string
		for _, sender := range []string{"IS-A", "NO_SUCH_SYSTEM"} {
			for _, basic := range []bool{false, true} {
				i := *in
				i.SystemID, i.Password, i.Basic = sender, "guessed", basic
				body, _ := json.Marshal(i.Request("S1", json.RawMessage(`"ping"`)))
				x := i.Send(ctx, i.Gateway, "application/json", body)
				var f struct{ Error map[string]any }
				if err := json.Unmarshal(x.Response, &f); err != nil {
					t.Fatal(err)
				}
				delete(f.Error, "sessionId")
				delete(f.Error, "errorDate")
				answers = append(answers, fmt.Sprintf("basic %v: HTTP %d %v", basic, x.Status, f.Error))
			}
		}
		if answers[0] != answers[2] || answers[1] != answers[3] || !strings.Contains(answers[0], "SCE002") {
			t.Fatalf("wrong password and unknown system answered differently:\n%s", strings.Join(answers, "\n"))
		}
	})
}

// TestAdmissionCommentInSignedBodyRefused: exclusive C14N drops comments, so a comment injected into
// the signed Body leaves the digest intact; the gateway forwarded it. It must refuse it:
// what is forwarded is exactly what was signed.
func TestAdmissionCommentInSignedBodyRefused(t *testing.T) {
	bed := admissionBed(t)
	for name, inject := range map[string]string{"comment": "<!-- injected -->", "processing instruction": "<?injected?>"} {
		b, err := envelope.Marshal(bed.Initiator.Request(bed.ServiceID, envelope.StringData("ping")))
		if err == nil {
			b, err = bed.Initiator.Sign(b)
		}
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte("ping"), []byte("pi"+inject+"ng"), 1)
		status, f := soapFault(t, bed.Gateway.URL()+envelope.SyncPath, b)
		if status != http.StatusInternalServerError || f.Detail.ErrorCode != "SCE006" || !strings.Contains(f.Detail.ErrorData, "R-58") {
			t.Errorf("%s in the signed Body: HTTP %d %s %q, want SCE006 citing R-58", name, status, f.Detail.ErrorCode, f.Detail.ErrorData)
		}
	}
	if n := len(bed.Owner.Received()); n != 0 {
		t.Fatalf("the owner received %d altered messages", n)
	}
}

// TestAdmissionFarMessageDateRemarked: a messageDate more than 24 hours from the gateway's clock is
// accepted (the Rules set no window) with a remark in the signature evidence; before, 1999 and 2099
// passed without remark.
func TestAdmissionFarMessageDateRemarked(t *testing.T) {
	bed := admissionBed(t)
	ctx := context.Background()
	for _, date := range []time.Time{time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), time.Now()} {
		req := bed.Initiator.Request(bed.ServiceID, envelope.StringData("ping"))
		req.Request.RequestInfo.MessageDate = envelope.DateTime{Time: date}
		b, err := envelope.Marshal(req)
		if err == nil {
			b, err = bed.Initiator.Sign(b)
		}
		if err != nil {
			t.Fatal(err)
		}
		resp, fault, err := bed.Initiator.Send(ctx, b).Answer()
		if err != nil || fault != nil {
			t.Fatalf("messageDate %s: refused %+v (%v)", date, fault, err)
		}
		x, err := bed.Journal.Exchange(ctx, resp.Response.ResponseInfo.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		remarked := false
		for _, e := range x.Events {
			if e.Kind == journal.Accepted {
				remarked = strings.Contains(e.Detail, `"code":"message-date"`) && strings.Contains(e.Detail, "A1-T19")
			}
		}
		if far := date.Year() != time.Now().Year(); remarked != far {
			t.Errorf("messageDate %s: remark %v, want %v", date.Format(time.RFC3339), remarked, far)
		}
	}
}

// TestAdmissionRESTTokenNotEchoed: an Authorization header of another scheme is refused naming the
// scheme only; before, its first 20 characters went into the answer and the journal.
func TestAdmissionRESTTokenNotEchoed(t *testing.T) {
	url, client, in := restGateway(t, false)
	body, _ := json.Marshal(in.Request("S1", json.RawMessage(`"ping"`)))
	const token = "eyJhbGciOiJSUzI1NiJ9.secret-token-material"
	req, _ := http.NewRequest(http.MethodPost, url+"/bip-rest", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(out.String(), "Bearer") {
		t.Fatalf("HTTP %d %s, want 401 naming the scheme", resp.StatusCode, out.String())
	}
	if strings.Contains(out.String(), token[:6]) {
		t.Fatalf("the answer echoes the token: %s", out.String())
	}
}

// plainGateway is a gateway without signatures over a registry of one system, IS-A with password pw.
func plainGateway(t testing.TB, opts ...gateway.Option) (*gateway.Gateway, *journal.Journal, string) {
	t.Helper()
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	reg := gateway.NewRegistry()
	reg.AddSystem(gateway.System{ID: "IS-A", Password: "pw"})
	reg.AddService(gateway.Service{ID: "S1", Owner: "IS-A", Endpoint: "http://127.0.0.1:1/unreachable"})
	reg.Grant("S1", "IS-A")
	gw, err := gateway.New(reg, j, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Start("127.0.0.1:0", gateway.WithClientAddress(gw.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()); j.Close() })
	return gw, j, srv.URL() + envelope.SyncPath
}

func plainRequest(sender, password, serviceID string, data envelope.Data) []byte {
	in := owner.Initiator{SystemID: sender, Password: password}
	b, _ := envelope.Marshal(in.Request(serviceID, data))
	return b
}

// TestAdmissionWrongPasswordRefusedBeforeAnyParse: a 9.4 MB schema-valid request with a wrong
// password is refused at authentication, before libxml2 or a tree parser sees it. Before, it was
// validated and parsed three times (1.1-1.4 GB of memory) before the password was looked at.
func TestAdmissionWrongPasswordRefusedBeforeAnyParse(t *testing.T) {
	gw, _, url := plainGateway(t)
	big := envelope.Data{Raw: "<data>" + strings.Repeat("<i>"+strings.Repeat("x", 98)+"</i>", 90_000) + "</data>"}
	body := plainRequest("IS-A", "guessed", "S1", big)
	if len(body) < 9_000_000 {
		t.Fatalf("the request is %d bytes, want about 9.4 MB", len(body))
	}
	before := gw.AdmissionCounts()
	_, f := soapFault(t, url, body)
	after := gw.AdmissionCounts()
	if f.Detail.ErrorCode != "SCE002" || after.Validated != before.Validated || after.AuthRefused != before.AuthRefused+1 {
		t.Fatalf("fault %s, counts %+v -> %+v: want SCE002 with no schema validation", f.Detail.ErrorCode, before, after)
	}
	// The right password takes the same request through validation.
	_, f = soapFault(t, url, plainRequest("IS-A", "pw", "NO_SUCH_SERVICE", big))
	if f.Detail.ErrorCode != "SCE004" || gw.AdmissionCounts().Validated != after.Validated+1 {
		t.Fatalf("authenticated request: %s %q, counts %+v", f.Detail.ErrorCode, f.Detail.ErrorData, gw.AdmissionCounts())
	}
}

// TestAdmissionLockOut: failed authentications are limited per system, registered or not, and per
// client address; the lock-out refuses even the right password, names no system, and is journaled.
// Before, guesses were unlimited (about 580 a second).
func TestAdmissionLockOut(t *testing.T) {
	ctx := context.Background()
	t.Run("per system", func(t *testing.T) {
		_, j, url := plainGateway(t, gateway.WithAuthLimits(gateway.AuthLimits{MaxFailuresPerSystem: 3, Window: time.Minute, LockOut: time.Minute}))
		var locked []string
		for _, sender := range []string{"IS-A", "NO_SUCH_SYSTEM"} {
			var last envelope.Fault
			for i := 0; i < 3; i++ {
				_, last = soapFault(t, url, plainRequest(sender, "guessed", "S1", envelope.StringData("ping")))
			}
			events, err := j.Events(ctx, last.Detail.SessionID)
			if err != nil {
				t.Fatal(err)
			}
			journaled := false
			for _, e := range events {
				journaled = journaled || e.Kind == journal.AuthRefused && strings.Contains(e.Detail, "lock-out of senderId")
				if strings.Contains(e.Detail, "guessed") {
					t.Fatalf("the journal holds the password: %+v", e)
				}
			}
			if !journaled {
				t.Fatalf("%s: the lock-out is not journaled: %+v", sender, events)
			}
			password := "guessed"
			if sender == "IS-A" {
				password = "pw"
			}
			_, f := soapFault(t, url, plainRequest(sender, password, "S1", envelope.StringData("ping")))
			if f.Detail.ErrorCode != "SCE002" || !strings.Contains(f.Detail.ErrorData, "locked out") {
				t.Fatalf("%s during the lock-out: %s %q", sender, f.Detail.ErrorCode, f.Detail.ErrorData)
			}
			locked = append(locked, f.Detail.ErrorData)
		}
		if strings.Replace(locked[0], "60 s", "59 s", -1) != strings.Replace(locked[1], "60 s", "59 s", -1) {
			t.Fatalf("the lock-out tells a registered system from an unknown one:\n%s\n%s", locked[0], locked[1])
		}
	})
	t.Run("per address", func(t *testing.T) {
		_, j, url := plainGateway(t, gateway.WithAuthLimits(gateway.AuthLimits{MaxFailuresPerAddress: 3, Window: time.Minute, LockOut: time.Minute}))
		var last envelope.Fault
		for i := 0; i < 3; i++ {
			_, last = soapFault(t, url, plainRequest(fmt.Sprintf("GUESS_%d", i), "guessed", "S1", envelope.StringData("ping")))
		}
		events, _ := j.Events(ctx, last.Detail.SessionID)
		journaled := false
		for _, e := range events {
			journaled = journaled || e.Kind == journal.AuthRefused && strings.Contains(e.Detail, "lock-out of client address 127.0.0.1")
		}
		_, f := soapFault(t, url, plainRequest("IS-A", "pw", "S1", envelope.StringData("ping")))
		if !journaled || !strings.Contains(f.Detail.ErrorData, "locked out") {
			t.Fatalf("journaled %v; the right password from the locked address: %s %q", journaled, f.Detail.ErrorCode, f.Detail.ErrorData)
		}
	})
	t.Run("off", func(t *testing.T) {
		_, _, url := plainGateway(t, gateway.WithAuthLimits(gateway.AuthLimits{}))
		for i := 0; i < 20; i++ {
			soapFault(t, url, plainRequest("IS-A", "guessed", "S1", envelope.StringData("ping")))
		}
		_, f := soapFault(t, url, plainRequest("IS-A", "pw", "S1", envelope.StringData("ping")))
		if strings.Contains(f.Detail.ErrorData, "locked out") {
			t.Fatalf("locked out with the limits off: %q", f.Detail.ErrorData)
		}
	})
}

// TestAdmissionGatewayProcess is the gateway process of BenchmarkAdmissionParallelWrongPasswords:
// the test binary runs itself as a gateway, so that its peak memory is its own (VmHWM), libxml2's
// C allocations included. It serves until its standard input closes.
func TestAdmissionGatewayProcess(t *testing.T) {
	if os.Getenv("SHEPCONF_ADMISSION_GATEWAY") == "" {
		t.Skip("runs only as the gateway process of BenchmarkAdmissionParallelWrongPasswords")
	}
	_, _, url := plainGateway(t, gateway.WithAuthLimits(gateway.AuthLimits{}))
	fmt.Println("gateway", url)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// AdmissionPeakMemoryBound is the documented bound on the gateway's peak memory (VmHWM) under
// MaxInFlight parallel requests of MaxMessageSize refused at authentication (README, "Hardening:
// admission"): MaxInFlight x 2 x MaxMessageSize (each body held once, and the Go collector's
// headroom of as much again), plus 256 MiB for the process itself.
const AdmissionPeakMemoryBound = gateway.MaxInFlight*2*gateway.MaxMessageSize + 256<<20

// BenchmarkAdmissionParallelWrongPasswords sends MaxInFlight requests of about 10 MB at once, all
// schema-valid with a wrong password, to a gateway process, and reports its peak memory and CPU
// time; it fails when the peak exceeds AdmissionPeakMemoryBound. Run it alone:
//
//	go test ./simulators/shep/gateway/ -run '^$' -bench AdmissionParallelWrongPasswords -benchtime 1x
func BenchmarkAdmissionParallelWrongPasswords(b *testing.B) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestAdmissionGatewayProcess$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "SHEPCONF_ADMISSION_GATEWAY=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	var url string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "gateway "); ok {
			url = u
			break
		}
	}
	if url == "" {
		b.Fatal("the gateway process did not start")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	data := envelope.Data{Raw: "<data>" + strings.Repeat("<i>"+strings.Repeat("x", 98)+"</i>", 99_000) + "</data>"}
	body := plainRequest("IS-A", "guessed", "S1", data)
	if len(body) > gateway.MaxMessageSize {
		b.Fatalf("the request is %d bytes, over MaxMessageSize", len(body))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: gateway.MaxInFlight}}
	cpuBefore := cpuTime(b, cmd.Process.Pid)
	refused := 0
	for b.Loop() {
		var wg sync.WaitGroup
		codes := make(chan int, gateway.MaxInFlight)
		for i := 0; i < gateway.MaxInFlight; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := client.Post(url, "text/xml", bytes.NewReader(body))
				if err != nil {
					codes <- 0
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				codes <- resp.StatusCode
			}()
		}
		wg.Wait()
		close(codes)
		for c := range codes {
			if c == http.StatusInternalServerError {
				refused++
			}
		}
	}
	peak := statusField(b, cmd.Process.Pid, "VmHWM")
	cpu := cpuTime(b, cmd.Process.Pid) - cpuBefore
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(max(refused, 1)), "cpu-ms/request")
	b.ReportMetric(float64(len(body))/1e6, "MB/request")
	if refused != b.N*gateway.MaxInFlight {
		b.Fatalf("%d of %d requests refused with a fault", refused, b.N*gateway.MaxInFlight)
	}
	if peak > AdmissionPeakMemoryBound {
		b.Fatalf("peak memory %d MiB, over the documented bound of %d MiB", peak>>20, AdmissionPeakMemoryBound>>20)
	}
}

// statusField reads a kB field of /proc/<pid>/status, in bytes.
func statusField(b *testing.B, pid int, name string) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	b.Fatalf("no %s in /proc/%d/status", name, pid)
	return 0
}

// cpuTime is the user and system CPU time of a process so far (/proc/<pid>/stat, clock ticks of
// 10 ms).
func cpuTime(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// worstInputs are 1 MB inputs each within every pre-scan limit, built to cost the parsers most.
func worstInputs() map[string]string {
	attrs := func(prefix string, n int) string {
		var s strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&s, ` %sa%d=""`, prefix, i)
		}
		return s.String()
	}
	var ns strings.Builder
	for i := 0; i < 120; i++ {
		fmt.Fprintf(&ns, ` xmlns:p%d="urn:%d"`, i, i)
	}
	el256 := "<a" + attrs("", 256) + "/>"
	elNS := "<p0:a" + attrs("p0:", 250) + "/>"
	nest := strings.Repeat("<a>", 240) + strings.Repeat("</a>", 240)
	return map[string]string{
		"attributes": strings.Repeat(el256, 1<<20/len(el256)),
		"namespaces": "<n" + ns.String() + ">" + strings.Repeat(elNS, 1<<20/len(elNS)) + "</n>",
		"elements":   strings.Repeat("<a/>", 99_000) + strings.Repeat("x", 1<<20-4*99_000),
		"depth":      strings.Repeat(nest, 400) + strings.Repeat("x", 1<<20-400*len(nest)),
	}
}

// BenchmarkAdmissionWorst1MB is the gateway's admission of 1 MB inputs built to cost the parsers
// most: with a wrong password (refused before any parse) and with the right one (schema, parse and
// refusal of the unknown service).
func BenchmarkAdmissionWorst1MB(b *testing.B) {
	_, _, url := plainGateway(b, gateway.WithAuthLimits(gateway.AuthLimits{}))
	for name, inner := range worstInputs() {
		for _, password := range []string{"guessed", "pw"} {
			body := plainRequest("IS-A", password, "NO_SUCH_SERVICE", envelope.Data{Raw: "<data>" + inner + "</data>"})
			b.Run(name+"/password "+password, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					resp, err := http.Post(url, "text/xml", bytes.NewReader(body))
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
	}
}
