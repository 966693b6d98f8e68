package sed

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"
)

// SMDO-CONFIRM, SMDO-ACK, SMDO-RECEIPT: between two systems, the receiver downloads the files,
// confirms, and answers a document asking for acknowledgement with a delivery then a registration
// notice; the sender takes the receipt and the registration.
func TestReceiveAndAcknowledge(t *testing.T) {
	cases := []struct {
		name string
		code int
	}{{"registered", AckRegistered}, {"refused", AckRefused}}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			w := newWorld(t)
			cfg := w.config(w.agency)
			var registered []string
			cfg.Register = func(in Incoming) (int, string) {
				registered = append(registered, in.IDNumber)
				return k.code, ""
			}
			agency, ministry := New(cfg), New(w.config(w.ministry))
			ctx := within(t, 10*time.Second)
			received := make(chan []Incoming, 1)
			runCtx, stop := contextWithCancel(ctx)
			go func() { got, _ := agency.Run(runCtx); received <- got }()
			o := letter(w.agency)
			o.AskAck = true
			s, err := ministry.Send(ctx, o)
			stop()
			got := <-received
			var rr *RegistrationRefusedError
			if (k.code != 0) != errors.As(err, &rr) || (k.code == 0 && err != nil) {
				t.Fatalf("send: %v", err)
			}
			if s.Receipt == nil || s.Registration == nil || s.Registration.ErrorCode != k.code || s.Registration.From != w.agency.ID {
				t.Fatalf("sent %+v registration %+v", s, s.Registration)
			}
			i := slices.IndexFunc(got, func(in Incoming) bool { return in.MsgID == s.MsgID })
			if i < 0 {
				t.Fatalf("the agency did not take the letter (took %d)", len(got))
			}
			in := got[i]
			for _, f := range o.Files {
				if !bytes.Equal(in.Files[f.Name], f.Data) {
					t.Errorf("file %s: received %q, want %q", f.Name, in.Files[f.Name], f.Data)
				}
			}
			if !in.Confirmed || in.IDNumber != s.IDNumber || in.Sender != w.ministry || !slices.Equal(registered, []string{s.IDNumber}) {
				t.Errorf("incoming %+v (registered %v)", in, registered)
			}
			if p, _ := w.router.Package(in.PackageID); len(p.Deliveries) != 1 || p.Deliveries[0].Confirmed.IsZero() {
				t.Errorf("deliveries %+v, want confirmed", p.Deliveries)
			}
			acks := w.acksFrom(w.agency.ID)
			if len(acks) != 2 {
				t.Fatalf("%d acknowledgements from the agency, want 2", len(acks))
			}
			for j, a := range acks {
				p, env := w.bodyOf(a)
				ack := env.Body.Acknowledgement
				if p.ParentID != in.PackageID || ack.MsgID != s.MsgID || ack.AckType != j+1 || len(p.Attachments) != 0 ||
					(p.State != "routed" && p.State != "delivered") || env.Header.MsgType != 0 {
					t.Errorf("acknowledgement %d: parentId %q state %q %+v", j+1, p.ParentID, p.State, ack)
				}
			}
		})
	}
}

// acksFrom are the ids of the acknowledgement packets a subscriber sent, oldest first.
func (w *world) acksFrom(id string) []string {
	var out []string
	for _, p := range w.router.Packages() {
		if p.From == id && p.MsgType == 0 && !p.Router {
			out = append(out, p.ID)
		}
	}
	return out
}

// SMDO-ACK: the no-ack defect takes and confirms the document but sends no notice.
func TestNoAck(t *testing.T) {
	w := newWorld(t)
	agency, ministry := New(w.config(w.agency, DefectNoAck)), New(w.config(w.ministry))
	o := letter(w.agency)
	o.AskAck = true
	post(t, ministry, o)
	got, err := agency.ReceiveOnce(within(t, 5*time.Second))
	if err != nil || len(got) != 1 || !got[0].Confirmed || got[0].MsgAcknow != 2 {
		t.Fatalf("received %+v, %v", got, err)
	}
	if acks := w.acksFrom(w.agency.ID); len(acks) != 0 {
		t.Errorf("%d acknowledgements with %s", len(acks), DefectNoAck)
	}
}

