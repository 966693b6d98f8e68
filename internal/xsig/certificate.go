package xsig

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/beevik/etree"
	"golang.org/x/crypto/ocsp"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
)

// Checker judges a signer's certificate the way the gateway must (R-58 2): it chains to the NCA,
// is within its validity period, and is not revoked - asked of the NCA's OCSP responder first and,
// when OCSP cannot answer, of its CRL. Its OCSP answers are kept until their nextUpdate, so use
// one Checker (by pointer) for all the checks of a gateway; it is safe for concurrent use.
type Checker struct {
	Roots         *x509.CertPool
	Intermediates *x509.CertPool
	HTTP          *http.Client
	Now           func() time.Time

	cache  ocspCache
	chains chainCache
}

// CertStatus is what the checks found, for the evidence of a verdict.
type CertStatus struct {
	Subject    string   `json:"subject"`
	IIN        string   `json:"iin,omitempty"`
	BIN        string   `json:"bin,omitempty"`
	Serial     string   `json:"serial"`
	NotAfter   string   `json:"notAfter"`
	Chain      []string `json:"chain,omitempty"`
	Revocation string   `json:"revocation,omitempty"` // "OCSP: good", "OCSP: good (cached ...)", "CRL: revoked at ...", ...
}

// Check runs the chain, validity and revocation checks on cert.
func (c *Checker) Check(ctx context.Context, cert *x509.Certificate) (CertStatus, error) {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	iin, bin := pki.IdentifiersOf(cert)
	st := CertStatus{Subject: cert.Subject.String(), IIN: iin, BIN: bin, Serial: cert.SerialNumber.Text(16),
		NotAfter: cert.NotAfter.UTC().Format(time.RFC3339)}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return st, fail(Expired, "R-58", msg.F("the certificate of %s is valid from %s to %s, not at %s",
			cert.Subject.CommonName, cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
	}
	chain, ok := c.chains.get(cert, c.Roots, c.Intermediates, now)
	if !ok {
		chains, err := cert.Verify(x509.VerifyOptions{Roots: c.Roots, Intermediates: c.Intermediates, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			return st, fail(Untrusted, "R-58", msg.F("the certificate of %s (issuer %s) does not chain to the NCA: %v", cert.Subject.CommonName, cert.Issuer.CommonName, msg.Of(err)))
		}
		chain = chains[0]
		c.chains.put(cert, c.Roots, c.Intermediates, chain)
	}
	for _, link := range chain {
		st.Chain = append(st.Chain, link.Subject.CommonName)
	}
	var err error
	st.Revocation, err = c.revocation(ctx, cert, chain[1], now)
	return st, err
}

func (c *Checker) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// revocation asks OCSP, then the CRL when OCSP cannot answer (R-58 2). It fails closed: an
// answer that is not a current "good" or "revoked" is refused, and an OCSP answer, once given,
// decides; the CRL stands in only for a responder that is unreachable or answers with an error.
func (c *Checker) revocation(ctx context.Context, cert, issuer *x509.Certificate, now time.Time) (string, error) {
	ans, ocspErr := c.askOCSP(ctx, cert, issuer, now)
	var refused *Error
	if errors.As(ocspErr, &refused) {
		return "OCSP: answer refused", refused
	}
	if ocspErr == nil {
		switch ans.Status {
		case ocsp.Good:
			return "OCSP: good" + ans.how(), nil
		case ocsp.Revoked:
			return "OCSP: revoked" + ans.how(), fail(Revoked, "R-58", msg.F("OCSP says the certificate of %s (serial %s) was revoked at %s",
				cert.Subject.CommonName, cert.SerialNumber.Text(16), ans.RevokedAt.UTC().Format(time.RFC3339)))
		}
		// RFC 6960 2.2: "unknown" is the responder not knowing the certificate. The NCA's own
		// responder ought to know every certificate the NCA issued: this one is not taken as good.
		return "OCSP: unknown", fail(StatusUnknown, "R-58", msg.F("the NCA's OCSP responder does not know this certificate: it answered \"unknown\" for %s (serial %s, issuer %s); a certificate the NCA does not vouch for is not accepted, and its CRL is not asked, as it stands in only for a responder that cannot answer",
			cert.Subject.CommonName, cert.SerialNumber.Text(16), issuer.Subject.CommonName))
	}
	revokedAt, crlErr := c.askCRL(ctx, cert, issuer, now)
	if crlErr != nil {
		return "OCSP and CRL unavailable", fail(StatusUnknown, "R-58", msg.F("the revocation status of %s cannot be established: OCSP: %v; CRL: %v",
			cert.Subject.CommonName, msg.Of(ocspErr), msg.Of(crlErr)))
	}
	if !revokedAt.IsZero() {
		return "CRL: revoked (OCSP: " + ocspErr.Error() + ")", fail(Revoked, "R-58", msg.F("the CRL lists the certificate of %s (serial %s) as revoked at %s (OCSP could not answer: %v)",
			cert.Subject.CommonName, cert.SerialNumber.Text(16), revokedAt.UTC().Format(time.RFC3339), msg.Of(ocspErr)))
	}
	return "CRL: not listed (OCSP: " + ocspErr.Error() + ")", nil
}

// how says where an OCSP answer came from, for the evidence: "", or the cache and its validity, or
// the responder's missing nonce.
func (a ocspAnswer) how() string {
	switch {
	case a.cached:
		return fmt.Sprintf(" (cached answer of %s, valid until %s)", a.ThisUpdate.UTC().Format(time.RFC3339), a.NextUpdate.UTC().Format(time.RFC3339))
	case a.nonce != "":
		return " (" + a.nonce + ": current by its dates)"
	}
	return ""
}

// askCRL returns the revocation time of cert, zero when the CRL does not list it. A CRL that is not
// current (past its nextUpdate, dated in the future) is an error: the status is then unknown.
func (c *Checker) askCRL(ctx context.Context, cert, issuer *x509.Certificate, now time.Time) (time.Time, error) {
	if len(cert.CRLDistributionPoints) == 0 {
		return time.Time{}, msg.Errorf("the certificate names no CRL distribution point")
	}
	body, err := c.fetch(ctx, http.MethodGet, cert.CRLDistributionPoints[0], nil)
	if err != nil {
		return time.Time{}, err
	}
	crl, err := x509.ParseRevocationList(body)
	if err != nil {
		return time.Time{}, err
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return time.Time{}, msg.Errorf("the CRL is not signed by %s: %w", issuer.Subject.CommonName, err)
	}
	if err := current(msg.F("the CRL of %s", issuer.Subject.CommonName), crl.ThisUpdate, crl.NextUpdate, now); err != nil {
		return time.Time{}, err
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return e.RevocationTime, nil
		}
	}
	return time.Time{}, nil
}

func (c *Checker) fetch(ctx context.Context, method, url string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/ocsp-request")
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, msg.Errorf("%s answered HTTP %d", url, resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 10<<20))
}

