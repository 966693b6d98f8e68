package esia

import (
	"net/http"
	"testing"
	"time"
)

// Refresh tokens in force are capped: beyond refreshLimit the oldest goes; the list of them does
// not grow with rotations (each spends one and adds one).
func TestRefreshStoreBounded(t *testing.T) {
	e, clk, _ := newBare(t)
	e.refreshLimit = 3
	var toks []string
	for range 5 {
		toks = append(toks, e.storeRefresh(refreshGrant{mnemonic: "S"}))
	}
	if len(e.refresh) != 3 {
		t.Fatalf("%d refresh tokens kept, want 3", len(e.refresh))
	}
	if _, r := e.spendRefresh(toks[0], "S"); r == nil {
		t.Fatal("the oldest refresh token was kept beyond the limit")
	}
	if _, r := e.spendRefresh(toks[4], "S"); r != nil {
		t.Fatalf("the newest: %v", r.breach)
	}
	tok := toks[3]
	for range 1000 {
		if _, r := e.spendRefresh(tok, "S"); r != nil {
			t.Fatal(r.breach)
		}
		tok = e.storeRefresh(refreshGrant{mnemonic: "S"})
	}
	if n := len(e.refreshOrder); n > 2*len(e.refresh)+65 {
		t.Fatalf("%d entries listed for %d refresh tokens in force", n, len(e.refresh))
	}
	clk.Advance(e.refreshLifetime)
	e.storeRefresh(refreshGrant{mnemonic: "S"})
	if len(e.refresh) != 1 || len(e.refreshOrder) != 1 {
		t.Fatalf("after expiry: %d kept, %d listed, want 1 and 1", len(e.refresh), len(e.refreshOrder))
	}
}

// Assertion ids are kept until the assertion could be taken no more, and capped: when the store
// is full of ids in force the grant is refused 503, not the ids forgotten (a replay would pass).
func TestJTIStoreBounded(t *testing.T) {
	e, clk, _ := newBare(t)
	e.jtiLimit = 2
	until := clk.Now().Add(time.Minute)
	for _, id := range []string{"a", "b"} {
		if r := e.spendJTI("S", id, until); r != nil {
			t.Fatal(r.breach)
		}
	}
	if r := e.spendJTI("S", "a", until); r == nil || r.breach.Field.String() != "assertion.jti" {
		t.Fatal("a replayed jti was taken")
	}
	if r := e.spendJTI("S", "c", until); r == nil || r.status != http.StatusServiceUnavailable {
		t.Fatalf("a jti beyond the limit: %+v, want 503", r)
	}
	clk.Advance(time.Minute)
	if r := e.spendJTI("S", "c", clk.Now().Add(time.Minute)); r != nil || len(e.jtis) != 1 {
		t.Fatalf("after the ids expired: %v, %d kept, want taken and 1", r, len(e.jtis))
	}
}

// The records of tokens expired early go once the tokens have expired.
func TestExpireTokensPruned(t *testing.T) {
	e, clk, sys := newBare(t)
	for range 3 {
		if _, err := e.issue(grant{sys: sys}); err != nil {
			t.Fatal(err)
		}
	}
	e.ExpireTokens("S")
	if len(e.expired) != 3 || len(e.issued["S"]) != 0 {
		t.Fatalf("%d expired early, %d issued, want 3 and 0", len(e.expired), len(e.issued["S"]))
	}
	clk.Advance(10 * time.Minute)
	e.ExpireTokens("S")
	if len(e.expired) != 0 {
		t.Fatalf("%d records of expired tokens kept", len(e.expired))
	}
}
