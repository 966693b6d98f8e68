package xsig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/ocspnonce"
)

// R-58 2: how current the NCA's word on a certificate must be.
const (
	// RevocationClockSkew is how far ahead of the relying party's clock the NCA's may run: an OCSP
	// answer or CRL dated (thisUpdate) later than now plus this is refused.
	RevocationClockSkew = 5 * time.Minute
	// RevocationMaxAge is how old an OCSP answer or CRL that gives no nextUpdate may be.
	RevocationMaxAge = time.Hour
	// ocspCacheSize bounds the answers a Checker keeps: one per certificate seen, far more than the
	// systems registered with a gateway.
	ocspCacheSize = 10_000
)

// ocspAnswer is a usable answer of the NCA's OCSP responder: signed by the issuer, for the
// certificate asked about, with our nonce or none, and current.
type ocspAnswer struct {
	*ocsp.Response
	nonce  string // "" when the responder echoed ours, "no nonce" when it gave none
	cached bool
}

// askOCSP returns the NCA's OCSP answer for cert, from the cache while it is current. A plain
// error means OCSP could not answer (unreachable, an HTTP error, an OCSP error status, an answer
// that does not parse or verify): the CRL stands in. An *Error means it answered, but with an
// answer that must not be taken (another nonce, stale, from the future): refused, and the CRL is
// not asked, as the responder that answers decides (R-58 2).
func (c *Checker) askOCSP(ctx context.Context, cert, issuer *x509.Certificate, now time.Time) (ocspAnswer, error) {
	key := cacheKey(cert, issuer)
	if r, ok := c.cache.get(key, now); ok {
		return ocspAnswer{Response: r, cached: true}, nil
	}
	if len(cert.OCSPServer) == 0 {
		return ocspAnswer{}, msg.Errorf("the certificate names no OCSP responder")
	}
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return ocspAnswer{}, err
	}
	// RFC 6960 4.4.1, RFC 8954: a fresh nonce per request, so that an answer to another request,
	// replayed, is told apart.
	nonce, err := ocspnonce.New()
	if err != nil {
		return ocspAnswer{}, err
	}
	if req, err = ocspnonce.AddToRequest(req, nonce); err != nil {
		return ocspAnswer{}, err
	}
	body, err := c.fetch(ctx, http.MethodPost, cert.OCSPServer[0], req)
	if err != nil {
		return ocspAnswer{}, err
	}
	r, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		return ocspAnswer{}, err
	}
	a := ocspAnswer{Response: r}
	// RFC 8954 lets a responder ignore the nonce (pre-produced answers); its answer is then taken
	// on its dates alone, checked below. One that echoes another nonce answers another request.
	switch got := ocspnonce.OfResponse(r.TBSResponseData); {
	case got == nil:
		a.nonce = "no nonce"
	case !bytes.Equal(got, nonce):
		return a, fail(StatusUnknown, "R-58", msg.F("the NCA's OCSP answer for %s (serial %s) echoes another nonce (%x) than the request's (%x): it answers another request and may be replayed", cert.Subject.CommonName, cert.SerialNumber.Text(16), got, nonce))
	}
	if err := current(msg.F("the NCA's OCSP answer for %s", cert.Subject.CommonName), r.ThisUpdate, r.NextUpdate, now); err != nil {
		return a, fail(StatusUnknown, "R-58", msg.Of(err))
	}
	// Good and revoked hold until nextUpdate: the NCA vouches for them until then. An answer
	// without nextUpdate is used once.
	if r.Status != ocsp.Unknown && !r.NextUpdate.IsZero() {
		c.cache.put(key, r, now)
	}
	return a, nil
}

// current checks the dates of an OCSP answer or CRL (what names it) against now: not dated ahead of
// now by more than RevocationClockSkew, nextUpdate not passed, and, without a nextUpdate, not older
// than RevocationMaxAge.
func current(what msg.Text, thisUpdate, nextUpdate, now time.Time) error {
	const at = time.RFC3339
	switch {
	case thisUpdate.After(now.Add(RevocationClockSkew)):
		return msg.Errorf("%s is dated (thisUpdate) %s, more than %s after now (%s): it cannot be judged current",
			what, thisUpdate.UTC().Format(at), RevocationClockSkew, now.UTC().Format(at))
	case !nextUpdate.IsZero() && !now.Before(nextUpdate):
		return msg.Errorf("%s is stale: its nextUpdate %s has passed (now %s)",
			what, nextUpdate.UTC().Format(at), now.UTC().Format(at))
	case nextUpdate.IsZero() && now.Sub(thisUpdate) > RevocationMaxAge:
		return msg.Errorf("%s gives no nextUpdate and is dated (thisUpdate) %s, more than %s before now (%s)",
			what, thisUpdate.UTC().Format(at), RevocationMaxAge, now.UTC().Format(at))
	}
	return nil
}

// cacheKey names a certificate by its issuer and serial number, as OCSP does.
func cacheKey(cert, issuer *x509.Certificate) string {
	h := sha256.Sum256(issuer.Raw)
	return string(h[:]) + cert.SerialNumber.Text(16)
}

// ocspCache keeps OCSP answers until their nextUpdate; safe for concurrent checks. The zero value
// is ready.
type ocspCache struct {
	mu      sync.Mutex
	answers map[string]*ocsp.Response
}

func (c *ocspCache) get(key string, now time.Time) (*ocsp.Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.answers[key]
	if !ok {
		return nil, false
	}
	if !now.Before(r.NextUpdate) {
		delete(c.answers, key)
		return nil, false
	}
	return r, true
}

func (c *ocspCache) put(key string, r *ocsp.Response, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answers == nil {
		c.answers = map[string]*ocsp.Response{}
	}
	if len(c.answers) >= ocspCacheSize {
		for k, old := range c.answers {
			if !now.Before(old.NextUpdate) {
				delete(c.answers, k)
			}
		}
	}
	if len(c.answers) < ocspCacheSize {
		c.answers[key] = r
	}
}
