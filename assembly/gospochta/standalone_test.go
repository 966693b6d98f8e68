package gospochta

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

func serveStandalone(t *testing.T, cfg StandaloneConfig) *Standalone {
	t.Helper()
	cfg.Listen, cfg.ListenCA, cfg.Key = "127.0.0.1:0", "127.0.0.1:0", pki.ECDSAP256
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := Serve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// exported is a system as an agency configures it from the state folder: its identity, its API key,
// its HMAC key, and an HTTPS client trusting only the exported CA chain and presenting its
// certificate (GP-W-MTLS).
type exported struct {
	info   SystemInfo
	id     *pki.Identity
	apiKey string
	hmac   []byte
	http   *http.Client
}

func readExported(t *testing.T, state, mnemonic string) exported {
	t.Helper()
	dir := StandaloneSystem(state, mnemonic)
	var e exported
	raw, err := os.ReadFile(filepath.Join(dir, SystemFile))
	if err != nil || json.Unmarshal(raw, &e.info) != nil {
		t.Fatalf("%s: %v", SystemFile, err)
	}
	if e.id, err = pki.LoadIdentity(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")); err != nil {
		t.Fatal(err)
	}
	raw, err = os.ReadFile(filepath.Join(dir, APIKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	key, err := esia.ParseAPIKey(raw)
	if err != nil {
		t.Fatalf("%s: %v", APIKeyFile, err)
	}
	e.apiKey = key.Key
	raw, err = os.ReadFile(filepath.Join(dir, HMACKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if e.hmac, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw))); err != nil || len(e.hmac) != wire.KeySize {
		t.Fatalf("%s: %q is not base64 of %d bytes (%v)", HMACKeyFile, raw, wire.KeySize, err)
	}
	chain, err := os.ReadFile(filepath.Join(state, "ca-chain.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(chain) {
		t.Fatal("ca-chain.pem holds no certificate")
	}
	e.http = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool,
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{e.id.TLSCertificate()}}}}
	return e
}

func (e exported) esia() *esia.Client {
	return &esia.Client{BaseURL: e.info.URL, Mnemonic: e.info.Mnemonic, Identity: e.id, HTTPClient: e.http}
}

