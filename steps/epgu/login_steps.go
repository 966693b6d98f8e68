package epgu

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// A citizen's sign-in (ESIA-OAUTH). The system is made to start it through its trigger and answers
// with the authorisation URL it sends the browser to; the harness plays that browser: it opens the
// URL at ESIA without following the redirect, brings the system first a forged callback (ESIA's
// code with a state the system never sent), then ESIA's own. What is judged is what ESIA received:
// a code issued for a request whose client_secret verified, and the code exchanged for a token.
func (w *World) registerLogin(sc *godog.ScenarioContext) {
	sc.Step(`^the system under test is made to sign a citizen in through ESIA$`, w.signIn)
	sc.Step(`^ESIA issued the system an authorisation code for a request signed by its registered certificate$`, w.codeIssued)
	sc.Step(`^the system exchanged the code for an access token at ESIA$`, w.codeExchanged)
	sc.Step(`^the system exchanged no code for a callback whose state it had not sent$`, w.foreignStateRefused)
}

// signIn is what the harness, as the citizen's browser, saw of the sign-in.
type signIn struct {
	AuthURL  string `json:"authorisationUrl"`
	ESIA     int    `json:"esiaStatus,omitempty"` // ESIA's answer to the authorisation URL
	Callback string `json:"callback,omitempty"`   // where ESIA sent the browser back (the code left out)
	// Forged is the system's answer to the callback with a state it never sent, and Exchanges the
	// code exchanges ESIA saw while it answered.
	Forged          int    `json:"forgedCallbackStatus,omitempty"`
	ForgedExchanges int    `json:"exchangesDuringForgedCallback"`
	Status          int    `json:"callbackStatus,omitempty"` // the system's answer to ESIA's callback
	Problem         string `json:"problem,omitempty"`        // why the browser stopped, in English (stop)
	why             msg.Text
}

// stop records why the browser stopped.
func (l *signIn) stop(why msg.Text) { l.Problem, l.why = why.String(), why }

// callbackOK: after the exchange a system may show a page or send the browser on (a 3xx to its
// own pages); an error status says the sign-in failed.
func callbackOK(status int) bool { return status >= 200 && status < 400 }

func (w *World) signIn(ctx context.Context) error {
	r := trigger.Request{Action: trigger.Login, Channel: trigger.EPGU, Auth: w.contour.ESIAURL,
		CA: string(pki.PEM(w.suite.ca.Intermediate(), w.suite.ca.Root())), Timeout: "1m"}
	if err := w.fire(ctx, r); err != nil {
		return err
	}
	w.login = &signIn{AuthURL: w.result.Answer}
	if w.result.Outcome != trigger.Redirect {
		// An operator signs in with a real browser: only ESIA's events are judged.
		w.login.stop(msg.F("the system answered %q, not %q with the authorisation URL", w.result.Outcome, trigger.Redirect))
		return nil
	}
	w.browse(ctx)
	w.evidence.AttachJSON("sign-in as the browser saw it.json", w.login)
	return nil
}

// browse plays the citizen's browser; what it could not do is left in w.login.Problem.
func (w *World) browse(ctx context.Context) {
	l := w.login
	if !strings.HasPrefix(l.AuthURL, strings.TrimSuffix(w.contour.ESIAURL, "/")+esia.PathAuthorize+"?") {
		l.stop(msg.F("the authorisation URL is not ESIA's %s", esia.PathAuthorize))
		return
	}
	browser, err := w.browser()
	if err != nil {
		l.stop(msg.Of(err))
		return
	}
	resp, err := get(ctx, browser, l.AuthURL)
	if err != nil {
		l.stop(msg.F("ESIA: %v", err))
		return
	}
	l.ESIA = resp.StatusCode
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !back.IsAbs() {
		l.stop(msg.F("ESIA answered %d without sending the browser back", resp.StatusCode))
		return
	}
	shown := *back
	shown.RawQuery = ""
	l.Callback = shown.String()
	if q := back.Query(); q.Get("code") != "" {
		// A callback with ESIA's code and a state the system never sent: a forged one.
		q.Set("state", uuid.NewString())
		forged := *back
		forged.RawQuery = q.Encode()
		before := w.exchanges()
		if resp, err := get(ctx, browser, forged.String()); err == nil {
			l.Forged = resp.StatusCode
		}
		l.ForgedExchanges = w.exchanges() - before
	}
	if resp, err = get(ctx, browser, back.String()); err != nil {
		l.stop(msg.F("the system's callback: %v", err))
		return
	}
	l.Status = resp.StatusCode
}

