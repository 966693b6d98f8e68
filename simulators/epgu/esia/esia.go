package esia

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/pki"
)

// Defaults of the knobs New takes.
const (
	// DefaultTokenLifetime: an ESIA access token lives one hour (expires_in 3600 in the token
	// responses real clients log).
	DefaultTokenLifetime = time.Hour
	// DefaultSkew: how far a request's timestamp may be from ESIA's clock before ESIA-007015. The
	// sources at hand (go-api-epgu, yellow444/epgu, the EPGU spec) do not state ESIA's window; five
	// minutes is this simulator's choice, to be replaced when the methodical recommendations say.
	DefaultSkew = 5 * time.Minute
	// DefaultIssuer is the iss of the test contour's tokens (the host of spec §1.2's test ESIA).
	DefaultIssuer = "http://esia-portal1.test.gosuslugi.ru/"
	// codeLifetime: how long an authorisation code can be exchanged. Not stated in the sources;
	// OAuth 2.0 (RFC 6749 §4.1.2) recommends at most ten minutes.
	codeLifetime = 5 * time.Minute
	// DefaultRefreshLifetime: how long a refresh token (GrantRefreshToken) may be used. The
	// walkthrough (seed 003) names the grant but not the lifetime; a day is this simulator's choice.
	DefaultRefreshLifetime = 24 * time.Hour
	// maxAssertionLifetime bounds exp − iat of a JWT assertion (GrantJWTBearer): an assertion is a
	// one-off credential, RFC 7523 §3 asks the server to limit how long it may be used; ten minutes
	// is this simulator's choice.
	maxAssertionLifetime = 10 * time.Minute
	// defaultJTILimit and defaultRefreshLimit bound the memory of assertion ids seen (kept until
	// the assertion expires) and of refresh tokens in force (the oldest evicted beyond).
	defaultJTILimit     = 100_000
	defaultRefreshLimit = 100_000
)

// PermissionAPIPGU is the permission EPGU looks for in a token (EPGU-A4,
// access_denied_person_permissions: the token's permissions must contain «APIPGU»).
const PermissionAPIPGU = "APIPGU"

// ScopeAPIOrder is the EPGU scope every agency system needs (EPGU-1.1, Table 1).
const ScopeAPIOrder = "http://lk.gosuslugi.ru/api-order"

// System is an information system registered on ESIA's technological portal: its mnemonic
// (client_id), its organisation, the certificates uploaded for it, where ESIA may send the user
// back, and what its tokens carry.
type System struct {
	Mnemonic     string              // client_id
	Name         string              // for messages
	OGRN         string              // the organisation's ОГРН (13 digits) or ОГРНИП (15); a test ОГРН is generated when empty
	OrgOID       string              // the organisation's oid in ESIA; generated when empty
	UserOID      string              // the employee (or person) who consents and holds the API key; generated when empty
	Certificates []*x509.Certificate // uploaded on the technological portal: client_secret must be signed by one
	RedirectURIs []string            // allowed redirect_uri values (ESIA-007023 otherwise), compared exactly
	// Permissions carried in the system's tokens. nil means the default {APIPGU}; an empty
	// non-nil slice gives tokens without it (to provoke EPGU's access_denied_person_permissions).
	Permissions []string
	// Scopes the system may request, by name without parameters ("openid",
	// "http://lk.gosuslugi.ru/api-order", "http://esia.gosuslugi.ru/org_ogrn"). nil means
	// defaultScopes.
	Scopes []string
	// Roles the system holds (e.g. operator, client, administrator for the Gospochta sending API).
	// Every access token carries them as its roles claim, except one got by a JWT assertion
	// (GrantJWTBearer), which carries the one role asked for. nil: tokens without roles, as EPGU's.
	Roles []string
}

// defaultScopes are what a system registered for the EPGU API may ask for: openid, the EPGU scope,
// the person scopes of a profile and the organisation scopes spec §1.1 names as an example.
var defaultScopes = []string{
	"openid", ScopeAPIOrder,
	"fullname", "birthdate", "gender", "snils", "inn", "id_doc", "email", "mobile", "contacts", "usr_org",
	"http://esia.gosuslugi.ru/org_ogrn", "http://esia.gosuslugi.ru/org_inn",
	"http://esia.gosuslugi.ru/org_fullname", "http://esia.gosuslugi.ru/org_shortname",
	"http://esia.gosuslugi.ru/org_type", "http://esia.gosuslugi.ru/org_emps",
}

// Option sets a knob of New.
type Option func(*ESIA)

// WithClock runs ESIA on c (skew, token times, code expiry). The default is the wall clock.
func WithClock(c clock.Clock) Option { return func(e *ESIA) { e.clock = c } }

// WithTokenLifetime sets how long an access token is valid (DefaultTokenLifetime).
func WithTokenLifetime(d time.Duration) Option { return func(e *ESIA) { e.lifetime = d } }

