package xsig_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
)

// countingTransport counts the requests a Checker makes, by path.
type countingTransport struct{ ocsp, crl atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, nca.OCSPPath) {
		c.ocsp.Add(1)
	} else {
		c.crl.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (p *testPKI) countingChecker(now func() time.Time) (*xsig.Checker, *countingTransport) {
	tr := &countingTransport{}
	return &xsig.Checker{Roots: p.ca.Roots(), Intermediates: p.ca.Intermediates(), Now: now,
		HTTP: &http.Client{Transport: tr, Timeout: 10 * time.Second}}, tr
}

// what the NCA's OCSP responder answers is its word on the certificate. An answer that is
// not a usable "good" is refused; the CRL stands in only for a responder that cannot be reached
// or answers with an error, not for one that answers.
func TestOCSPAnswersThatAreRefused(t *testing.T) {
	p := newPKI(t)
	cases := []struct {
		name   string
		answer nca.OCSPAnswer
		detail string
	}{
		{"unknown", nca.OCSPUnknown, "the NCA's OCSP responder does not know this certificate"},
		{"stale", nca.OCSPStale, "nextUpdate"},
		{"another nonce", nca.OCSPWrongNonce, "another nonce"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := p.system(t, pki.RSA2048)
			p.ca.SetOCSPAnswer(id.Certificate, c.answer)
			checker, tr := p.countingChecker(nil)
			st, err := checker.Check(context.Background(), id.Certificate)
			if xsig.ProblemOf(err) != xsig.StatusUnknown || !strings.Contains(err.Error(), c.detail) {
				t.Fatalf("got %v (revocation %q), want %q saying %q", err, st.Revocation, xsig.StatusUnknown, c.detail)
			}
			if e := err.(*xsig.Error); e.Rule != "R-58" {
				t.Errorf("cites %s, want R-58", e.Rule)
			}
			if !strings.HasPrefix(st.Revocation, "OCSP") || tr.crl.Load() != 0 {
				t.Errorf("revocation %q after %d CRL downloads: the answer of OCSP decides, the CRL is not asked", st.Revocation, tr.crl.Load())
			}
			// A refused answer is not kept: the next check asks again.
			p.ca.SetOCSPAnswer(id.Certificate, nca.OCSPHonest)
			if _, err := checker.Check(context.Background(), id.Certificate); err != nil || tr.ocsp.Load() != 2 {
				t.Fatalf("after the responder answers honestly: %v, %d OCSP requests, want none and 2", err, tr.ocsp.Load())
			}
		})
	}
}

// RFC 8954 lets a responder ignore the nonce (pre-produced answers): such an answer is accepted
// when fresh by its own dates, the only freshness it then has.
func TestOCSPAnswerWithoutNonceIsAcceptedWhenFresh(t *testing.T) {
	p := newPKI(t)
	id := p.system(t, pki.ECDSAP256)
	p.ca.SetOCSPAnswer(id.Certificate, nca.OCSPNoNonce)
	st, err := p.checker.Check(context.Background(), id.Certificate)
	if err != nil || !strings.HasPrefix(st.Revocation, "OCSP: good") || !strings.Contains(st.Revocation, "no nonce") {
		t.Fatalf("%v, revocation %q", err, st.Revocation)
	}
}

// An answer dated ahead of the relying party's clock by more than the skew allowed is refused:
// it was made for a later time, or the clocks disagree too much to judge its freshness.
func TestOCSPAnswerFromTheFutureIsRefused(t *testing.T) {
	p := newPKI(t)
	id := p.system(t, pki.RSA2048)
	checker, _ := p.countingChecker(func() time.Time { return time.Now().Add(-xsig.RevocationClockSkew - 5*time.Minute) })
	_, err := checker.Check(context.Background(), id.Certificate)
	if xsig.ProblemOf(err) != xsig.StatusUnknown || !strings.Contains(err.Error(), "thisUpdate") {
		t.Fatalf("got %v, want %q about thisUpdate", err, xsig.StatusUnknown)
	}
	// Within the skew, it is accepted.
	checker, _ = p.countingChecker(func() time.Time { return time.Now().Add(-2 * time.Minute) })
	if _, err := checker.Check(context.Background(), id.Certificate); err != nil {
		t.Fatal(err)
	}
}

