package epgu

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
	"github.com/shepconf/shepconf/simulators/nca"
)

// loginContour is a contour with ESIA only in use, and the reference client's identity.
func loginContour(t *testing.T) (*Contour, *pki.Identity, *nca.Authority) {
	t.Helper()
	ca, err := nca.New("reference login test CA")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(Config{NCA: ca, Key: pki.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	id, err := ca.Issue(nca.Subject{CommonName: "REF_IS"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return c, id, ca
}

// browse plays the user's browser: the authorisation URL at ESIA (stopping at its redirect), then
// the system's callback, with the callback's state replaced when foreign is set. It returns the
// callback's status.
func browse(t *testing.T, c *Contour, authURL string, foreign bool) int {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: c.ClientTLS()},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("ESIA answered %d, want 302 back to the system", resp.StatusCode)
	}
	if foreign {
		q := back.Query()
		q.Set("state", uuid.NewString())
		back.RawQuery = q.Encode()
	}
	resp, err = hc.Get(back.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func loginRequest(c *Contour, ca *nca.Authority) trigger.Request {
	return trigger.Request{Action: trigger.Login, Channel: trigger.EPGU, Auth: c.ESIAURL, CA: string(pki.PEM(ca.Intermediate(), ca.Root()))}
}

// exchanged counts the codes ESIA exchanged for REF_IS's tokens.
func exchanged(c *Contour) int {
	n := 0
	for _, e := range c.ESIA.Events() {
		if e.Mnemonic == "REF_IS" && e.Endpoint == esia.PathToken && e.Outcome == esia.Issued {
			n++
		}
	}
	return n
}

// Behind its HTTP trigger the reference client answers a login with the authorisation URL and
// serves the callback on the same handler: the code of ESIA's redirect is exchanged (ESIA-OAUTH),
// a callback with a foreign state refused.
func TestReferenceSignsACitizenInBehindItsTrigger(t *testing.T) {
	c, id, ca := loginContour(t)
	ref := &Reference{Identity: id, Mnemonic: "REF_IS"}
	srv := httptest.NewServer(ref)
	defer srv.Close()
	if _, err := c.Register("REF_IS", id.Certificate, srv.URL+CallbackPath); err != nil {
		t.Fatal(err)
	}
	for _, foreign := range []bool{true, false} {
		res, err := trigger.HTTP{URL: srv.URL + "/trigger"}.Fire(context.Background(), loginRequest(c, ca))
		if err != nil || res.Outcome != trigger.Redirect || !strings.HasPrefix(res.Answer, c.ESIAURL+esia.PathAuthorize) {
			t.Fatalf("result %+v (%v), want a redirect to ESIA's authorisation URL", res, err)
		}
		want := map[bool]int{true: http.StatusBadRequest, false: http.StatusOK}[foreign]
		if got := browse(t, c, res.Answer, foreign); got != want {
			t.Errorf("callback with a foreign state %v answered %d, want %d", foreign, got, want)
		}
	}
	if n := exchanged(c); n != 1 {
		t.Errorf("%d codes exchanged, want 1: the foreign state's must not be", n)
	}
}

// Called in-process, the reference client serves its callback on a loopback server of its own,
// whose address RedirectURI gives for ESIA's registration, until Close.
func TestReferenceSignsACitizenInInProcess(t *testing.T) {
	c, id, ca := loginContour(t)
	ref := &Reference{Identity: id, Mnemonic: "REF_IS"}
	defer ref.Close(context.Background())
	redirect, err := ref.RedirectURI()
	if err != nil || !strings.HasSuffix(redirect, CallbackPath) {
		t.Fatalf("redirect_uri %q (%v), want the loopback callback", redirect, err)
	}
	if _, err := c.Register("REF_IS", id.Certificate, redirect); err != nil {
		t.Fatal(err)
	}
	res, err := ref.Fire(context.Background(), loginRequest(c, ca))
	if err != nil || res.Outcome != trigger.Redirect {
		t.Fatalf("result %+v (%v), want a redirect", res, err)
	}
	if got := browse(t, c, res.Answer, false); got != http.StatusOK || exchanged(c) != 1 {
		t.Errorf("callback answered %d with %d codes exchanged, want 200 and 1", got, exchanged(c))
	}
}