// MatchesSender checks that the certificate belongs to the registered sender (R-54, R-58 1): its
// BIN, or its IIN for a person, equals the identifier registered for the sending system.
func MatchesSender(cert *x509.Certificate, senderID, registered string) error {
	iin, bin := pki.IdentifiersOf(cert)
	if registered != "" && (bin == registered || (bin == "" && iin == registered)) {
		return nil
	}
	return fail(NotTheSender, "R-54", msg.F("the message of %s is signed by %s (BIN %q, IIN %q), but %s is registered with %q",
		senderID, cert.Subject.CommonName, bin, iin, senderID, registered))
}

// Report is the whole transport signature check of one message, for the evidence of a verdict.
type Report struct {
	Algorithm   string     `json:"algorithm"`
	KeyInfo     string     `json:"keyInfo,omitempty"`
	BodyID      string     `json:"bodyId,omitempty"`
	Timestamp   bool       `json:"timestamp"`
	Remarks     []Remark   `json:"remarks,omitempty"` // accepted, but not what the Rules ask for
	Certificate CertStatus `json:"certificate"`
	Problem     Problem    `json:"problem,omitempty"`
	Rule        string     `json:"rule,omitempty"`
	Detail      string     `json:"detail,omitempty"`
}

// CheckMessage is what a relying party does with a signed message: verify the signature,
// then Judge its certificate. Checks named in off are skipped: a test proves each negative scenario
// fails without its check. A signature that names its certificate by X509IssuerSerial alone fails
// here: CheckMessageFrom is given the sender's registered certificates.
func (c *Checker) CheckMessage(ctx context.Context, doc []byte, senderID, registered string, off ...Problem) (Report, error) {
	return c.CheckMessageFrom(ctx, doc, senderID, registered, nil, off...)
}

