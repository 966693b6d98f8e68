package load

import (
	"sync"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/pki"
)

// A slot is a value that is new in every request: its generator.
type slot func() string

// Slots of the requests a load sends.
var (
	messageIDSlot slot = uuid.NewString // every message has its own identifier
	sessionIDSlot slot = envelope.NewGUID
	dateSlot      slot = func() string { return dateText(envelope.Now()) }
)

func dateText(d envelope.DateTime) string {
	b, _ := d.MarshalText()
	return string(b)
}

// freshRequests makes one signed request per call. build writes the slots' values, in order, into
// an unsigned envelope; it is called once with samples, to prepare the Template every request is
// then made from (in parallel, by the attack's workers). Without an identity every request is built
// and sent unsigned.
func freshRequests(id *pki.Identity, build func(values []string) ([]byte, error), slots ...slot) func() ([]byte, error) {
	values := func() []string {
		v := make([]string, len(slots))
		for i, s := range slots {
			v[i] = s()
		}
		return v
	}
	if id == nil {
		return func() ([]byte, error) { return build(values()) }
	}
	var (
		once sync.Once
		t    *Template
		err  error
	)
	return func() ([]byte, error) {
		once.Do(func() {
			samples := values()
			var unsigned []byte
			if unsigned, err = build(samples); err == nil {
				t, err = NewTemplate(unsigned, id, samples...)
			}
		})
		if err != nil {
			return nil, err
		}
		return t.Fresh(values()...)
	}
}
