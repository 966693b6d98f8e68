package sed

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/simulators/smdo/router"
)

// sentAckTypes are the ack_type of the acknowledgements subscriber id got through to the router
// (routed or delivered), oldest first: a refused attempt left as a draft does not count.
func (w *world) sentAckTypes(id string) []int {
	var types []int
	for _, a := range w.acksFrom(id) {
		p, env := w.bodyOf(a)
		if p.State == router.StateRouted || p.State == router.StateDelivered {
			types = append(types, env.Body.Acknowledgement.AckType)
		}
	}
	return types
}

// idsOf are the package ids of what a pass took.
func idsOf(ins []Incoming) []string {
	ids := make([]string, len(ins))
	for i, in := range ins {
		ids[i] = in.PackageID
	}
	return ids
}

// confirmed says whether the receiver confirmed the package (SMDO-CONFIRM).
func (w *world) confirmed(packageID string) bool {
	p, ok := w.router.Package(packageID)
	return ok && len(p.Deliveries) == 1 && !p.Deliveries[0].Confirmed.IsZero()
}

// SMDO-ACK, SMDO-CONFIRM: a notice the router answers negatively is not lost. The package stays
// unconfirmed, so the router offers it again, and the next pass sends what is missing: each notice
// once, the delivery notice first, and only then confirms.
func TestNoticeSurvivesRefusal(t *testing.T) {
	cases := []struct {
		name  string
		stage router.Stage
		// inRegister refuses the registration notice, after the delivery notice went out.
		inRegister bool
		firstPass  []int // the notices through after the refused pass
	}{
		{"delivery notice not created", router.StageCreate, false, nil},
		{"delivery notice not sent", router.StageSend, false, nil},
		{"registration notice not sent", router.StageSend, true, []int{AckDelivery}},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			w := newWorld(t)
			cfg := w.config(w.agency)
			registrations := 0
			cfg.Register = func(Incoming) (int, string) {
				registrations++
				if k.inRegister && registrations == 1 {
					w.router.RefuseNext(w.agency.ID, k.stage, 1)
				}
				return AckRegistered, ""
			}
			if !k.inRegister {
				w.router.RefuseNext(w.agency.ID, k.stage, 1)
			}
			agency, ministry := New(cfg), New(w.config(w.ministry))
			o := letter(w.agency)
			o.AskAck = true
			id, _ := post(t, ministry, o)

			first, err := agency.ReceiveOnce(within(t, 5*time.Second))
			if err == nil || slices.ContainsFunc(first, func(in Incoming) bool { return in.PackageID == id }) {
				t.Fatalf("refused pass: took %v, error %v; want the package left for the next pass", idsOf(first), err)
			}
			if w.confirmed(id) {
				t.Fatal("the package was confirmed although its notices did not all go out")
			}
			if got := w.sentAckTypes(w.agency.ID); !slices.Equal(got, k.firstPass) {
				t.Fatalf("after the refused pass the notices %v went out, want %v", got, k.firstPass)
			}

			again, err := agency.ReceiveOnce(within(t, 5*time.Second))
			if err != nil || len(again) != 1 || again[0].PackageID != id || !again[0].Confirmed {
				t.Fatalf("next pass: took %v, %v", idsOf(again), err)
			}
			if got := w.sentAckTypes(w.agency.ID); !slices.Equal(got, []int{AckDelivery, AckRegistration}) {
				t.Errorf("notices %v went out, want each once: %v", got, []int{AckDelivery, AckRegistration})
			}
			if !w.confirmed(id) || registrations != 1 {
				t.Errorf("confirmed %v, registered %d times; want confirmed, registered once", w.confirmed(id), registrations)
			}
		})
	}
}

// A file larger than the client reads of an answer is not cut short and taken: the pass fails and
// the package stays unconfirmed, offered again.
func TestDownloadOverLimitNotConfirmed(t *testing.T) {
	w := newWorld(t)
	agency, ministry := New(w.config(w.agency)), New(w.config(w.ministry))
	// The limit lets the token and the list through, not the file.
	agency.maxReply = 16 << 10
	id, _ := post(t, ministry, Outgoing{To: []Party{w.agency}, Files: []File{{Name: "большой.txt", Data: bytes.Repeat([]byte("x"), 64<<10)}}})
	got, err := agency.ReceiveOnce(within(t, 5*time.Second))
	if err == nil || !strings.Contains(err.Error(), "longer than the 16384 bytes") || len(got) != 0 {
		t.Fatalf("took %v, %v; want an error naming the limit of 16384 bytes", idsOf(got), err)
	}
	if w.confirmed(id) {
		t.Error("a package whose file was cut short was confirmed")
	}
}

// cutting is the router behind a network that cuts every downloaded file to its first half (a
// proxy that drops the end of a body whose length it rewrites) and notes the Accept header of
// each download.
type cutting struct {
	router  http.Handler
	mu      sync.Mutex
	accepts []string
}

func (c *cutting) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/attach/") {
		c.router.ServeHTTP(w, req)
		return
	}
	c.mu.Lock()
	c.accepts = append(c.accepts, req.Header.Get("Accept"))
	c.mu.Unlock()
	rec := httptest.NewRecorder()
	c.router.ServeHTTP(rec, req)
	for k, v := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(rec.Code)
	b := rec.Body.Bytes()
	_, _ = w.Write(b[:len(b)/2])
}

// A downloaded file shorter than the size the list gives is not whole: the pass fails and the
// package stays unconfirmed. Downloads ask for the file's bytes, not for JSON.
func TestDownloadShorterThanListedNotConfirmed(t *testing.T) {
	w := newWorld(t)
	ministry := New(w.config(w.ministry))
	id, _ := post(t, ministry, letter(w.agency))

	proxy := &cutting{router: w.router}
	srv := httptest.NewTLSServer(proxy)
	t.Cleanup(srv.Close)
	cfg := w.config(w.agency)
	cfg.RouterURL, cfg.HTTPClient = srv.URL+"/", srv.Client()
	got, err := New(cfg).ReceiveOnce(within(t, 5*time.Second))
	if err == nil || !strings.Contains(err.Error(), "size") || len(got) != 0 {
		t.Fatalf("took %v, %v; want an error naming the listed size", idsOf(got), err)
	}
	if w.confirmed(id) {
		t.Error("a package whose file came short of its listed size was confirmed")
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	if len(proxy.accepts) == 0 {
		t.Fatal("no download reached the router")
	}
	for _, a := range proxy.accepts {
		if !strings.HasPrefix(a, "application/octet-stream") {
			t.Errorf("download Accept %q, want application/octet-stream first", a)
		}
	}
}

// The receiving thread runs on its period whatever a pass met (SMDO-POLL, SMDO-ACK): a pass whose
// notice the router refuses does not end Run, and the next pass sends the notice and confirms.
func TestRunGoesOnAfterAFailedPass(t *testing.T) {
	w := newWorld(t)
	agency, ministry := New(w.config(w.agency)), New(w.config(w.ministry))
	o := letter(w.agency)
	o.AskAck = true
	id, _ := post(t, ministry, o)
	w.router.RefuseNext(w.agency.ID, router.StageCreate, 1)

	took, _ := agency.Run(within(t, 20*testPoll))
	if !slices.Contains(idsOf(took), id) || !w.confirmed(id) {
		t.Fatalf("Run took %v and confirmed %v; want the letter %s taken on a later pass", idsOf(took), w.confirmed(id), id)
	}
	if got := w.sentAckTypes(w.agency.ID); !slices.Equal(got, []int{AckDelivery, AckRegistration}) {
		t.Errorf("notices through %v, want the delivery then the registration notice", got)
	}
}