// WithSkew sets the allowed distance of a request's timestamp from ESIA's clock (DefaultSkew).
func WithSkew(d time.Duration) Option { return func(e *ESIA) { e.skew = d } }

// WithTrust makes client_secret signatures chain to roots (through intermediates), e.g. the
// simulated CA's nca.Roots() and nca.Intermediates(). Without it the registered certificates
// themselves are the only anchors: ESIA trusts what was uploaded on the technological portal.
func WithTrust(roots, intermediates *x509.CertPool) Option {
	return func(e *ESIA) { e.roots, e.intermediates = roots, intermediates }
}

// WithSigningIdentity signs tokens with id (an identity issued by the simulated CA, or any RSA or
// ECDSA P-256 key). Without it New generates an RSA-2048 key and signs RS256.
func WithSigningIdentity(id *pki.Identity) Option { return func(e *ESIA) { e.identity = id } }

// WithRefreshLifetime sets how long a refresh token may be used (DefaultRefreshLifetime).
func WithRefreshLifetime(d time.Duration) Option { return func(e *ESIA) { e.refreshLifetime = d } }

// WithIssuer sets the iss of issued tokens (DefaultIssuer).
func WithIssuer(iss string) Option { return func(e *ESIA) { e.issuer = iss } }

// WithConsent sets whether the simulated user grants the consent asked on /aas/oauth2/v2/ac
// (granted by default); SetConsent changes it while running.
func WithConsent(granted bool) Option { return func(e *ESIA) { e.consentDenied = !granted } }

// ESIA is the simulated identification and authorisation system as an agency system meets it:
// the authorisation-code flow, the API-key token service, token verification for the EPGU
// simulator. It is safe for concurrent use.
type ESIA struct {
	clock           clock.Clock
	lifetime, skew  time.Duration
	refreshLifetime time.Duration
	issuer          string
	identity        *pki.Identity
	jwtAlg          jose.SignatureAlgorithm
	jwtKey          crypto.PublicKey

	mu                   sync.Mutex
	roots, intermediates *x509.CertPool // nil roots: registered certificates are the anchors
	systems              map[string]*System
	apiKeys              map[string]apiKeyRecord
	codes                map[string]codeGrant   // swept of expired ones on each insert (storeCode)
	codesNext            time.Time              // the earliest expiry in codes: no sweep before
	issued               map[string][]issuedSID // mnemonic → its tokens in force, for RevokeTokens
	revoked              map[string]time.Time   // sid → its token's expiry; dropped once expired
	revokedNext          time.Time              // the earliest expiry in revoked: no sweep before
	expired              map[string]time.Time   // sid → its token's expiry, for ExpireTokens; dropped once expired
	expiredNext          time.Time              // the earliest expiry in expired: no sweep before
	jtis                 map[jtiKey]time.Time   // assertion ids seen → until when a replay is possible
	jtisNext             time.Time              // the earliest of those: no sweep before
	jtiLimit             int
	refresh              map[string]refreshGrant // refresh token → what it renews
	refreshOrder         []string                // refresh tokens in the order issued (= expiry order), spent ones too
	refreshLimit         int
	consentDenied        bool
	events               eventLog
	eventLimit           int
}

// New makes an ESIA with no system registered.
func New(opts ...Option) (*ESIA, error) {
	e := &ESIA{
		clock:    clock.Real{},
		lifetime: DefaultTokenLifetime,
		skew:     DefaultSkew,
		issuer:   DefaultIssuer,
		systems:  map[string]*System{},
		apiKeys:  map[string]apiKeyRecord{},
		codes:    map[string]codeGrant{},
		issued:   map[string][]issuedSID{},
		revoked:  map[string]time.Time{},
		expired:  map[string]time.Time{},
		jtis:     map[jtiKey]time.Time{},
		refresh:  map[string]refreshGrant{},

		refreshLifetime: DefaultRefreshLifetime,
		jtiLimit:        defaultJTILimit,
		refreshLimit:    defaultRefreshLimit,
		eventLimit:      DefaultEventLimit,
	}
	for _, o := range opts {
		o(e)
	}
	if e.lifetime <= 0 || e.skew < 0 {
		return nil, fmt.Errorf("esia: token lifetime %v and skew %v must be positive", e.lifetime, e.skew)
	}
	if e.refreshLifetime <= 0 {
		return nil, fmt.Errorf("esia: refresh token lifetime %v must be positive", e.refreshLifetime)
	}
	if e.eventLimit <= 0 {
		return nil, fmt.Errorf("esia: event limit %d must be positive", e.eventLimit)
	}
	if e.identity == nil {
		key, err := pki.NewKey(pki.RSA2048)
		if err != nil {
			return nil, fmt.Errorf("esia: token key: %w", err)
		}
		e.identity = &pki.Identity{Key: key}
	}
	if err := e.initSigner(); err != nil {
		return nil, err
	}
	return e, nil
}

