package xsig

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"time"
)

// chainCacheSize bounds the verified chains a Checker keeps: one per signer certificate seen, far
// more than the systems registered with a gateway.
const chainCacheSize = 10_000

// chainCache keeps the chains that crypto/x509 built and verified for a certificate, so that a
// gateway checks the NCA's signatures on a signer's certificate once, not on every message: the
// chain's signatures cannot change, and the validity periods are checked again on every use
// (R-58 2). Revocation is not cached here: OCSP answers are kept only until their nextUpdate
// (ocspCache). The chain found is only reused under the same trust anchors. Safe for concurrent
// use; the zero value is ready.
type chainCache struct {
	mu     sync.Mutex
	chains map[[sha256.Size]byte]verifiedChain
}

type verifiedChain struct {
	roots, intermediates *x509.CertPool
	chain                []*x509.Certificate
}

// get returns the chain verified before for cert under these pools, if every certificate in it is
// valid at now.
func (c *chainCache) get(cert *x509.Certificate, roots, intermediates *x509.CertPool, now time.Time) ([]*x509.Certificate, bool) {
	c.mu.Lock()
	v, ok := c.chains[sha256.Sum256(cert.Raw)]
	c.mu.Unlock()
	if !ok || v.roots != roots || v.intermediates != intermediates {
		return nil, false
	}
	for _, link := range v.chain {
		if now.Before(link.NotBefore) || now.After(link.NotAfter) {
			return nil, false
		}
	}
	return v.chain, true
}

func (c *chainCache) put(cert *x509.Certificate, roots, intermediates *x509.CertPool, chain []*x509.Certificate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chains == nil || len(c.chains) >= chainCacheSize {
		c.chains = map[[sha256.Size]byte]verifiedChain{} // start again rather than grow without bound
	}
	c.chains[sha256.Sum256(cert.Raw)] = verifiedChain{roots: roots, intermediates: intermediates, chain: chain}
}