// SMDO-CONFIRM: a confirmed package leaves the list; the no-confirm defect never confirms, so the
// router offers it again.
func TestConfirm(t *testing.T) {
	for _, defects := range [][]string{nil, {DefectNoConfirm}} {
		confirming := len(defects) == 0
		t.Run(map[bool]string{true: "confirms", false: DefectNoConfirm}[confirming], func(t *testing.T) {
			w := newWorld(t)
			agency, ministry := New(w.config(w.agency, defects...)), New(w.config(w.ministry))
			id, _ := post(t, ministry, letter(w.agency))
			first, err := agency.ReceiveOnce(within(t, 5*time.Second))
			if err != nil || len(first) != 1 || first[0].PackageID != id || first[0].Confirmed != confirming {
				t.Fatalf("first pass %+v, %v", first, err)
			}
			again, err := agency.ReceiveOnce(within(t, 5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if offered := len(again) == 1 && again[0].PackageID == id; offered == confirming {
				t.Errorf("second pass took %d packages (confirming %v)", len(again), confirming)
			}
			if n := len(w.requests(w.agency.ID, "confirm", "confirm-batch")); (n > 0) != confirming {
				t.Errorf("%d confirmations (confirming %v)", n, confirming)
			}
		})
	}
}

// A pass reads every page of the list before it confirms: 101 packages come on two pages of 100.
func TestReceiveEveryPage(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(w.ministry, DefectFastRestart)
	ministry, agency := New(cfg), New(w.config(w.agency))
	const n = 101
	for i := range n {
		post(t, ministry, Outgoing{To: []Party{w.agency}, Title: "Письмо", Files: []File{{Name: "п.txt", Data: []byte{byte(i)}}}})
	}
	got, err := agency.ReceiveOnce(within(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, in := range got {
		if in.Confirmed {
			ids[in.PackageID] = true
		}
	}
	if len(ids) != n {
		t.Errorf("took and confirmed %d distinct packages, want %d", len(ids), n)
	}
	if lists := w.requests(w.agency.ID, "list"); len(lists) != 2 {
		t.Errorf("%d list calls, want 2 pages", len(lists))
	}
}

// SMDO-POLL: the receiving thread lists its packages every PollInterval and not more often; the
// poll-fast defect polls ten times as often.
func TestRunPollInterval(t *testing.T) {
	const run = 12 * testPoll
	counts := map[bool]int{}
	for _, fast := range []bool{false, true} {
		w := newWorld(t)
		var defects []string
		if fast {
			defects = []string{DefectPollFast}
		}
		ctx, stop := contextWithCancel(within(t, 10*time.Second))
		time.AfterFunc(run, stop)
		if _, err := New(w.config(w.agency, defects...)).Run(ctx); err != nil {
			t.Fatal(err)
		}
		lists := w.requests(w.agency.ID, "list")
		counts[fast] = len(lists)
		if fast {
			continue
		}
		for i := 1; i < len(lists); i++ {
			// As the router sees them: the arrivals, whatever the network's delay.
			if gap := lists[i].At.Sub(lists[i-1].At); gap < testPoll {
				t.Errorf("passes %d and %d are %s apart, want at least %s", i-1, i, gap, testPoll)
			}
		}
	}
	if counts[false] < 8 || counts[false] > 14 {
		t.Errorf("%d passes in %s at %s, want about 12", counts[false], run, testPoll)
	}
	if counts[true] < 4*counts[false] {
		t.Errorf("%s made %d passes against %d: want about ten times as many", DefectPollFast, counts[true], counts[false])
	}
}
