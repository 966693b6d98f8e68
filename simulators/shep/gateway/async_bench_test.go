package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
)

// benchClients are the numbers of initiators sending at once: one alone measures the time of one
// acceptance, many measure what the channel accepts under load, where concurrent messages share
// the store's commits (one fsync for many, see sqlitedb.Committer).
var benchClients = []int{1, 16}

// BenchmarkAsyncAcceptance sends messages into the asynchronous channel over real HTTP, each stored
// durably (SQLite, synchronous=FULL: store.Open, TestOpenStoresDurably) before its answer, and
// reports accepted messages per second and the acceptance time (receipt to acceptance, R-47) as
// the journal measured it.
func BenchmarkAsyncAcceptance(b *testing.B) {
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			benchAcceptance(b, newAsyncRig(b, false), clients)
		})
	}
}

// BenchmarkAsyncAcceptanceSigned is BenchmarkAsyncAcceptance with transport signatures: the
// initiator signs, the gateway verifies the signature and asks the NCA's OCSP responder about the
// certificate before acceptance, and signs its answer.
func BenchmarkAsyncAcceptanceSigned(b *testing.B) {
	for _, clients := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			r, _ := newSignedAsyncRig(b, false)
			benchAcceptance(b, r, clients)
		})
	}
}

func benchAcceptance(b *testing.B, r *asyncRig, clients int) {
	ctx := context.Background()
	// One kept-alive connection per client, as real initiators hold them.
	r.initiator.HTTP = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	sessions := make([]string, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				// every message differs in content, or the gateway refuses it as a replay.
				m := r.initiator.Message(asyncService, envelope.TypeRequest, "", envelope.StringData(fmt.Sprintf("<q>benchmark %d</q>", i)))
				var answer envelope.AsyncSendMessageAnswer
				if err := r.initiator.Send(ctx, m).Decode(&answer); err != nil {
					b.Error(err)
					return
				}
				sessions[i] = answer.Response.SessionID
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if b.Failed() {
		return
	}
	var times []time.Duration
	for _, s := range sessions {
		x, err := r.journal.Exchange(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, x.AcceptanceTime())
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	pct := func(p float64) float64 { return float64(times[int(p*float64(len(times)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(pct(0.5), "p50-accept-ms")
	b.ReportMetric(pct(0.95), "p95-accept-ms")
	b.ReportMetric(pct(0.99), "p99-accept-ms")
}
