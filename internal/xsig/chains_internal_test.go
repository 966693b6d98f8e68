package xsig

import (
	"crypto/x509"
	"testing"
	"time"
)

// A chain verified once is reused only under the same trust anchors and while every certificate
// in it, the NCA's own included, is within its validity period (R-58 2).
func TestChainCacheReusesOnlyWhatStillHolds(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	leaf := &x509.Certificate{Raw: []byte("leaf"), NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(1, 0, 0)}
	intermediate := &x509.Certificate{Raw: []byte("intermediate"), NotBefore: now.AddDate(-2, 0, 0), NotAfter: now.AddDate(0, 1, 0)}
	root := &x509.Certificate{Raw: []byte("root"), NotBefore: now.AddDate(-5, 0, 0), NotAfter: now.AddDate(5, 0, 0)}
	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	var c chainCache
	c.put(leaf, roots, intermediates, []*x509.Certificate{leaf, intermediate, root})

	if got, ok := c.get(leaf, roots, intermediates, now); !ok || len(got) != 3 {
		t.Fatalf("the chain verified a moment ago was not reused: %v %v", got, ok)
	}
	if _, ok := c.get(leaf, roots, intermediates, now.AddDate(0, 2, 0)); ok {
		t.Fatal("reused a chain whose intermediate certificate has expired")
	}
	if _, ok := c.get(leaf, x509.NewCertPool(), intermediates, now); ok {
		t.Fatal("reused a chain verified under other trust anchors")
	}
	if _, ok := c.get(&x509.Certificate{Raw: []byte("other")}, roots, intermediates, now); ok {
		t.Fatal("reused a chain for another certificate")
	}
}
