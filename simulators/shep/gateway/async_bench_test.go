package gateway_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
)

// BenchmarkAsyncAcceptance sends messages into the asynchronous channel over real HTTP, each stored
// durably (SQLite, synchronous=FULL) before its answer, and reports accepted messages per second and
// the acceptance time (receipt to acceptance, R-47) as the journal measured it.
func BenchmarkAsyncAcceptance(b *testing.B) { benchAcceptance(b, newAsyncRig(b, false)) }

// BenchmarkAsyncAcceptanceSigned is BenchmarkAsyncAcceptance with transport signatures: the
// initiator signs, the gateway verifies the signature and asks the NCA's OCSP responder about the
// certificate before acceptance, and signs its answer.
func BenchmarkAsyncAcceptanceSigned(b *testing.B) {
	r, _ := newSignedAsyncRig(b, false)
	benchAcceptance(b, r)
}

func benchAcceptance(b *testing.B, r *asyncRig) {
	ctx := context.Background()
	msg := r.initiator.Message(asyncService, envelope.TypeRequest, "", envelope.StringData("<q>benchmark</q>"))
	sessions := make([]string, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		var answer envelope.AsyncSendMessageAnswer
		if err := r.initiator.Send(ctx, msg).Decode(&answer); err != nil {
			b.Fatal(err)
		}
		sessions = append(sessions, answer.Response.SessionID)
	}
	elapsed := time.Since(start)
	b.StopTimer()
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
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "accepted/s")
	b.ReportMetric(pct(0.5), "p50-accept-ms")
	b.ReportMetric(pct(0.95), "p95-accept-ms")
	b.ReportMetric(pct(0.99), "p99-accept-ms")
}
