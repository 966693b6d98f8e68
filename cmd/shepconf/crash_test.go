package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// The journal loses nothing that was acknowledged (R-2.18, R-53(3)): serve is killed with SIGKILL
// under load, and every exchange whose answer (or fault) a client received is complete in the
// journal read afterwards: its acceptance or refusal and its outcome. The journal runs with
// synchronous=NORMAL (see journal.Open): a commit is in the WAL before the answer leaves, and the
// WAL survives the process.
func TestJournalSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts serve and drives load")
	}
	cfgPath, state := serveConfig(t)
	p := startServe(t, cfgPath, "OWNER_SYS")
	id, err := pki.LoadIdentity(filepath.Join(state, "systems", "INITIATOR_SYS", "cert.pem"), filepath.Join(state, "systems", "INITIATOR_SYS", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}

	// Eight clients send signed requests, one in four to a service that does not exist (a fault,
	// SCE004), and note the session of every answer they receive until the gateway dies.
	const clients, killAfter = 8, 150
	var (
		mu       sync.Mutex
		answered = map[string]string{} // session -> "answer" or the fault code
		n        atomic.Int64
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	hc := &http.Client{Timeout: 10 * time.Second}
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				service := "TEST_SERVICE_ID"
				if (c+i)%4 == 0 {
					service = "NO_SUCH_SERVICE"
				}
				in := &owner.Initiator{SystemID: "INITIATOR_SYS", Password: "init-secret", Gateway: p.gateway, Identity: id, HTTP: hc}
				body, err := envelope.Marshal(in.Request(service, envelope.StringData(fmt.Sprintf("<q>%d-%d</q>", c, i))))
				if err == nil {
					body, err = in.Sign(body)
				}
				if err != nil {
					t.Error(err)
					return
				}
				a, f, err := in.Send(context.Background(), body).Answer()
				switch {
				case err != nil: // no answer: the gateway died with this exchange in flight
					return
				case a != nil:
					mu.Lock()
					answered[a.Response.ResponseInfo.SessionID] = "answer"
					mu.Unlock()
				case f != nil:
					mu.Lock()
					answered[f.Detail.SessionID] = f.Detail.ErrorCode
					mu.Unlock()
				}
				n.Add(1)
			}
		}()
	}
	for deadline := time.Now().Add(2 * time.Minute); n.Load() < killAfter; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			close(stop)
			t.Fatalf("only %d answers in two minutes", n.Load())
		}
	}
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL, mid-load
		t.Fatal(err)
	}
	<-p.done
	close(stop)
	wg.Wait()

	j, err := journal.Open(filepath.Join(state, "journal.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	var answers, faults int
	for session, seen := range answered {
		if seen == "answer" {
			answers++
		} else {
			faults++
		}
		x, err := j.Exchange(ctx, session)
		if err != nil {
			t.Errorf("session %s (client saw %s): %v", session, seen, err)
			continue
		}
		var decided bool
		for _, e := range x.Events {
			decided = decided || e.Kind == journal.Accepted || e.Kind == journal.Rejected
		}
		want := journal.Answered
		if seen != "answer" {
			want = journal.Rejected
		}
		if !decided || x.Outcome != want || x.Received.IsZero() {
			t.Errorf("session %s: the client saw %s, the journal holds %d events, accepted or rejected %v, outcome %q (want %s)",
				session, seen, len(x.Events), decided, x.Outcome, want)
		}
	}
	if answers == 0 || faults == 0 {
		t.Fatalf("the load produced %d answers and %d faults, want both", answers, faults)
	}
	t.Logf("killed after %d answers and %d faults seen by clients; each is complete in the journal", answers, faults)
}
