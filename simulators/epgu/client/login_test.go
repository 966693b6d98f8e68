package client

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

const testCallback = "https://agency.test/esia/callback"

// loginSetup is the ESIA simulator with LOGINSYS registered for testCallback, and a client of it.
func loginSetup(t *testing.T, defects ...string) (*esia.ESIA, *Client, *http.Client) {
	t.Helper()
	vc := clock.NewVirtual(time.Now())
	e, u, hc, id, _ := simulated(t, vc)
	if err := e.Register(esia.System{Mnemonic: "LOGINSYS", Certificates: []*x509.Certificate{id.Certificate},
		RedirectURIs: []string{testCallback}}); err != nil {
		t.Fatal(err)
	}
	c := New(Config{ESIAURL: u, HTTPClient: hc, Identity: id, Mnemonic: "LOGINSYS", Clock: vc, Defects: defects})
	// The browser: it stops at ESIA's redirect, as the harness does, to see where it leads.
	browser := *hc
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return e, c, &browser
}

// visit is the user's browser at the authorisation URL: the query of ESIA's redirect back.
func visit(t *testing.T, browser *http.Client, l Login) url.Values {
	t.Helper()
	resp, err := browser.Get(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("ESIA answered %d to the authorisation URL, want 302", resp.StatusCode)
	}
	if back := loc.Scheme + "://" + loc.Host + loc.Path; back != testCallback {
		t.Fatalf("ESIA sent the browser to %s, want the redirect_uri %s", back, testCallback)
	}
	return loc.Query()
}

// A citizen signs in (ESIA-OAUTH): a signed authorisation URL with a fresh UUID state and the
// citizen's scopes, then the code of the callback exchanged for a token ESIA verifies.
func TestLoginThroughTheAuthorisationCodeFlow(t *testing.T) {
	e, c, browser := loginSetup(t)
	l, err := c.StartLogin(testCallback)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(l.State); err != nil || l.Scope != LoginScope || !strings.Contains(l.URL, esia.PathAuthorize) {
		t.Fatalf("login %+v: want a UUID state, scope %q and ESIA's authorisation URL", l, LoginScope)
	}
	back := visit(t, browser, l)
	if back.Get("state") != l.State || back.Get("code") == "" {
		t.Fatalf("ESIA's redirect %v, want a code and the state %s", back, l.State)
	}
	tok, err := c.FinishLogin(context.Background(), l, back)
	if err != nil {
		t.Fatal(err)
	}
	at, err := e.VerifyAccessToken(tok.AccessToken)
	if err != nil || at.ClientID != "LOGINSYS" {
		t.Fatalf("token %+v (%v), want one ESIA issued to LOGINSYS", at, err)
	}
}

// A callback with a state the login did not send is refused before any exchange: it may be a
// forged one (ESIA-OAUTH: state protects against request forgery).
func TestLoginRefusesAForeignState(t *testing.T) {
	e, c, browser := loginSetup(t)
	l, err := c.StartLogin(testCallback)
	if err != nil {
		t.Fatal(err)
	}
	back := visit(t, browser, l)
	back.Set("state", uuid.NewString())
	if _, err := c.FinishLogin(context.Background(), l, back); !errors.Is(err, ErrForeignState) {
		t.Fatalf("err = %v, want ErrForeignState", err)
	}
	for _, ev := range e.Events() {
		if ev.Endpoint == esia.PathToken {
			t.Errorf("the code was exchanged despite the foreign state: %+v", ev)
		}
	}
}

// The stale-timestamp defect signs a timestamp two hours old: ESIA refuses with ESIA-007015 and
// sends the browser back with the error, which FinishLogin reports.
func TestLoginWithAStaleTimestampIsRefused(t *testing.T) {
	e, c, browser := loginSetup(t, DefectStaleTimestamp)
	l, err := c.StartLogin(testCallback)
	if err != nil {
		t.Fatal(err)
	}
	back := visit(t, browser, l)
	_, err = c.FinishLogin(context.Background(), l, back)
	var re *esia.ResponseError
	if !errors.As(err, &re) || re.Code() != esia.ESIA007015.ID {
		t.Fatalf("err = %v, want ESIA's ESIA-007015", err)
	}
	evs := e.Events()
	if last := evs[len(evs)-1]; last.Outcome != esia.Refused || last.Code != esia.ESIA007015.ID {
		t.Errorf("ESIA's last event %+v, want the code request refused ESIA-007015", last)
	}
}
