package load

import (
	"testing"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// BenchmarkGenerator is the rate at which the load makes fresh signed SendMessage requests on all
// cores (envelopes/s), from a template (what a load sends) and, for comparison, built and signed
// whole by xsig.Sign each time (what it sent before). With ECDSA P-256 the template must keep well
// above 2,000 requests/s on a two-core machine, so that the generator never bounds a load.
func BenchmarkGenerator(b *testing.B) {
	for _, k := range []pki.KeyType{pki.ECDSAP256, pki.RSA2048, pki.GOST2004} {
		in := &owner.Initiator{SystemID: "LOAD_INITIATOR", Password: "secret", Gateway: "http://127.0.0.1:1", Identity: identity(b, k)}
		whole := func() ([]byte, error) {
			body, err := envelope.Marshal(in.Request("LOAD_SERVICE", envelope.StringData("load")))
			if err != nil {
				return nil, err
			}
			return in.Sign(body)
		}
		for _, g := range []struct {
			name string
			next func() ([]byte, error)
		}{{"template", SyncTarget(in, "LOAD_SERVICE", nil).Envelope}, {"xsig.Sign", whole}} {
			b.Run(g.name+"/"+k.String(), func(b *testing.B) {
				if _, err := g.next(); err != nil { // prepares the template
					b.Fatal(err)
				}
				b.ResetTimer()
				cpu := processCPU(b)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := g.next(); err != nil {
							b.Error(err)
							return
						}
					}
				})
				reportRate(b, "envelope", cpu)
			})
		}
	}
}
