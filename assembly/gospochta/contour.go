// Package gospochta wires the Gospochta test contour: one HTTPS server (TLS 1.3, client
// certificates requested) with the simulated ESIA (simulators/epgu/esia: API-key tokens for
// reading, JWT-assertion and refresh grants for sending), the published reading API of the state
// e-mail system (simulators/gospochta/geps) and the walkthrough's legally significant sending
// (simulators/gospochta/post), certificates from the simulated CA, and the systems and recipients
// registered in it. The conformance run (steps/gospochta) starts one per scenario; shepconf serve
// --profile gospochta starts one for an agency's own system.
package gospochta

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/gospochta/geps"
	"github.com/shepconf/shepconf/simulators/gospochta/post"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
	"github.com/shepconf/shepconf/simulators/nca"
)

// DefaultMnemonic is the agency system's client_id at ESIA when none is given.
const DefaultMnemonic = "GP_AGENCY"

// The parties the contour plays: Gospochta itself (it signs delivery receipts) and an authority
// whose notices fill the agency's mailbox (it signs their attachments).
const (
	ServiceName   = "Госпочта (имитация)"
	AuthorityName = "ФССП России (имитация)"
)

// Config says what the contour runs with.
type Config struct {
	NCA *nca.Authority // issues the server's certificate, the receipts' signer and the mail's signer
	// Addr is where the contour listens; "127.0.0.1:0" (the default) picks a free port.
	Addr string
	// Hosts are the names the server's certificate carries besides the listening host.
	Hosts []string
	Key   pki.KeyType // key of the certificates the contour issues for itself
	Clock clock.Clock // the services' clock; the real clock when nil
	// TokenLifetime is how long ESIA's access tokens live; zero: ESIA's default (an hour).
	TokenLifetime time.Duration
	// SearchWait is how long a search takes to complete (GP-R-TASK); zero: the published hour.
	SearchWait time.Duration
	// DeliveryDelay, ReadDelay and RetryPause pace the sending side; zero: post's defaults.
	DeliveryDelay, ReadDelay, RetryPause time.Duration
	// Trust are further CA certificates the systems' certificates may chain to: those of an
	// agency's system whose certificate the contour's CA did not issue.
	Trust []*x509.Certificate
	// ReceiptSigner signs the acts of acceptance; nil: a certificate the contour's CA issues to
	// Gospochta. A scenario gives one of another CA to see a sender refuse an act it cannot verify.
	ReceiptSigner *pki.Identity
}

// Contour is a running Gospochta test contour.
type Contour struct {
	ESIA *esia.ESIA
	GEPS *geps.Service
	Post *post.Service
	URL  string // the base URL of all three, without a trailing slash
	// Authority signs the attachments of the mail the contour puts in mailboxes (SampleMail).
	Authority *pki.Identity
	srv       *server.TLSServer
	roots     *x509.CertPool
}