// browser trusts the contour's CA and the system's chain, keeps cookies as a browser does, and
// stops at every redirect so that the harness sees where it leads.
func (w *World) browser() (*http.Client, error) {
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	roots.AddCert(w.suite.ca.Root())
	roots.AddCert(w.suite.ca.Intermediate())
	for _, c := range w.suite.opts.SUT.Chain {
		roots.AddCert(c)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return &http.Client{Jar: jar, Timeout: time.Minute,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

func get(ctx context.Context, c *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}

// exchanges counts the system's requests to ESIA's token endpoint so far, whatever their outcome.
func (w *World) exchanges() int {
	n := 0
	for _, e := range w.contour.ESIA.Events() {
		if e.Mnemonic == w.suite.opts.SUT.mnemonic() && e.Endpoint == esia.PathToken {
			n++
		}
	}
	return n
}

// oauthEvents are ESIA's answers on the endpoint to the system's requests, and those it refused.
func (w *World) oauthEvents(endpoint string) (issued int, refused []msg.Text) {
	for _, e := range w.tokenEvents() {
		switch {
		case e.Endpoint != endpoint:
		case e.Outcome == esia.Issued:
			issued++
		case e.Outcome == esia.Refused || e.Outcome == esia.NotSupported:
			refused = append(refused, describeEvent(e))
		}
	}
	return issued, refused
}

// browsed says what the browser saw, for a failure's "observed".
func (w *World) browsed() msg.Text {
	if w.login == nil {
		return msg.Text{}
	}
	if w.login.Problem != "" {
		return msg.F("; the browser: %s", w.login.why)
	}
	return msg.F("; the browser: ESIA %d back to %s, the system's callback %d", w.login.ESIA, w.login.Callback, w.login.Status)
}

func (w *World) codeIssued() error {
	issued, refused := w.oauthEvents(esia.PathAuthorize)
	return w.evidence.Check(esia.RuleOAuth,
		msg.F("an authorisation code issued at %s for a request of the system: client_secret a detached signature by its registered certificate over client_id+scope+timestamp+state+redirect_uri, a fresh timestamp, a UUID state, a registered redirect_uri", esia.PathAuthorize),
		msg.F("%d issued, refused: %s%s%s", issued, list(refused), w.outcome(), w.browsed()), issued > 0 && len(refused) == 0)
}

func (w *World) codeExchanged() error {
	issued, refused := w.oauthEvents(esia.PathToken)
	ok := issued > 0 && len(refused) == 0
	if w.login != nil && w.login.Problem == "" { // the harness played the browser: the callback must have succeeded
		ok = ok && callbackOK(w.login.Status)
	}
	return w.evidence.Check(esia.RuleOAuth,
		msg.F("the code exchanged at %s (grant_type=authorization_code, client_secret over the same fields and the code) for a token, and the callback answered without error", esia.PathToken),
		msg.F("%d tokens issued, refused: %s%s%s", issued, list(refused), w.outcome(), w.browsed()), ok)
}

func (w *World) foreignStateRefused() error {
	l := w.login
	if l == nil || l.Problem != "" || l.Callback == "" {
		return w.evidence.Check(esia.RuleOAuth, msg.F("a callback with a foreign state brought to the system"),
			msg.F("the harness could not bring one%s%s", w.outcome(), w.browsed()), false)
	}
	return w.evidence.Check(esia.RuleOAuth,
		msg.F("no code exchanged for a callback whose state the system had not sent (state binds the callback to the sign-in)"),
		msg.F("%d exchanges at %s while the system answered the forged callback (HTTP %d)", l.ForgedExchanges, esia.PathToken, l.Forged),
		l.ForgedExchanges == 0)
}
