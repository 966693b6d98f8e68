package gospochta

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/gospochta/post"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
	"github.com/shepconf/shepconf/simulators/nca"
)

// Where shepconf serve --profile gospochta listens unless told otherwise.
const (
	DefaultListen   = "127.0.0.1:9446" // the contour (HTTPS): ESIA, the reading and the sending API
	DefaultListenCA = "127.0.0.1:9083" // the CA (HTTP): OCSP, CRL, time stamps
)

// The specified pace of the contour, shrunk by StandaloneConfig.TimeScale: the reading API prepares
// a search's list in about an hour (GP-R-TASK); the sending service's delays to delivered and read
// and its pause between pushes are the simulator's (post's defaults).
const (
	standaloneDeliveryDelay = 30 * time.Second
	standaloneReadDelay     = 2 * time.Minute
	standaloneRetryPause    = 5 * time.Second
)

// StandaloneRoles are the roles a standalone system's employee holds: it may send (operator, the
// first, which a JWT assertion gets unless it asks for another: GP-W-ROLE) and read its
// organisation's mail (head: GP-R-ROLE); asking for client shows the 403 of a role that may not send.
var StandaloneRoles = []string{wire.RoleOperator, wire.RoleHead, wire.RoleClient}

// Files of a system's folder below a standalone contour's state folder.
const (
	APIKeyFile  = "api-key.csv" // the API key ESIA issued for reading (Б.12), CSV with an api_key column
	HMACKeyFile = "hmac.key"    // the system's packet key (GP-W-HMAC): 32 bytes, base64 on one line
	SystemFile  = "system.json" // SystemInfo: where the contour is and who the system is there
)

// RecipientsFile is the state folder's list of recipients with their AES-256 keys (GP-W-ENC): what
// GET /recipients/{id} answers, kept so a message encrypted before a restart still opens.
const RecipientsFile = "recipients.json"

// StandaloneConfig is what shepconf serve --profile gospochta runs: the contour for an agency's own
// system, with the CA, the systems' certificates and the recipients' keys kept in a state folder
// across restarts.
type StandaloneConfig struct {
	State    string // the state folder: the CA's keys, the exported CA chain, recipients, each system's files
	Listen   string // the contour (HTTPS); DefaultListen when empty
	ListenCA string // the CA (OCSP, CRL, time stamps); DefaultListenCA when empty
	// Systems are the mnemonics to register, each with a certificate, a key, an API key file and an
	// HMAC key of its own.
	Systems []string
	Hosts   []string // further names for the contour's certificate (the host clients dial)
	Key     pki.KeyType
	Logger  *slog.Logger // nil: slog.Default()
	// TimeScale shrinks the search task's hour, the delays to delivered and read and the pause
	// between pushes (0 or 1: as specified), so a client's developer need not wait for them.
	TimeScale float64
}

// SystemInfo is a system's system.json: what its configuration needs beside its keys.
type SystemInfo struct {
	Mnemonic string   `json:"mnemonic"` // client_id at ESIA: iss and sub of its JWT assertions
	OrgOID   string   `json:"orgOid"`   // its organisation at ESIA, whose Gospochta mailbox it reads
	Roles    []string `json:"roles"`    // the roles a token may carry (the first by default)
	URL      string   `json:"url"`      // the contour: ESIA, the reading and the sending API below it
}

// Standalone is a running standalone contour.
type Standalone struct {
	*Contour
	NCAURL     string
	cfg        StandaloneConfig
	nca        *server.Server
	log        *slog.Logger
	systems    []enrolled
	recipients []wire.Recipient
}

// enrolled is a system the standalone contour registered, its folder and its sample mail.
type enrolled struct {
	info SystemInfo
	dir  string
	mail int
}

// StandaloneSystem is the folder of a system's files below a state folder.
func StandaloneSystem(state, mnemonic string) string {
	return filepath.Join(state, "systems", mnemonic)
}

