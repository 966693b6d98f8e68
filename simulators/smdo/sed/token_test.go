package sed

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/simulators/smdo/router"
)

// SMDO-TOKEN: one token with HTTP Basic serves every call of a send while it is valid.
func TestTokenReused(t *testing.T) {
	w := newWorld(t)
	if _, err := New(w.config(w.agency)).Send(within(t, 10*time.Second), letter(w.registry)); err != nil {
		t.Fatal(err)
	}
	calls := w.requests(w.agency.ID)
	if n := len(w.requests(w.agency.ID, "token")); n != 1 {
		t.Fatalf("%d token requests, want 1 (calls %v)", n, opsOf(calls))
	}
	tokens := map[string]bool{}
	for _, r := range calls {
		tokens[r.Token] = true
	}
	if len(tokens) != 1 {
		t.Errorf("%d tokens used, want the one issued", len(tokens))
	}
}

// SMDO-TOKEN: a token about to expire is renewed before it is used again.
func TestTokenRenewedAtExpiry(t *testing.T) {
	vc := clock.NewVirtual(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	w := newWorld(t, router.WithClock(vc))
	cfg := w.config(w.agency)
	cfg.Clock = vc
	c := New(cfg)
	for range 2 {
		if _, err := c.ReceiveOnce(within(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	vc.Advance(router.DefaultTokenLifetime)
	if _, err := c.ReceiveOnce(within(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	calls := w.requests(w.agency.ID)
	if got := opsOf(calls); !slices.Equal(got, []string{"token", "list", "list", "token", "list"}) {
		t.Errorf("calls %v, want a new token only after the first expired", got)
	}
	for _, r := range calls {
		if r.Status == http.StatusUnauthorized {
			t.Errorf("%s answered 401: the expired token was used", r.Op)
		}
	}
}

// SMDO-TOKEN: after a 401 the client gets a new token and repeats the call, once; no-reauth gives
// up, which stops the send (SMDO-HALT).
func TestTokenAfter401(t *testing.T) {
	w := newWorld(t)
	w.router.ExpireTokenAfter(w.agency.ID, 2) // create and the first attach pass, the second gets 401
	if _, err := New(w.config(w.agency)).Send(within(t, 10*time.Second), letter(w.registry)); err != nil {
		t.Fatal(err)
	}
	calls := w.requests(w.agency.ID)
	i := slices.IndexFunc(calls, func(r router.Request) bool { return r.Status == http.StatusUnauthorized })
	if i < 0 || i+2 >= len(calls) {
		t.Fatalf("no 401 followed by two calls in %v", opsOf(calls))
	}
	if calls[i+1].Op != "token" || calls[i+2].Op != calls[i].Op || calls[i+2].Status >= 300 || calls[i+2].Token == calls[i].Token {
		t.Errorf("after the 401 of %s: %s (%d) then %s (%d), want a new token and the call repeated with it",
			calls[i].Op, calls[i+1].Op, calls[i+1].Status, calls[i+2].Op, calls[i+2].Status)
	}

	w.router.ExpireTokenAfter(w.agency.ID, 2)
	before := len(w.router.Requests())
	_, err := New(w.config(w.agency, DefectNoReauth)).Send(within(t, 10*time.Second), letter(w.registry))
	var re *RefusedError
	if !errors.As(err, &re) || re.Status != http.StatusUnauthorized {
		t.Fatalf("error %v, want the 401 as a refusal", err)
	}
	var ops []string
	for _, r := range w.router.Requests()[before:] {
		if r.Subscriber == w.agency.ID {
			ops = append(ops, r.Op)
		}
	}
	if slices.Contains(ops, "send") || slices.Index(ops, "token") != 0 || slices.Contains(ops[1:], "token") {
		t.Errorf("calls %v with %s: want one token and no send", ops, DefectNoReauth)
	}
}

// SMDO-TOKEN: wrong client credentials are a refusal of the token.
func TestTokenRefused(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(w.agency)
	cfg.Password = "wrong"
	_, err := New(cfg).Send(within(t, 5*time.Second), letter(w.registry))
	var re *RefusedError
	var ae *APIError
	if !errors.As(err, &re) || re.Stage != StageToken || re.Status != http.StatusUnauthorized ||
		!errors.As(err, &ae) || ae.Reason != "invalid_client" {
		t.Fatalf("error %v, want the token refused with invalid_client", err)
	}
}
