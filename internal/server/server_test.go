package server_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/server"
)

// Close is a graceful shutdown: a request in flight when it is called is finished and answered
// (shepconf serve calls it on SIGTERM), and no new connection is taken afterwards.
func TestCloseFinishesRequestsInFlight(t *testing.T) {
	started := make(chan struct{})
	srv, err := server.Start("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "finished")
	}))
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   string
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := http.Get(srv.URL())
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- answer{resp.StatusCode, string(b), err}
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	a := <-done
	if a.err != nil || a.status != http.StatusOK || a.body != "finished" {
		t.Fatalf("the request in flight was not finished: %+v", a)
	}
	if _, err := http.Get(srv.URL()); err == nil {
		t.Fatal("a closed server still takes requests")
	}
}
