package smdo

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/smdo/router"
)

func serveStandalone(t *testing.T, cfg StandaloneConfig) *Standalone {
	t.Helper()
	cfg.Addr, cfg.NCAAddr, cfg.Key = "127.0.0.1:0", "127.0.0.1:0", pki.ECDSAP256
	s, err := Serve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func readCredentials(t *testing.T, state, code string) Credentials {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(StandaloneSubscriber(state, code), CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	var cr Credentials
	if err := json.Unmarshal(raw, &cr); err != nil {
		t.Fatalf("%s: %v", CredentialsFile, err)
	}
	return cr
}

// tokenStatus asks the router for a token with the credentials, over HTTPS trusting only the
// exported CA chain, as a СЭД configured from the state folder does (SMDO-TOKEN).
func tokenStatus(t *testing.T, state string, cr Credentials) int {
	t.Helper()
	chain, err := os.ReadFile(filepath.Join(state, "ca-chain.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(chain) {
		t.Fatal("ca-chain.pem holds no certificate")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodPost, cr.RouterURL+"token?scope=application&grant_type=client_credentials", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(cr.Username, cr.Password)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("token at %s: %v", cr.RouterURL, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

// The state folder keeps the CA and every subscriber's credentials, idAbonent and certificate
// across a restart, so an agency's СЭД configured once keeps working; a subscriber added later gets
// an id of its own.
func TestStandaloneKeepsStateAcrossRestart(t *testing.T) {
	state := t.TempDir()
	first := serveStandalone(t, StandaloneConfig{State: state, Subscribers: []string{"SMDO-A", "SMDO-B"}, Counterpart: true, TimeScale: 0.1})
	var described bytes.Buffer
	first.Describe(&described)
	for _, want := range []string{first.URL, "subscriber SMDO-A (idAbonent 1001)", "subscriber SMDO-B (idAbonent 1002)",
		"counterpart " + CounterpartCode, "2s", filepath.Join(state, "ca-chain.pem")} {
		if !strings.Contains(described.String(), want) {
			t.Errorf("Describe lacks %q:\n%s", want, described.String())
		}
	}
	a, b := readCredentials(t, state, "SMDO-A"), readCredentials(t, state, "SMDO-B")
	if a.ID != "1001" || b.ID != "1002" || a.Code != "SMDO-A" || a.Username == "" || a.Password == "" || a.RouterURL != first.URL {
		t.Fatalf("credentials %+v and %+v", a, b)
	}
	if code := tokenStatus(t, state, a); code != http.StatusOK {
		t.Fatalf("token for the exported credentials: %d", code)
	}
	wrong := a
	wrong.Password += "x"
	if code := tokenStatus(t, state, wrong); code != http.StatusUnauthorized {
		t.Errorf("token for a wrong password: %d, want 401", code)
	}
	counterpart := findSubscriber(first.Router.Subscribers(), CounterpartID)
	if counterpart == nil || counterpart.Script == nil || counterpart.Username != "" || counterpart.Script.ConfirmAfter != 2*time.Second {
		t.Errorf("counterpart %+v: want a scripted subscriber without credentials, confirming after 2s at scale 0.1", counterpart)
	}
	chain, _ := os.ReadFile(filepath.Join(state, "ca-chain.pem"))
	certA, _ := os.ReadFile(filepath.Join(StandaloneSubscriber(state, "SMDO-A"), "cert.pem"))
	first.Close(context.Background())

	second := serveStandalone(t, StandaloneConfig{State: state, Subscribers: []string{"SMDO-NEW", "SMDO-B", "SMDO-A"}, Counterpart: true})
	chain2, _ := os.ReadFile(filepath.Join(state, "ca-chain.pem"))
	certA2, _ := os.ReadFile(filepath.Join(StandaloneSubscriber(state, "SMDO-A"), "cert.pem"))
	if !bytes.Equal(chain, chain2) || !bytes.Equal(certA, certA2) {
		t.Error("after a restart the CA chain or a subscriber's certificate changed")
	}
	a2, b2, added := readCredentials(t, state, "SMDO-A"), readCredentials(t, state, "SMDO-B"), readCredentials(t, state, "SMDO-NEW")
	if a2.Username != a.Username || a2.Password != a.Password || a2.ID != a.ID || b2.ID != b.ID || b2.Password != b.Password {
		t.Errorf("after a restart: %+v %+v, before %+v %+v", a2, b2, a, b)
	}
	if added.ID == a.ID || added.ID == b.ID || added.ID == CounterpartID || added.ID == "" {
		t.Errorf("the added subscriber got id %q, taken or empty", added.ID)
	}
	if a2.RouterURL != second.URL {
		t.Errorf("routerURL %s, the router now listens at %s", a2.RouterURL, second.URL)
	}
	if code := tokenStatus(t, state, a2); code != http.StatusOK {
		t.Errorf("token after a restart with the kept credentials: %d", code)
	}
	registered := findSubscriber(second.Router.Subscribers(), a.ID)
	if registered == nil || len(registered.Certificates) != 1 || !bytes.Contains(certA2, pki.PEM(registered.Certificates[0])) {
		t.Errorf("subscriber %s is not registered with its exported certificate (SMDO-SIGN)", a.ID)
	}
}

func findSubscriber(subs []router.Subscriber, id string) *router.Subscriber {
	for i := range subs {
		if subs[i].ID == id {
			return &subs[i]
		}
	}
	return nil
}

// A damaged credentials file is named with the fix, not silently replaced: the СЭД configured
// with it would stop working unnoticed.
func TestStandaloneRefusesDamagedCredentials(t *testing.T) {
	state := t.TempDir()
	dir := StandaloneSubscriber(state, "SMDO-A")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, CredentialsFile), []byte(`{"code":"SMDO-A"`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Serve(StandaloneConfig{State: state, Addr: "127.0.0.1:0", NCAAddr: "127.0.0.1:0", Subscribers: []string{"SMDO-A"}, Key: pki.ECDSAP256})
	if err == nil || !strings.Contains(err.Error(), CredentialsFile) || !strings.Contains(err.Error(), "delete the file") {
		t.Fatalf("got %v: want the file named and the fix", err)
	}
}

func TestStandaloneChecksSubscriberCodes(t *testing.T) {
	for name, c := range map[string]struct {
		codes       []string
		counterpart bool
		want        string
	}{
		"none":                 {nil, true, "at least one"},
		"a path":               {[]string{"../etc"}, false, "letters, digits"},
		"the router's":         {[]string{router.RouterID}, false, "router's own"},
		"the counterpart's":    {[]string{CounterpartCode}, true, "counterpart"},
		"twice":                {[]string{"SMDO-A", "SMDO-A"}, false, "twice"},
		"too long for the tag": {[]string{strings.Repeat("A", 65)}, false, "1-64"},
	} {
		t.Run(name, func(t *testing.T) {
			err := CheckSubscribers(c.codes, c.counterpart)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error saying %q", err, c.want)
			}
		})
	}
	if err := CheckSubscribers([]string{CounterpartCode}, false); err != nil {
		t.Errorf("without the counterpart its code is free: %v", err)
	}
}