var (
	ogrnPattern    = regexp.MustCompile(`^([0-9]{13}|[0-9]{15})$`)
	mnemonicFormat = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// Register adds s as the technological portal would after its application is approved.
func (e *ESIA) Register(s System) error {
	if !mnemonicFormat.MatchString(s.Mnemonic) {
		return fmt.Errorf("esia: register: mnemonic %q must be 1–64 letters, digits, '_', '.' or '-'", s.Mnemonic)
	}
	if s.OGRN != "" && !ogrnPattern.MatchString(s.OGRN) {
		return fmt.Errorf("esia: register %s: OGRN %q is neither 13 (ОГРН) nor 15 (ОГРНИП) digits", s.Mnemonic, s.OGRN)
	}
	if len(s.Certificates) == 0 {
		return fmt.Errorf("esia: register %s: no certificate: client_secret could not be checked", s.Mnemonic)
	}
	for _, u := range s.RedirectURIs {
		p, err := url.Parse(u)
		if err != nil || !p.IsAbs() || p.Host == "" {
			return fmt.Errorf("esia: register %s: redirect_uri %q is not an absolute URL", s.Mnemonic, u)
		}
	}
	for i, r := range s.Roles {
		if strings.TrimSpace(r) == "" || strings.ContainsAny(r, " \t\r\n") || slices.Index(s.Roles, r) != i {
			return fmt.Errorf("esia: register %s: role %q must be a non-empty word, listed once", s.Mnemonic, r)
		}
	}
	if s.OGRN == "" {
		s.OGRN = newOGRN()
	}
	if s.OrgOID == "" {
		s.OrgOID = newOID()
	}
	if s.UserOID == "" {
		s.UserOID = newOID()
	}
	if s.Permissions == nil {
		s.Permissions = []string{PermissionAPIPGU}
	}
	if s.Scopes == nil {
		s.Scopes = defaultScopes
	}
	s.Certificates = append([]*x509.Certificate(nil), s.Certificates...)
	s.RedirectURIs = append([]string(nil), s.RedirectURIs...)
	s.Permissions = append([]string{}, s.Permissions...)
	s.Scopes = append([]string(nil), s.Scopes...)
	s.Roles = slices.Clone(s.Roles)
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, dup := e.systems[s.Mnemonic]; dup {
		return fmt.Errorf("esia: register: mnemonic %s is already registered", s.Mnemonic)
	}
	e.systems[s.Mnemonic] = &s
	return nil
}

// System returns a copy of the registered system (with its generated OGRN and OIDs), or false.
// The copy's lists are its own: a registered system never changes, which is why handlers read it
// without the lock.
func (e *ESIA) System(mnemonic string) (System, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.systems[mnemonic]
	if !ok {
		return System{}, false
	}
	out := *s
	out.Certificates = slices.Clone(s.Certificates)
	out.RedirectURIs = slices.Clone(s.RedirectURIs)
	out.Permissions = slices.Clone(s.Permissions)
	out.Scopes = slices.Clone(s.Scopes)
	out.Roles = slices.Clone(s.Roles)
	return out, true
}

// SetConsent makes the simulated user grant (true) or refuse (false) every later consent request.
func (e *ESIA) SetConsent(granted bool) {
	e.mu.Lock()
	e.consentDenied = !granted
	e.mu.Unlock()
}

func (e *ESIA) system(mnemonic string) (*System, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.systems[mnemonic]
	return s, ok
}

// trust returns the pools a client_secret must chain to: WithTrust's, or the registered
// certificates as their own anchors.
func (e *ESIA) trust() (roots, intermediates *x509.CertPool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.roots != nil {
		return e.roots, e.intermediates
	}
	roots = x509.NewCertPool()
	for _, s := range e.systems {
		for _, c := range s.Certificates {
			roots.AddCert(c)
		}
	}
	return roots, nil
}

// newOID makes an ESIA-like oid: a positive integer of ten digits.
func newOID() string { return strconv.FormatInt(randomBelow(9_000_000_000)+1_000_000_000, 10) }

// newOGRN makes a test ОГРН of a legal entity: 13 digits, the first 1 (an ОГРН, not a state
// registration number of another kind), then eleven random ones, then the check digit, which is
// the remainder of the first twelve digits as a number divided by 11, taken mod 10 (the ОГРН's
// rule; an ОГРНИП divides its first fourteen by 13). It passes a client's check-digit validation
// but is no real organisation's.
func newOGRN() string {
	n := 100_000_000_000 + randomBelow(100_000_000_000) // 1 and eleven digits
	return strconv.FormatInt(n*10+n%11%10, 10)
}

func randomBelow(max int64) int64 {
	n, err := rand.Int(rand.Reader, big.NewInt(max))
	if err != nil {
		panic(errors.New("esia: no randomness: " + err.Error()))
	}
	return n.Int64()
}