// With OCSP down, the CRL decides, and only while it is current: one past its nextUpdate is refused.
func TestRevocationStaleCRLIsRefused(t *testing.T) {
	p := newPKI(t)
	id := p.system(t, pki.RSA2048)
	p.ca.SetOCSPAvailable(false)
	defer p.ca.SetOCSPAvailable(true)
	later, _ := p.countingChecker(func() time.Time { return time.Now().Add(2 * time.Hour) })
	st, err := later.Check(context.Background(), id.Certificate)
	if xsig.ProblemOf(err) != xsig.StatusUnknown || !strings.Contains(err.Error(), "nextUpdate") {
		t.Fatalf("got %v (revocation %q), want %q about the CRL's nextUpdate", err, st.Revocation, xsig.StatusUnknown)
	}
	now, _ := p.countingChecker(nil)
	if st, err := now.Check(context.Background(), id.Certificate); err != nil || !strings.HasPrefix(st.Revocation, "CRL: not listed") {
		t.Fatalf("current CRL: %v %q", err, st.Revocation)
	}
}

// An OCSP answer serves every check of the certificate until its nextUpdate, never after: within
// it a revocation is not seen (the NCA vouched for the certificate until then), past it the
// checker asks again.
func TestOCSPCacheUntilNextUpdate(t *testing.T) {
	p := newPKI(t)
	id := p.system(t, pki.RSA2048)
	var mu sync.Mutex
	offset := time.Duration(0)
	checker, tr := p.countingChecker(func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(offset) })
	ctx := context.Background()
	for i := range 3 {
		st, err := checker.Check(ctx, id.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && st.Revocation != "OCSP: good" { // asked, with the nonce echoed
			t.Fatalf("first check: %q", st.Revocation)
		}
	}
	if n := tr.ocsp.Load(); n != 1 {
		t.Fatalf("%d OCSP requests for three checks of one certificate, want 1", n)
	}
	if err := p.ca.Revoke(id.Certificate); err != nil {
		t.Fatal(err)
	}
	st, err := checker.Check(ctx, id.Certificate)
	if err != nil || !strings.Contains(st.Revocation, "cached") {
		t.Fatalf("within nextUpdate: %v %q, want the cached good answer", err, st.Revocation)
	}
	mu.Lock()
	offset = nca.OCSPLifetime
	mu.Unlock()
	st, err = checker.Check(ctx, id.Certificate)
	if err == nil || tr.ocsp.Load() != 2 {
		t.Fatalf("past nextUpdate: %v %q after %d OCSP requests, want a refusal after asking again", err, st.Revocation, tr.ocsp.Load())
	}
}

// Checks of many certificates from many goroutines share the cache safely (run with -race).
func TestOCSPCacheConcurrentChecks(t *testing.T) {
	p := newPKI(t)
	checker, tr := p.countingChecker(nil)
	ids := []*pki.Identity{p.system(t, pki.ECDSAP256), p.system(t, pki.ECDSAP256), p.system(t, pki.ECDSAP256)}
	var wg sync.WaitGroup
	for g := range 12 {
		wg.Go(func() {
			for i := range 20 {
				if _, err := checker.Check(context.Background(), ids[(g+i)%len(ids)].Certificate); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := tr.ocsp.Load(); n > 12*int64(len(ids)) {
		t.Errorf("%d OCSP requests for 240 checks of 3 certificates", n)
	}
}

// The cost of one certificate check, with the OCSP answer cached and without: the round trip to
// the responder is most of it.
func BenchmarkCheckCertificate(b *testing.B) {
	p := newPKI(b)
	id := p.system(b, pki.RSA2048)
	ctx := context.Background()
	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			fresh := &xsig.Checker{Roots: p.checker.Roots, Intermediates: p.checker.Intermediates, HTTP: p.checker.HTTP}
			if _, err := fresh.Check(ctx, id.Certificate); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.checker.Check(ctx, id.Certificate); err != nil {
				b.Fatal(err)
			}
		}
	})
}