// CheckMessageFrom is CheckMessage for a sender whose certificates are registered (known): a
// signature may then name its certificate by ds:X509IssuerSerial alone.
func (c *Checker) CheckMessageFrom(ctx context.Context, doc []byte, senderID, registered string, known []*x509.Certificate, off ...Problem) (Report, error) {
	s, err := Verify(doc, known...)
	return c.judgeVerified(ctx, s, err, senderID, registered, off)
}

// CheckDocument is CheckMessage on a message already parsed (see VerifyDocument).
func (c *Checker) CheckDocument(ctx context.Context, doc *etree.Document, senderID, registered string, off ...Problem) (Report, error) {
	s, err := VerifyDocument(doc)
	return c.judgeVerified(ctx, s, err, senderID, registered, off)
}

func (c *Checker) judgeVerified(ctx context.Context, s *Signed, err error, senderID, registered string, off []Problem) (Report, error) {
	r := ReportOf(s)
	if err != nil && !skipped(err, off) {
		return r.WithError(err), err
	}
	if s == nil || s.Certificate == nil {
		return r, nil // only reachable with the failed check switched off
	}
	r.Certificate, err = c.Judge(ctx, s.Certificate, senderID, registered, off...)
	if err != nil {
		return r.WithError(err), err
	}
	return r, nil
}

// Judge checks that cert is the registered sender's (R-54, R-58 1: its BIN, or IIN for a person,
// equals registered; empty registered skips this) and that it is valid (R-58 2).
func (c *Checker) Judge(ctx context.Context, cert *x509.Certificate, senderID, registered string, off ...Problem) (CertStatus, error) {
	if registered != "" {
		if err := MatchesSender(cert, senderID, registered); err != nil && !skipped(err, off) {
			iin, bin := pki.IdentifiersOf(cert)
			return CertStatus{Subject: cert.Subject.String(), IIN: iin, BIN: bin, Serial: cert.SerialNumber.Text(16)}, err
		}
	}
	st, err := c.Check(ctx, cert)
	if err != nil && skipped(err, off) {
		err = nil
	}
	return st, err
}

func skipped(err error, off []Problem) bool {
	p := ProblemOf(err)
	for _, o := range off {
		if o == p {
			return true
		}
	}
	return false
}

// ReportOf starts the report of a verified (or partly verified) signature.
func ReportOf(s *Signed) Report {
	if s == nil {
		return Report{}
	}
	return Report{Algorithm: s.Algorithm, KeyInfo: s.KeyInfo, BodyID: s.BodyID, Timestamp: s.Timestamp, Remarks: s.Remarks}
}

// WithError fills the report's problem from a check error.
func (r Report) WithError(err error) Report {
	var e *Error
	if errors.As(err, &e) {
		r.Problem, r.Rule, r.Detail = e.Problem, e.Rule, e.Detail.String()
	}
	return r
}