// Start runs ESIA, the reading API and the sending API behind one HTTPS server.
func Start(cfg Config) (*Contour, error) {
	if cfg.NCA == nil {
		return nil, errors.New("gospochta contour: no certification authority")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	roots := cfg.NCA.Roots()
	for _, c := range cfg.Trust {
		roots.AddCert(c)
	}
	esiaOpts := []esia.Option{esia.WithClock(cfg.Clock)}
	if cfg.TokenLifetime > 0 {
		esiaOpts = append(esiaOpts, esia.WithTokenLifetime(cfg.TokenLifetime))
	}
	e, err := esia.New(esiaOpts...)
	if err != nil {
		return nil, err
	}
	auth := authenticator(e)
	gepsOpts := []geps.Option{geps.WithClock(cfg.Clock)}
	if cfg.SearchWait > 0 {
		gepsOpts = append(gepsOpts, geps.WithSearchWait(cfg.SearchWait))
	}
	signer := cfg.ReceiptSigner
	if signer == nil {
		if signer, err = cfg.NCA.Issue(nca.Subject{CommonName: ServiceName, Organization: ServiceName}, cfg.Key); err != nil {
			return nil, err
		}
	}
	authority, err := cfg.NCA.Issue(nca.Subject{CommonName: AuthorityName, Organization: AuthorityName}, cfg.Key)
	if err != nil {
		return nil, err
	}
	// GP-W-STATES: pushes go to the sender's notifyUrl, plain HTTP or HTTPS under the contour's CA.
	notify := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	postOpts := []post.Option{post.WithClock(cfg.Clock), post.WithSigner(signer), post.WithNotifyClient(notify),
		post.WithVerifier(cms.Verifier{Roots: roots, Intermediates: cfg.NCA.Intermediates(), Now: cfg.Clock.Now})}
	for _, o := range []struct {
		d   time.Duration
		opt func(time.Duration) post.Option
	}{{cfg.DeliveryDelay, post.WithDeliveryDelay}, {cfg.ReadDelay, post.WithReadDelay}, {cfg.RetryPause, post.WithRetryPause}} {
		if o.d > 0 {
			postOpts = append(postOpts, o.opt(o.d))
		}
	}
	p, err := post.New(auth, postOpts...)
	if err != nil {
		return nil, err
	}
	g := geps.New(auth, gepsOpts...)
	mux := http.NewServeMux()
	mux.Handle("/aas/", e.Handler())
	mux.Handle("/esia-rs/", e.Handler())
	mux.Handle(wire.ReadBase+"/", g.Handler())
	mux.Handle(wire.SendBase+"/", p.Handler())
	srv, err := serveTLS(cfg, mux)
	if err != nil {
		_ = p.Close()
		return nil, err
	}
	return &Contour{ESIA: e, GEPS: g, Post: p, URL: srv.URL(), Authority: authority, srv: srv, roots: roots}, nil
}

// serveTLS runs h with a certificate of the contour's CA. GP-W-MTLS: TLS 1.3 only, and the client's
// certificate is asked for but not required by the handshake, so that the sending API can refuse a
// missing or foreign one with an answer that names the rule instead of a bare handshake alert; the
// reading API and ESIA, which the published contract serves without one, ignore it.
func serveTLS(cfg Config, h http.Handler) (*server.TLSServer, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("gospochta contour address %q: %w", cfg.Addr, err)
	}
	names := append([]string{"localhost", "127.0.0.1"}, cfg.Hosts...)
	if host != "" && host != "0.0.0.0" && host != "::" {
		names = append(names, host)
	}
	id, err := cfg.NCA.IssueServer(nca.Subject{CommonName: "Gospochta contour (simulated)", Organization: "shepconf test contour"}, cfg.Key, names...)
	if err != nil {
		return nil, err
	}
	return server.StartTLS(cfg.Addr, h, &tls.Config{Certificates: []tls.Certificate{id.TLSCertificate()},
		MinVersion: tls.VersionTLS13, ClientAuth: tls.RequestClientCert})
}

// authenticator checks Bearer tokens with ESIA: both services take ESIA's access tokens.
func authenticator(e *esia.ESIA) wire.Authenticate {
	return func(token string) (wire.Caller, error) {
		t, err := e.VerifyAccessToken(token)
		if errors.Is(err, esia.ErrTokenExpired) {
			return wire.Caller{}, msg.Errorf("%w: %v", wire.ErrTokenExpired, err)
		}
		if err != nil {
			return wire.Caller{}, err
		}
		return wire.Caller{System: t.ClientID, OrgOID: t.OrgOID, Subject: t.Subject, Roles: t.Roles}, nil
	}
}

// SystemSpec is an agency system to register: its client_id, its certificate (TLS client, JWT
// assertions, document signatures), the roles its employee holds, and its packet key when it has
// one already (a key of another length is replaced by a fresh one).
type SystemSpec struct {
	Mnemonic    string
	Certificate *x509.Certificate
	Roles       []string
	HMACKey     []byte
}

// Registration is what the contour gives a registered system: its organisation's id (its mailbox),
// the API key file for reading (Б.12) and the key of its packets' HMAC (GP-W-HMAC).
type Registration struct {
	Mnemonic string
	OrgOID   string
	APIKey   []byte
	HMACKey  []byte
}

// Register enters a system in ESIA (with its roles) and in the sending service (with its
// certificate and a fresh HMAC key), as the operator of Gospochta does when an agency connects.
func (c *Contour) Register(s SystemSpec) (Registration, error) {
	if s.Certificate == nil {
		return Registration{}, msg.Errorf("register %s: no certificate", s.Mnemonic)
	}
	certs := []*x509.Certificate{s.Certificate}
	if err := c.ESIA.Register(esia.System{Mnemonic: s.Mnemonic, Name: s.Mnemonic, Certificates: certs, Roles: s.Roles}); err != nil {
		return Registration{}, err
	}
	apiKey, err := c.ESIA.IssueAPIKey(s.Mnemonic)
	if err != nil {
		return Registration{}, err
	}
	key := s.HMACKey
	if len(key) != wire.KeySize {
		key = randomKey()
	}
	if err := c.Post.AddSystem(post.System{Mnemonic: s.Mnemonic, Certificates: certs, HMACKey: key}); err != nil {
		return Registration{}, err
	}
	sys, _ := c.ESIA.System(s.Mnemonic)
	return Registration{Mnemonic: s.Mnemonic, OrgOID: sys.OrgOID, APIKey: apiKey, HMACKey: key}, nil
}

