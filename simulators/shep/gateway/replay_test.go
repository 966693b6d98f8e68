package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/assembly/testbed"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/store"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// copies is how many copies of one message an attacker posts at once.
const copies = 40

// parallel posts body copies times at once and returns every answer.
func parallel(n int, post func() []byte) [][]byte {
	out := make([][]byte, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = post()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// soapOutcome is "accepted" for an answer, the fault's code for a fault, or what went wrong.
func soapOutcome(body []byte) (string, *envelope.Fault) {
	m, err := envelope.Parse(body)
	if err != nil {
		return "unreadable: " + err.Error(), nil
	}
	if !m.IsFault() {
		return "accepted", nil
	}
	f, err := m.Fault()
	if err != nil {
		return "unreadable fault: " + err.Error(), nil
	}
	return f.Detail.ErrorCode, &f
}

// replayRefused fails the test unless every fault is SCE022 citing R-61 and journaled as REJECTED
// with that code and rule.
func replayRefused(t *testing.T, j *journal.Journal, faults []*envelope.Fault) {
	t.Helper()
	for _, f := range faults {
		if f.Detail.ErrorCode != envelope.SCE022.ID || !strings.Contains(f.Detail.ErrorData, "R-61") {
			t.Fatalf("a replay got %+v, want SCE022 citing R-61", f.Detail)
		}
		x, err := j.Exchange(context.Background(), f.Detail.SessionID)
		if err != nil || x.Outcome != journal.Rejected || x.Code != envelope.SCE022.ID || x.Rule != "R-61" {
			t.Fatalf("journal of the replay %+v (%v), want REJECTED SCE022 R-61", x, err)
		}
	}
}

// the same signed synchronous message posted 40 times at once is accepted and routed once;
// the 39 copies are refused with SCE022 and journaled as rejected replays.
func TestReplaySyncParallelCopiesAcceptedOnce(t *testing.T) {
	bed, err := testbed.Start(testbed.Options{Limits: rule.RulesLimits(), JournalPath: filepath.Join(t.TempDir(), "journal.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close(context.Background())
	body, err := envelope.Marshal(bed.Initiator.Request(testbed.ServiceID, envelope.StringData("pay once")))
	if err == nil {
		body, err = bed.Initiator.Sign(body)
	}
	if err != nil {
		t.Fatal(err)
	}
	answers := parallel(copies, func() []byte {
		resp, err := http.Post(bed.Gateway.URL()+envelope.SyncPath, "text/xml; charset=utf-8", bytes.NewReader(body))
		if err != nil {
			return []byte(err.Error())
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return b.Bytes()
	})
	outcomes := map[string]int{}
	var faults []*envelope.Fault
	for _, a := range answers {
		o, f := soapOutcome(a)
		outcomes[o]++
		if f != nil {
			faults = append(faults, f)
		}
	}
	if outcomes["accepted"] != 1 || outcomes[envelope.SCE022.ID] != copies-1 {
		t.Fatalf("%d copies of one message: %v, want 1 accepted and %d SCE022", copies, outcomes, copies-1)
	}
	if n := len(bed.Owner.Received()); n != 1 {
		t.Fatalf("the owner received the message %d times, want once", n)
	}
	replayRefused(t, bed.Journal, faults)
}

// R-61 on REST: the same request posted 40 times at once reaches the owner once.
func TestReplayRESTParallelCopiesAcceptedOnce(t *testing.T) {
	_, _, in := restGateway(t, false)
	body, err := json.Marshal(in.Request("S1", json.RawMessage(`"pay once"`)))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	outcomes := map[string]int{}
	parallel(copies, func() []byte {
		x := in.Send(context.Background(), in.Gateway, "application/json", body)
		code := "accepted"
		if x.Err != nil {
			code = x.Err.Error()
		} else if x.Status != http.StatusOK {
			var f gateway.RESTFault
			_ = json.Unmarshal(x.Response, &f)
			code = f.Error.ErrorCode
			if f.Error.Rule != "R-61" {
				code += " citing " + f.Error.Rule
			}
		}
		mu.Lock()
		outcomes[code]++
		mu.Unlock()
		return nil
	})
	if outcomes["accepted"] != 1 || outcomes[envelope.SCE022.ID] != copies-1 {
		t.Fatalf("%d copies of one REST request: %v, want 1 accepted and %d SCE022 citing R-61", copies, outcomes, copies-1)
	}
}

// R-61 on the asynchronous channel, where the gateway assigns the messageId: the same signed
// sendMessage posted three times at once is stored and delivered once; the two copies are refused
// with SCE022, and so is the same message signed again (a client retrying after a lost answer),
// whose fault names the messageId the message was accepted under.
func TestReplayAsyncSendMessageStoredOnce(t *testing.T) {
	r, _ := newSignedAsyncRig(t, true)
	ctx := context.Background()
	m := r.initiator.Message(asyncService, envelope.TypeRequest, "", envelope.StringData("pay once"))
	unsigned, err := envelope.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	body, err := r.initiator.Sign(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	answers := parallel(3, func() []byte { return r.initiator.Post(ctx, body).Response })
	var accepted []string
	var faults []*envelope.Fault
	for _, a := range answers {
		o, f := soapOutcome(a)
		switch {
		case o == "accepted":
			var answer envelope.AsyncSendMessageAnswer
			if m, err := envelope.Parse(a); err != nil || m.Decode(&answer) != nil {
				t.Fatalf("answer %s", a)
			}
			accepted = append(accepted, answer.Response.MessageID)
		case f != nil:
			faults = append(faults, f)
		default:
			t.Fatalf("answer %s: %.300s", o, a)
		}
	}
	if len(accepted) != 1 || len(faults) != 2 {
		t.Fatalf("3 copies of one sendMessage: accepted as %v, %d faults; want accepted once", accepted, len(faults))
	}
	resigned, err := r.initiator.Sign(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	again := r.initiator.Post(ctx, resigned)
	if again.Fault == nil || !strings.Contains(again.Fault.Detail.ErrorData, accepted[0]) {
		t.Fatalf("the message signed again was not refused naming messageId %s: %+v %v", accepted[0], again.Fault, again.Err)
	}
	replayRefused(t, r.journal, append(faults, again.Fault))
	r.valid(t, "replay fault", again.Response)

	eventually(t, "delivery", func() bool { return r.state(t, r.initiator, accepted[0]) == envelope.Delivered })
	time.Sleep(300 * time.Millisecond) // a second delivery, if any, shows itself
	if n := len(r.owner.Received()); n != 1 {
		t.Fatalf("the owner received the message %d times, want once", n)
	}
	if counts, err := r.store.Count(ctx); err != nil || counts[store.Delivered]+counts[store.OnDelivery] != 1 {
		t.Fatalf("store holds %v (%v), want one message", counts, err)
	}

	// A new message with the same business data is a new message: its messageDate differs.
	time.Sleep(2 * time.Millisecond)
	if id := r.request(t, "pay once").MessageID; id == accepted[0] {
		t.Fatalf("a new message got the messageId %s of the first", id)
	}
}

// R-61 for delivery notifications: a captured MESSAGE_NOT_ACCTEPTED/RESEND replayed after the
// recipient confirmed the message is refused, and the message stays delivered. A recipient that
// asks RESEND twice, with two notifications of its own, is not refused.
func TestReplayDeliveryNotificationRefused(t *testing.T) {
	r := newAsyncRig(t, false)
	ctx := context.Background()
	sent := r.request(t, "m")
	id := sent.MessageID

	resend := r.owner.Notify(ctx, id, asyncService, envelope.MessageNotAccepted, envelope.Resend)
	if resend.Fault != nil || resend.Err != nil {
		t.Fatalf("RESEND refused: %+v %v", resend.Fault, resend.Err)
	}
	time.Sleep(2 * time.Millisecond)
	if x := r.owner.Notify(ctx, id, asyncService, envelope.MessageNotAccepted, envelope.Resend); x.Fault != nil || x.Err != nil {
		t.Fatalf("a second RESEND of the recipient's own was refused: %+v %v", x.Fault, x.Err)
	}
	if x := r.owner.Notify(ctx, id, asyncService, envelope.MessageAccepted, envelope.NotResend); x.Fault != nil || x.Err != nil {
		t.Fatalf("MESSAGE_ACCEPTED refused: %+v %v", x.Fault, x.Err)
	}

	replayed := r.owner.Post(ctx, resend.Request)
	if replayed.Fault == nil {
		t.Fatalf("the replayed RESEND was accepted (HTTP %d); the message is now %s", replayed.Status, r.state(t, r.initiator, id))
	}
	replayRefused(t, r.journal, []*envelope.Fault{replayed.Fault})
	r.valid(t, "replay fault", replayed.Response)
	if s := r.state(t, r.initiator, id); s != envelope.Delivered {
		t.Fatalf("after the replay the message is %s, want %s", s, envelope.Delivered)
	}
	if msgs, _ := r.owner.Get(ctx, r.owner.Selection(asyncService, "", "", nil)); len(msgs) != 0 {
		t.Fatalf("after the replay the message is handed out again: %d", len(msgs))
	}
}
