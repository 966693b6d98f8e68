// Package nca is the simulated National Certification Authority: a root and an intermediate CA that
// issue certificates to systems, persons and the gateway with the identifiers the national CA writes
// in the subject (SERIALNUMBER=IIN…, OU=BIN…), an OCSP responder and a CRL endpoint over real HTTP,
// and revocation and expiry on demand. Keys are generated per Authority; nothing secret is stored.
package nca

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"sync"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
)

// Subject names the holder of a certificate. A person has an IIN, an organisation's system a BIN
// (and usually the IIN of nobody); both are 12 digits.
type Subject struct {
	CommonName   string
	IIN          string // individual identification number: SERIALNUMBER=IIN…
	BIN          string // business identification number: OU=BIN…
	Organization string
}

var twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)

func (s Subject) name() (pkix.Name, error) {
	n := pkix.Name{CommonName: s.CommonName, Country: []string{"KZ"}}
	if s.CommonName == "" {
		return n, errors.New("subject: CommonName is empty")
	}
	if s.IIN != "" {
		if !twelveDigits.MatchString(s.IIN) {
			return n, fmt.Errorf("subject: IIN %q is not 12 digits", s.IIN)
		}
		n.SerialNumber = "IIN" + s.IIN
	}
	if s.BIN != "" {
		if !twelveDigits.MatchString(s.BIN) {
			return n, fmt.Errorf("subject: BIN %q is not 12 digits", s.BIN)
		}
		n.OrganizationalUnit = []string{"BIN" + s.BIN}
	}
	if s.Organization != "" {
		n.Organization = []string{s.Organization}
	}
	return n, nil
}

// Authority is a running certification authority: root → intermediate → end entities.
type Authority struct {
	name         string
	root         *pki.Identity
	intermediate *pki.Identity
	now          func() time.Time

	mu            sync.Mutex
	baseURL       string                       // where OCSP and CRL are served; set by Serve
	issued        map[string]*x509.Certificate // by serial, hex
	revoked       map[string]time.Time
	ocspAvailable bool
	ocspAnswers   map[string]OCSPAnswer // by serial, hex: the certificates answered for otherwise than honestly
	tsaOnce       sync.Once
	tsa           *TSA // the time-stamp service (tsa.go)
}

// New creates an authority with a fresh root and intermediate CA (ECDSA P-256, valid ten years).
//
// The CA keys stay ECDSA whatever key type the certificates it issues have, GOST 34.310-2004
// included: its OCSP answers and CRLs are signed by golang.org/x/crypto/ocsp and crypto/x509, which
// cannot sign with GOST. A GOST-keyed certificate signed by an ECDSA CA is checked by crypto/x509
// as any other; a GOST-signed CA hierarchy, as the real NCA's GOST CAs are, is checked by
// pki.VerifyChain.
func New(name string) (*Authority, error) {
	a := &Authority{name: name, now: time.Now, issued: map[string]*x509.Certificate{},
		revoked: map[string]time.Time{}, ocspAvailable: true}
	var err error
	if a.root, err = a.makeCA(name+" Root CA", nil); err != nil {
		return nil, err
	}
	if a.intermediate, err = a.makeCA(name+" Issuing CA", a.root); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Authority) makeCA(cn string, parent *pki.Identity) (*pki.Identity, error) {
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		return nil, err
	}
	now := a.now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn, Country: []string{"KZ"}, Organization: []string{a.name}},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	signer, issuer := key, tmpl
	if parent != nil {
		signer, issuer = parent.Key, parent.Certificate
		tmpl.MaxPathLenZero = true
	}
	return certify(tmpl, issuer, key, signer)
}

