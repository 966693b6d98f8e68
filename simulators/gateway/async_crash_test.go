package gateway_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/store"
	"github.com/shepconf/shepconf/simulators/gateway"
	"github.com/shepconf/shepconf/simulators/owner"
)

// The crash test runs the gateway as a real child process: the test binary starts itself with these
// variables set, and TestMain then serves a gateway instead of running tests.
const (
	childAddr = "SHEPCONF_TEST_GATEWAY_ADDR"
	childDB   = "SHEPCONF_TEST_GATEWAY_DB"
	childPush = "SHEPCONF_TEST_GATEWAY_PUSH"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(childAddr); addr != "" {
		if err := runGatewayProcess(addr, os.Getenv(childDB), os.Getenv(childPush)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		select {} // serve until killed
	}
	os.Exit(m.Run())
}

func runGatewayProcess(addr, db, push string) error {
	j, err := journal.Open(db + ".journal")
	if err != nil {
		return err
	}
	st, err := store.Open(db)
	if err != nil {
		return err
	}
	gw, err := gateway.New(asyncRegistry(), j)
	if err != nil {
		return err
	}
	a, err := gw.EnableAsync(st, gateway.WithRetry(20*time.Millisecond, 200*time.Millisecond, 1000))
	if err != nil {
		return err
	}
	a.RegisterPush("IS-OWNER", push)
	_, err = server.Start(addr, gw.Handler())
	return err
}

type gatewayProcess struct{ cmd *exec.Cmd }

func startGatewayProcess(t *testing.T, addr, db, push string) *gatewayProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childAddr+"="+addr, childDB+"="+db, childPush+"="+push)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &gatewayProcess{cmd: cmd}
	t.Cleanup(p.kill)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return p
		}
	}
	t.Fatal("the gateway process did not start listening")
	return nil
}

// kill ends the process with SIGKILL: no deferred function, no shutdown, no flush runs.
func (p *gatewayProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

// A2-T2: a gateway process killed in the middle of delivery loses no accepted message
// and, once restarted, pushes none again to a recipient whose acknowledgement it recorded.
func TestAsyncSurvivesSIGKILLMidDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts gateway processes")
	}
	const total = 200
	db := filepath.Join(t.TempDir(), "messages.sqlite")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	recipient := owner.NewParticipant("IS-OWNER", "pw-o", "")
	recipient.Behave(owner.AsyncBehaviour{Latency: 10 * time.Millisecond}) // slow enough to be caught mid-delivery
	rsrv, err := server.Start("127.0.0.1:0", recipient)
	if err != nil {
		t.Fatal(err)
	}
	defer rsrv.Close(context.Background())

	first := startGatewayProcess(t, addr, db, rsrv.URL())
	sender := owner.NewParticipant("IS-INIT", "pw-i", "http://"+addr)
	sender.HTTP = &http.Client{Timeout: 5 * time.Second}

	var mu sync.Mutex
	accepted := map[string]bool{}
	sendAll := func(n int) {
		for sent := 0; sent < n; {
			x := sender.Send(context.Background(), sender.Message(asyncService, envelope.TypeRequest, "", envelope.StringData(fmt.Sprint(sent))))
			var answer envelope.AsyncSendMessageAnswer
			if err := x.Decode(&answer); err != nil {
				time.Sleep(20 * time.Millisecond) // the gateway is down: not accepted, send again
				continue
			}
			mu.Lock()
			accepted[answer.Response.MessageID] = true
			mu.Unlock()
			sent++
		}
	}
	taken := func() map[string]int {
		out := map[string]int{}
		for _, r := range recipient.Received() {
			if r.Answered {
				out[r.Message.MessageInfo.MessageID]++
			}
		}
		return out
	}

	done := make(chan struct{})
	go func() { sendAll(total); close(done) }()
	eventually(t, "deliveries under way", func() bool { return len(taken()) >= 40 })
	first.kill() // SIGKILL while messages are being accepted and pushed
	killedAt := time.Now()
	second := startGatewayProcess(t, addr, db, rsrv.URL())
	<-done

	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && len(taken()) < len(accepted) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let a stray duplicate show itself
	second.kill()

	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := taken()
	lost, duplicated, redelivered := 0, 0, 0
	ctx := context.Background()
	for id := range accepted {
		if got[id] == 0 {
			lost++
			continue
		}
		if got[id] > 1 {
			redelivered++
		}
		m, err := st.Get(ctx, id)
		if err != nil {
			t.Fatalf("accepted message %s is not in the store: %v", id, err)
		}
		if m.State != store.Delivered {
			t.Errorf("message %s taken but in state %s", id, m.State)
		}
	}
	// A duplicate is a push that reached the recipient after the gateway had recorded its acknowledgement.
	for _, r := range recipient.Received() {
		if m, err := st.Get(ctx, r.Message.MessageInfo.MessageID); err == nil && m.State == store.Delivered && r.At.After(m.StatusDate) {
			duplicated++
		}
	}
	t.Logf("accepted %d, taken %d distinct, killed at %s; lost %d, duplicated after acknowledgement %d, pushed again because the kill came before the acknowledgement was recorded %d",
		len(accepted), len(got), killedAt.Format("15:04:05.000"), lost, duplicated, redelivered)
	if len(accepted) != total || lost != 0 || duplicated != 0 {
		t.Fatalf("accepted %d of %d, lost %d, duplicated %d", len(accepted), total, lost, duplicated)
	}
}