// mnemonicFolder is what a mnemonic may be here: ESIA's 1-64 letters, digits, '_', '.', '-', and
// since it names a folder of the state, not starting with a dot.
var mnemonicFolder = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$`)

// CheckMnemonics says what is wrong with a list of system mnemonics, naming the mnemonic.
func CheckMnemonics(mnemonics []string) error {
	if len(mnemonics) == 0 {
		return errors.New("no system: give at least one mnemonic")
	}
	seen := map[string]bool{}
	for _, m := range mnemonics {
		switch {
		case !mnemonicFolder.MatchString(m):
			return fmt.Errorf("mnemonic %q: a mnemonic here is 1-64 letters, digits, '_', '.' or '-', not starting with '.'", m)
		case seen[m]:
			return fmt.Errorf("mnemonic %q is given twice", m)
		}
		seen[m] = true
	}
	return nil
}

// Serve starts the CA and the contour, registers the recipients and the systems, fills each
// system's mailbox with sample mail and writes their files.
func Serve(cfg StandaloneConfig) (*Standalone, error) {
	if cfg.State == "" {
		return nil, errors.New("gospochta contour: no state folder")
	}
	if err := CheckMnemonics(cfg.Systems); err != nil {
		return nil, fmt.Errorf("gospochta contour: %w", err)
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.ListenCA == "" {
		cfg.ListenCA = DefaultListenCA
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	ca, err := nca.LoadOrCreate("Test CA of the Gospochta contour", filepath.Join(cfg.State, "ca"))
	if err != nil {
		return nil, fmt.Errorf("gospochta contour: CA state in %s: %w", cfg.State, err)
	}
	caSrv, err := ca.Serve(cfg.ListenCA)
	if err != nil {
		return nil, fmt.Errorf("gospochta contour: CA at %s: %w", cfg.ListenCA, err)
	}
	scale := cfg.scale()
	c, err := Start(Config{NCA: ca, Addr: cfg.Listen, Hosts: cfg.Hosts, Key: cfg.Key,
		SearchWait: scaled(wire.DefaultSearchWait, scale), DeliveryDelay: scaled(standaloneDeliveryDelay, scale),
		ReadDelay: scaled(standaloneReadDelay, scale), RetryPause: scaled(standaloneRetryPause, scale)})
	if err != nil {
		caSrv.Close(context.Background())
		return nil, fmt.Errorf("gospochta contour at %s: %w", cfg.Listen, err)
	}
	s := &Standalone{Contour: c, NCAURL: caSrv.URL(), cfg: cfg, nca: caSrv, log: log}
	if err := s.setUp(ca); err != nil {
		s.Close(context.Background())
		return nil, err
	}
	return s, nil
}

// scale is the configured time scale (1 when 0 or out of (0, 1]).
func (c StandaloneConfig) scale() float64 {
	if c.TimeScale <= 0 || c.TimeScale > 1 {
		return 1
	}
	return c.TimeScale
}

// scaled is d shrunk by scale, never below a millisecond; at scale 1 it is d.
func scaled(d time.Duration, scale float64) time.Duration {
	return max(time.Duration(float64(d)*scale), time.Millisecond)
}

// setUp writes the CA chain, registers the recipients and the systems, and keeps the CA's record
// of what it issued, so a restart finds the systems' certificates its own.
func (s *Standalone) setUp(ca *nca.Authority) error {
	if err := os.WriteFile(filepath.Join(s.cfg.State, "ca-chain.pem"), pki.PEM(ca.Intermediate(), ca.Root()), 0o644); err != nil {
		return err
	}
	if err := s.addRecipients(); err != nil {
		return err
	}
	for _, m := range s.cfg.Systems {
		if err := s.enrol(ca, m); err != nil {
			return fmt.Errorf("system %s: %w", m, err)
		}
	}
	return ca.Save(filepath.Join(s.cfg.State, "ca"))
}

// addRecipients registers the default recipients with the keys the state folder keeps (new ones
// for a recipient it does not have yet) and writes the list back.
func (s *Standalone) addRecipients() error {
	path := filepath.Join(s.cfg.State, RecipientsFile)
	known, err := readRecipients(path)
	if err != nil {
		return err
	}
	byID := map[string]wire.Recipient{}
	for _, r := range known {
		byID[r.ID] = r
	}
	for _, d := range Recipients {
		r, ok := byID[d.ID]
		if ok {
			key, _ := base64.StdEncoding.DecodeString(r.Key) // readRecipients checked it
			err = s.Post.AddRecipient(post.Recipient{ID: r.ID, Name: r.Name, Kind: r.Kind, KeyID: r.KeyID, Key: key})
		} else {
			var added post.Recipient
			added, err = s.AddRecipient(d.ID, d.Name, d.Kind)
			r = wire.Recipient{ID: added.ID, Name: added.Name, Kind: added.Kind, KeyID: added.KeyID,
				Key: base64.StdEncoding.EncodeToString(added.Key)}
		}
		if err != nil {
			return fmt.Errorf("recipient %s: %w", d.ID, err)
		}
		s.recipients = append(s.recipients, r)
	}
	raw, err := json.MarshalIndent(s.recipients, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o600)
}

// readRecipients reads the recipients a previous start wrote; none when there is no file. A
// damaged file is named with the fix rather than replaced: messages sealed with its keys would no
// longer open.
func readRecipients(path string) ([]wire.Recipient, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var list []wire.Recipient
	if err == nil {
		err = json.Unmarshal(raw, &list)
	}
	for i := 0; err == nil && i < len(list); i++ {
		r := list[i]
		key, kerr := base64.StdEncoding.DecodeString(r.Key)
		switch {
		case r.ID == "" || r.KeyID == "":
			err = fmt.Errorf("entry %d has no id or keyId", i)
		case kerr != nil || len(key) != wire.KeySize:
			err = fmt.Errorf("recipient %s: key is not base64 of %d bytes (AES-256)", r.ID, wire.KeySize)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v; delete the file to have new recipient keys issued", path, err)
	}
	return list, nil
}

// sampleMail is where the sample notices of a system's mailbox lie: batches over the last three
// days, the last ending about an hour ago, so that a search of one day (GP-R-RANGE) finds some
// whatever the hour.
var sampleMail = []struct {
	ago time.Duration
	n   int
}{{3 * 24 * time.Hour, 3}, {2 * 24 * time.Hour, 3}, {26 * time.Hour, 3}, {2 * time.Hour, 5}}

// enrol gives a system what the operator of Gospochta gives an agency that connects: a test
// certificate and key from the CA (its TLS client certificate, the key of its JWT assertions and
// its documents' signer; kept across restarts), its registration at ESIA with its roles and at the
// sending service, the API key file, the HMAC key, and mail in its organisation's mailbox.
func (s *Standalone) enrol(ca *nca.Authority, mnemonic string) error {
	dir := StandaloneSystem(s.cfg.State, mnemonic)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	id, err := pki.LoadIdentity(certPath, keyPath)
	if err != nil || !ca.Knows(id.Certificate) {
		if id, err = ca.Issue(nca.Subject{CommonName: mnemonic, Organization: mnemonic}, s.cfg.Key); err != nil {
			return err
		}
		if err := pki.SaveIdentity(id, certPath, keyPath); err != nil {
			return err
		}
	}
	// The packet key survives restarts like the certificate: an agency configures it once.
	var key []byte
	if raw, err := os.ReadFile(filepath.Join(dir, HMACKeyFile)); err == nil {
		key, _ = base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	}
	reg, err := s.Register(SystemSpec{Mnemonic: mnemonic, Certificate: id.Certificate, Roles: StandaloneRoles, HMACKey: key})
	if err != nil {
		return err
	}
	info := SystemInfo{Mnemonic: mnemonic, OrgOID: reg.OrgOID, Roles: StandaloneRoles, URL: s.URL}
	raw, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		APIKeyFile:  reg.APIKey,
		HMACKeyFile: []byte(base64.StdEncoding.EncodeToString(reg.HMACKey) + "\n"),
		SystemFile:  append(raw, '\n'),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	now, mail := time.Now(), 0
	for _, b := range sampleMail {
		got, err := s.SampleMail(reg.OrgOID, now.Add(-b.ago), b.n)
		if err != nil {
			return fmt.Errorf("sample mail: %w", err)
		}
		mail += len(got)
	}
	s.systems = append(s.systems, enrolled{info: info, dir: dir, mail: mail})
	s.log.Info("gospochta system registered", "mnemonic", mnemonic, "org", reg.OrgOID, "folder", dir, "mail", mail)
	return nil
}

// Systems are the systems registered from the configuration, in its order.
func (s *Standalone) Systems() []SystemInfo {
	out := make([]SystemInfo, len(s.systems))
	for i, e := range s.systems {
		out[i] = e.info
	}
	return out
}

// Recipients are the recipients registered, with their keys, as recipients.json holds them.
func (s *Standalone) Recipients() []wire.Recipient {
	return append([]wire.Recipient(nil), s.recipients...)
}

// Describe prints where everything is, for the configuration of the agency's system.
func (s *Standalone) Describe(w io.Writer) {
	scale := s.cfg.scale()
	fmt.Fprintf(w, "Gospochta test contour (simulated; HTTPS, TLS 1.3 only)\n  Contour:  %s\n", s.URL)
	fmt.Fprintf(w, "  ESIA:     %s  (GET %s: the API-key token for reading; POST %s: grant_type %s with a JWT assertion and role, then %s)\n",
		s.URL, esia.PathAPIKeyToken, esia.PathToken, esia.GrantJWTBearer, esia.GrantRefreshToken)
	fmt.Fprintf(w, "  Reading:  %s  (published GEPS API v1.0: POST /search, GET /search/{searchTaskUuid}?offset&limit, GET /message/{threadUuid}/{messageUuid}, GET /attachment/{messageUuid}/{attachmentUuid}/file|sig; lists ready after %s)\n",
		s.URL+wire.ReadBase, scaled(wire.DefaultSearchWait, scale))
	fmt.Fprintf(w, "  Sending:  %s  (the walkthrough's: client certificate, %s, %s; GET /recipients/{id}, POST /messages, GET /messages/{id}, GET /messages/{id}/receipt, GET /registry/{hash}; delivered after %s, read %s later)\n",
		s.URL+wire.SendBase, wire.HeaderRequestID, wire.HeaderHMAC, scaled(standaloneDeliveryDelay, scale), scaled(standaloneReadDelay, scale))
	fmt.Fprintf(w, "  CA:       %s  (OCSP, CRL, time stamps at %s)\n  CA chain: %s\n", s.NCAURL, s.NCAURL+nca.TSPPath, filepath.Join(s.cfg.State, "ca-chain.pem"))
	var names []string
	for _, r := range s.recipients {
		names = append(names, fmt.Sprintf("%s %s «%s»", r.ID, r.Kind, r.Name))
	}
	fmt.Fprintf(w, "  Recipients: %s  (%s)\n", filepath.Join(s.cfg.State, RecipientsFile), strings.Join(names, ", "))
	for _, e := range s.systems {
		fmt.Fprintf(w, "  system %s (org %s, roles %s): cert.pem, key.pem, %s, %s, %s in %s; %d notices in its mailbox over the last 3 days\n",
			e.info.Mnemonic, e.info.OrgOID, strings.Join(e.info.Roles, ","), APIKeyFile, HMACKeyFile, SystemFile, e.dir, e.mail)
	}
}

// Close stops the contour and the CA.
func (s *Standalone) Close(ctx context.Context) {
	s.Contour.Close(ctx)
	s.nca.Close(ctx)
}