func certify(tmpl, issuer *x509.Certificate, key, signer crypto.Signer) (*pki.Identity, error) {
	der, err := pki.CreateCertificate(tmpl, issuer, key.Public(), signer) // also for a GOST key
	if err != nil {
		return nil, fmt.Errorf("issue %s: %w", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &pki.Identity{Certificate: c, Key: key}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// Issue gives s a signing certificate valid for one year from now.
func (a *Authority) Issue(s Subject, k pki.KeyType) (*pki.Identity, error) {
	now := a.now()
	return a.IssueValid(s, k, now.Add(-time.Hour), now.AddDate(1, 0, 0))
}

// IssueValid gives s a signing certificate valid from notBefore to notAfter: a window in the past
// makes an expired certificate, one in the future a certificate not yet valid.
func (a *Authority) IssueValid(s Subject, k pki.KeyType, notBefore, notAfter time.Time) (*pki.Identity, error) {
	return a.issue(s, k, &x509.Certificate{
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageEmailProtection},
	})
}

// issue completes tmpl (serial, subject, the NCA's OCSP, CRL and issuer URLs), has the issuing CA
// sign it over a new key of type k, and records it for OCSP.
func (a *Authority) issue(s Subject, k pki.KeyType, tmpl *x509.Certificate) (*pki.Identity, error) {
	name, err := s.name()
	if err != nil {
		return nil, err
	}
	key, err := pki.NewKey(k)
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber, tmpl.Subject = serial(), name
	a.mu.Lock()
	if a.baseURL != "" {
		tmpl.OCSPServer = []string{a.baseURL + OCSPPath}
		tmpl.CRLDistributionPoints = []string{a.baseURL + CRLPath}
		tmpl.IssuingCertificateURL = []string{a.baseURL + IssuerPath}
	}
	a.mu.Unlock()
	id, err := certify(tmpl, a.intermediate.Certificate, key, a.intermediate.Key)
	if err != nil {
		return nil, err
	}
	id.Chain = []*x509.Certificate{a.intermediate.Certificate}
	a.mu.Lock()
	a.issued[id.Certificate.SerialNumber.Text(16)] = id.Certificate
	a.mu.Unlock()
	return id, nil
}

// Revoke marks c revoked from now on; OCSP and the CRL report it at once.
func (a *Authority) Revoke(c *x509.Certificate) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := c.SerialNumber.Text(16)
	if _, ok := a.issued[key]; !ok {
		return fmt.Errorf("certificate %s (serial %s) was not issued by %s", c.Subject.CommonName, key, a.name)
	}
	a.revoked[key] = a.now().Add(-time.Second)
	return nil
}

// SetOCSPAvailable switches the OCSP responder on or off; off, it answers HTTP 503 so that a relying
// party must fall back on the CRL.
func (a *Authority) SetOCSPAvailable(on bool) {
	a.mu.Lock()
	a.ocspAvailable = on
	a.mu.Unlock()
}

// OCSPAnswer is how the OCSP responder answers for a certificate: honestly, or in one of the ways a
// relying party must not take as the certificate's status, to test that it refuses them.
type OCSPAnswer int

const (
	OCSPHonest     OCSPAnswer = iota // the certificate's status, fresh, echoing the request's nonce
	OCSPUnknown                      // "unknown", as for a certificate the NCA has no record of
	OCSPStale                        // thisUpdate and nextUpdate in the past: an old answer replayed
	OCSPWrongNonce                   // a nonce other than the request's: the answer to another request
	OCSPNoNonce                      // no nonce, as a responder of pre-produced answers gives (RFC 8954)
)

// SetOCSPAnswer makes the OCSP responder answer for c as given; OCSPHonest restores it. The CRL is
// not affected.
func (a *Authority) SetOCSPAnswer(c *x509.Certificate, ans OCSPAnswer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ocspAnswers == nil {
		a.ocspAnswers = map[string]OCSPAnswer{}
	}
	a.ocspAnswers[c.SerialNumber.Text(16)] = ans
}

// Root is the root CA certificate: the trust anchor relying parties configure.
func (a *Authority) Root() *x509.Certificate { return a.root.Certificate }

// Intermediate is the issuing CA certificate.
func (a *Authority) Intermediate() *x509.Certificate { return a.intermediate.Certificate }

// Roots is a pool holding the root CA only.
func (a *Authority) Roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.root.Certificate)
	return p
}

// Intermediates is a pool holding the issuing CA.
func (a *Authority) Intermediates() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.intermediate.Certificate)
	return p
}