// call makes one request with a Bearer token; with an HMAC key it is a packet of the sending API
// (GP-W-AUDIT, GP-W-HMAC).
func (e exported) call(t *testing.T, method, path, token string, body []byte, hmacKey []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.info.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if hmacKey != nil {
		req.Header.Set(wire.HeaderRequestID, uuid.NewString())
		wire.SignPacket(hmacKey, req, body)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// The exported files are all an agency's system needs: with the API key it reads the sample mail
// of its organisation (GP-R-AUTH, GP-R-TASK), with its certificate, a JWT assertion and the HMAC key
// it asks the sending API for a recipient's key, the one recipients.json holds (GP-W-ENC).
func TestStandaloneFilesServeAClient(t *testing.T) {
	state := t.TempDir()
	s := serveStandalone(t, StandaloneConfig{State: state, Systems: []string{"GP_A", "GP_B"}, TimeScale: 0.0001})
	var described bytes.Buffer
	s.Describe(&described)
	for _, want := range []string{s.URL, s.URL + wire.ReadBase, s.URL + wire.SendBase, "system GP_A", "system GP_B",
		filepath.Join(state, RecipientsFile), "R-0001", filepath.Join(state, "ca-chain.pem"), esia.GrantJWTBearer} {
		if !strings.Contains(described.String(), want) {
			t.Errorf("Describe lacks %q:\n%s", want, described.String())
		}
	}
	a := readExported(t, state, "GP_A")
	if a.info.Mnemonic != "GP_A" || a.info.URL != s.URL || a.info.OrgOID == "" || a.info.Roles[0] != wire.RoleOperator {
		t.Fatalf("%s: %+v", SystemFile, a.info)
	}
	if b := readExported(t, state, "GP_B"); b.info.OrgOID == a.info.OrgOID || bytes.Equal(b.hmac, a.hmac) {
		t.Error("two systems share an organisation or an HMAC key")
	}

	ctx := context.Background()
	token, err := a.esia().APIKeyToken(ctx, a.apiKey)
	if err != nil {
		t.Fatalf("API-key token with the exported files: %v", err)
	}
	now := time.Now().In(wire.Moscow)
	search, _ := json.Marshal(wire.SearchRequest{StartDateTime: now.Add(-wire.MaxRange + time.Minute).Format(wire.TimeLayout),
		EndDateTime: now.Format(wire.TimeLayout), StatusFilter: wire.FilterAny})
	code, body := a.call(t, http.MethodPost, wire.PathSearch, token, search, nil)
	var created wire.SearchCreated
	if code != http.StatusOK && code != http.StatusCreated || json.Unmarshal(body, &created) != nil || created.SearchTaskUUID == "" {
		t.Fatalf("search: HTTP %d %s", code, body)
	}
	time.Sleep(time.Second) // the hour of GP-R-TASK at scale 0.0001 is 0.36 s
	code, body = a.call(t, http.MethodGet, strings.Replace(wire.PathSearchTask, "{searchTaskUuid}", created.SearchTaskUUID, 1)+"?offset=0&limit=100", token, nil, nil)
	var result wire.SearchResult
	if code != http.StatusOK || json.Unmarshal(body, &result) != nil {
		t.Fatalf("search result: HTTP %d %s", code, body)
	}
	if result.SearchTaskStatus != wire.TaskCompleted || result.Total < 5 || len(result.MessageList) != result.Total {
		t.Errorf("search of the last day: %s with %d of %d messages; want COMPLETED with the 5 notices of two hours ago", result.SearchTaskStatus, len(result.MessageList), result.Total)
	}

	tok, err := a.esia().AssertionToken(ctx, wire.RoleOperator)
	if err != nil {
		t.Fatalf("JWT-assertion token with the exported certificate and key: %v", err)
	}
	code, body = a.call(t, http.MethodGet, strings.Replace(wire.PathRecipient, "{recipientId}", "R-0001", 1), tok.AccessToken, nil, a.hmac)
	var served wire.Recipient
	if code != http.StatusOK || json.Unmarshal(body, &served) != nil {
		t.Fatalf("recipient R-0001: HTTP %d %s", code, body)
	}
	if kept := s.Recipients()[0]; served.ID != "R-0001" || served.Key != kept.Key || served.KeyID != kept.KeyID {
		t.Errorf("the sending API serves R-0001 with key %s/%s, %s holds %s/%s", served.KeyID, served.Key, RecipientsFile, kept.KeyID, kept.Key)
	}
	if code, body = a.call(t, http.MethodGet, strings.Replace(wire.PathRecipient, "{recipientId}", "R-0001", 1), tok.AccessToken, nil, bytes.Repeat([]byte{1}, wire.KeySize)); code != http.StatusUnauthorized {
		t.Errorf("a packet with another HMAC key: HTTP %d %s, want 401 %s", code, body, wire.CodeHMAC)
	}
}

// The CA, the systems' certificates and the recipients' keys survive a restart, so an agency's
// system configured once keeps its trust and a message sealed before still opens; API and HMAC keys
// are issued anew at each start and rewritten.
func TestStandaloneKeepsStateAcrossRestart(t *testing.T) {
	state := t.TempDir()
	first := serveStandalone(t, StandaloneConfig{State: state, Systems: []string{"GP_A"}})
	read := func(parts ...string) []byte {
		raw, err := os.ReadFile(filepath.Join(append([]string{state}, parts...)...))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	chain, cert, recipients := read("ca-chain.pem"), read("systems", "GP_A", "cert.pem"), read(RecipientsFile)
	before := readExported(t, state, "GP_A")
	info := before.info
	first.Close(context.Background())

	second := serveStandalone(t, StandaloneConfig{State: state, Systems: []string{"GP_NEW", "GP_A"}})
	if !bytes.Equal(chain, read("ca-chain.pem")) || !bytes.Equal(cert, read("systems", "GP_A", "cert.pem")) {
		t.Error("after a restart the CA chain or a system's certificate changed")
	}
	if !bytes.Equal(recipients, read(RecipientsFile)) {
		t.Errorf("after a restart %s changed:\n%s\nbefore:\n%s", RecipientsFile, read(RecipientsFile), recipients)
	}
	if !bytes.Equal(readExported(t, state, "GP_A").hmac, before.hmac) {
		t.Errorf("after a restart the packet key in %s changed: an agency would have to configure it again", HMACKeyFile)
	}
	if now := readExported(t, state, "GP_A").info; now.URL != second.URL || now.Mnemonic != info.Mnemonic {
		t.Errorf("%s after a restart: %+v; the contour listens at %s", SystemFile, now, second.URL)
	}
	if got := second.Systems(); len(got) != 2 || got[0].Mnemonic != "GP_NEW" || got[1].Mnemonic != "GP_A" {
		t.Errorf("systems %+v, want GP_NEW then GP_A", got)
	}
}

// A damaged recipients file is named with the fix, not silently replaced: messages sealed with its
// keys would no longer open.
func TestStandaloneRefusesDamagedRecipients(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":  `[{"id":"R-0001"`,
		"short key": `[{"id":"R-0001","keyId":"k","key":"AAAA"}]`,
		"no key id": `[{"id":"R-0001","key":"` + base64.StdEncoding.EncodeToString(make([]byte, wire.KeySize)) + `"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			state := t.TempDir()
			if err := os.WriteFile(filepath.Join(state, RecipientsFile), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Serve(StandaloneConfig{State: state, Listen: "127.0.0.1:0", ListenCA: "127.0.0.1:0", Systems: []string{"GP_A"}, Key: pki.ECDSAP256,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err == nil || !strings.Contains(err.Error(), RecipientsFile) || !strings.Contains(err.Error(), "delete the file") {
				t.Fatalf("got %v: want the file named and the fix", err)
			}
		})
	}
}

func TestStandaloneChecksMnemonics(t *testing.T) {
	for name, c := range map[string]struct {
		mnemonics []string
		want      string
	}{
		"none":     {nil, "at least one"},
		"a path":   {[]string{"../etc"}, "letters, digits"},
		"a dot":    {[]string{".hidden"}, "not starting with '.'"},
		"twice":    {[]string{"GP_A", "GP_A"}, "twice"},
		"too long": {[]string{strings.Repeat("A", 65)}, "1-64"},
	} {
		t.Run(name, func(t *testing.T) {
			err := CheckMnemonics(c.mnemonics)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error saying %q", err, c.want)
			}
		})
	}
	if err := CheckMnemonics([]string{DefaultMnemonic, "AGENCY.IS-2"}); err != nil {
		t.Errorf("valid mnemonics refused: %v", err)
	}
}
