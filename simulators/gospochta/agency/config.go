package agency

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/pki"
)

// Config sets a Client up. ESIAURL and APIURL are base URLs; the wire paths are appended to
// APIURL and ESIA's to ESIAURL.
type Config struct {
	ESIAURL, APIURL string
	// Mnemonic is the system's client_id at ESIA (its assertions' iss and sub).
	Mnemonic string
	// Identity signs the JWT assertions and the documents, and is the mTLS client certificate
	// (GP-W-AUTH, GP-W-SIGN, GP-W-MTLS).
	Identity *pki.Identity
	// APIKey is the API key file ESIA issued for reading (Б.12, esia.ParseAPIKey reads it).
	APIKey []byte
	// HMACKey is the system's packet key (GP-W-HMAC), wire.KeySize bytes.
	HMACKey []byte
	// Roots trusts the contour's HTTPS and verifies receipts and attachment signatures; nil uses
	// the system's roots for HTTPS (and no signature then verifies).
	Roots *x509.CertPool
	// HTTPClient is used for ESIA and both APIs; nil builds one from Roots and Identity (TLS 1.3,
	// the identity as client certificate).
	HTTPClient *http.Client

	// PollPause is the pause before each fetch of a search task that is not yet complete: the list
	// is prepared asynchronously and every fetch counts against the 15 a day (GP-R-QUOTA);
	// DefaultPollPause when zero.
	PollPause time.Duration
	// StatusPause is the pause between two polls of a sent message's state while no notification
	// came; DefaultStatusPause when zero.
	StatusPause time.Duration

	// Clock gives the time (the Moscow day of the quotas, assertion times); the wall clock when nil.
	Clock clock.Clock
	// Sleep waits; by default a timer on the wall clock, or Clock.Advance when Clock is virtual.
	Sleep func(ctx context.Context, d time.Duration) error

	// Defects makes the client misbehave on purpose; see KnownDefects.
	Defects []string
}

const (
	// DefaultPollPause: the reading API prepares a search's list "after about an hour"
	// (wire.DefaultSearchWait), so the client asks once an hour rather than spend its 15 daily
	// fetches (GP-R-QUOTA) on a list that is not there.
	DefaultPollPause = time.Hour
	// DefaultStatusPause is the pause between polls of a sent message's state: the state pushes
	// (GP-W-STATES) normally come first; the polls are for pushes that cannot reach the system,
	// often enough that the receipt is still held well within 5 minutes (GP-W-DELIVERY) of a run
	// whose time is shrunk.
	DefaultStatusPause = 2 * time.Second
	// requestTimeout bounds one HTTP exchange of the default HTTP client.
	requestTimeout = time.Minute
)

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	c.ESIAURL = strings.TrimSuffix(c.ESIAURL, "/")
	c.APIURL = strings.TrimSuffix(c.APIURL, "/")
	if c.HTTPClient == nil {
		c.HTTPClient = defaultHTTPClient(c.Roots, c.Identity)
	}
	if c.PollPause <= 0 {
		c.PollPause = DefaultPollPause
	}
	if c.StatusPause <= 0 {
		c.StatusPause = DefaultStatusPause
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Sleep == nil {
		c.Sleep = clock.Sleeper(c.Clock)
	}
	return c
}

// defaultHTTPClient talks TLS 1.3 and presents the identity's certificate (GP-W-MTLS): the
// sending API refuses any less.
func defaultHTTPClient(roots *x509.CertPool, id *pki.Identity) *http.Client {
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS13}
	if id != nil && id.Certificate != nil && id.Key != nil {
		cfg.Certificates = []tls.Certificate{id.TLSCertificate()}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}, Timeout: requestTimeout}
}