// AddRecipient makes a citizen or organisation reachable by Gospochta, with a fresh AES-256 key for
// its personal-data fields (GP-W-ENC).
func (c *Contour) AddRecipient(id, name, kind string) (post.Recipient, error) {
	r := post.Recipient{ID: id, Name: name, Kind: kind, KeyID: id + "-k1", Key: randomKey()}
	return r, c.Post.AddRecipient(r)
}

// Recipients are the recipients a contour offers by default: a person and an organisation.
var Recipients = []struct{ ID, Name, Kind string }{
	{"R-0001", "Иванов Иван Иванович", "person"},
	{"R-0002", "ООО «Ромашка»", "organisation"},
}

// AddRecipients registers Recipients.
func (c *Contour) AddRecipients() error {
	for _, r := range Recipients {
		if _, err := c.AddRecipient(r.ID, r.Name, r.Kind); err != nil {
			return err
		}
	}
	return nil
}

// SampleMail puts n notices of the Authority in the organisation's mailbox, created one after
// another from start, 10 minutes apart. Each carries a signed PDF (GP-R-SIG); every third also a
// file that was deleted (GP-R-CARD: not downloadable), every fifth an unsigned text, and every
// fourth a scan whose signature is over other bytes, which a reader must not take for verified.
func (c *Contour) SampleMail(org string, start time.Time, n int) ([]geps.Message, error) {
	var out []geps.Message
	for i := range n {
		pdf := []byte(fmt.Sprintf("%%PDF-1.4\n%% Постановление о возбуждении исполнительного производства № %d\n%%%%EOF\n", i+1))
		sig, err := cms.SignDetached(c.Authority, pdf)
		if err != nil {
			return nil, err
		}
		m := geps.Message{ThreadUUID: uuid.NewString(), MessageUUID: uuid.NewString(), FeedTitle: AuthorityName,
			FeedSubtitle: fmt.Sprintf("Постановление № %d", i+1), Text: "Вам направлено постановление судебного пристава-исполнителя.",
			Created: start.Add(time.Duration(i) * 10 * time.Minute), Params: map[string]string{"caseNumber": fmt.Sprintf("%d/26/77001-ИП", 1000+i)},
			Attachments: []geps.File{{UUID: uuid.NewString(), Name: fmt.Sprintf("postanovlenie-%d.pdf", i+1), MimeType: "application/pdf",
				Content: pdf, Signature: sig, Status: wire.AttachmentReady}}}
		if i%3 == 2 {
			m.Attachments = append(m.Attachments, geps.File{UUID: uuid.NewString(), Name: "udalen.pdf", MimeType: "application/pdf",
				Content: []byte("%PDF-1.4\n%%EOF\n"), Status: wire.AttachmentDeleted})
		}
		if i%4 == 3 {
			scan := []byte(fmt.Sprintf("%%PDF-1.4\n%% Скан конверта № %d\n%%%%EOF\n", i+1))
			forged, err := cms.SignDetached(c.Authority, append(scan, " (другая редакция)"...))
			if err != nil {
				return nil, err
			}
			m.Attachments = append(m.Attachments, geps.File{UUID: uuid.NewString(), Name: ForgedPrefix + fmt.Sprintf("%d.pdf", i+1), MimeType: "application/pdf",
				Content: scan, Signature: forged, Status: wire.AttachmentReady})
		}
		if i%5 == 4 {
			m.Attachments = append(m.Attachments, geps.File{UUID: uuid.NewString(), Name: "soprovoditelnoe.txt", MimeType: "text/plain",
				Content: []byte("Сопроводительное письмо"), Status: wire.AttachmentReady})
		}
		if err := c.GEPS.AddMessage(org, m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ForgedPrefix begins the name of every sample attachment whose signature does not verify.
const ForgedPrefix = "skan-konverta-"

// Roots trusts the contour's server and verifies what its parties signed: what a client of the
// contour configures.
func (c *Contour) Roots() *x509.CertPool { return c.roots.Clone() }

// ClientTLS trusts the contour's server and presents id's certificate (none when id is nil), over
// TLS 1.3 as the sending API requires (GP-W-MTLS).
func (c *Contour) ClientTLS(id *pki.Identity) *tls.Config {
	cfg := &tls.Config{RootCAs: c.Roots(), MinVersion: tls.VersionTLS13}
	if id != nil {
		cfg.Certificates = []tls.Certificate{id.TLSCertificate()}
	}
	return cfg
}

// Close stops the server and the sending service's timers and pushes.
func (c *Contour) Close(ctx context.Context) {
	c.srv.Close(ctx)
	_ = c.Post.Close()
}

func randomKey() []byte {
	b := make([]byte, wire.KeySize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
}
