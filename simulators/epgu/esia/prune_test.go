package esia

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/pki"
)

// newBare is an ESIA on a virtual clock with one system, for the tests of its bookkeeping.
func newBare(t *testing.T) (*ESIA, *clock.Virtual, *System) {
	t.Helper()
	key, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewVirtual(time.Now())
	e, err := New(WithClock(clk), WithSigningIdentity(&pki.Identity{Key: key}), WithTokenLifetime(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Register(System{Mnemonic: "S", Certificates: []*x509.Certificate{{Raw: []byte{1}}}}); err != nil {
		t.Fatal(err)
	}
	sys, _ := e.system("S")
	return e, clk, sys
}

// Codes never exchanged do not pile up: each new code sweeps the expired ones.
func TestExpiredCodesSwept(t *testing.T) {
	e, clk, _ := newBare(t)
	for range 5 {
		e.storeCode(codeGrant{mnemonic: "S"})
	}
	clk.Advance(codeLifetime - time.Second)
	kept := e.storeCode(codeGrant{mnemonic: "S"})
	if n := len(e.codes); n != 6 {
		t.Fatalf("%d codes before any expired, want 6", n)
	}
	clk.Advance(time.Second)
	e.storeCode(codeGrant{mnemonic: "S"})
	if _, ok := e.codes[kept]; len(e.codes) != 2 || !ok {
		t.Fatalf("%d codes after 5 expired, want 2 (the one in force kept: %v)", len(e.codes), ok)
	}
}

// The records of issued and revoked tokens go once the tokens have expired: an expired token is
// refused as expired whether revoked or not.
func TestExpiredTokensPruned(t *testing.T) {
	e, clk, sys := newBare(t)
	var old []string
	for range 4 {
		tk, err := e.issue(grant{sys: sys})
		if err != nil {
			t.Fatal(err)
		}
		old = append(old, tk.access)
	}
	e.RevokeTokens("S")
	for range 3 {
		if _, err := e.issue(grant{sys: sys}); err != nil {
			t.Fatal(err)
		}
	}
	if len(e.revoked) != 4 || len(e.issued["S"]) != 3 {
		t.Fatalf("%d revoked, %d issued, want 4 and 3", len(e.revoked), len(e.issued["S"]))
	}
	clk.Advance(10 * time.Minute)
	if _, err := e.issue(grant{sys: sys}); err != nil {
		t.Fatal(err)
	}
	if len(e.revoked) != 0 || len(e.issued["S"]) != 1 {
		t.Fatalf("after expiry: %d revoked, %d issued, want 0 and 1", len(e.revoked), len(e.issued["S"]))
	}
	if _, err := e.VerifyAccessToken(old[0]); err == nil {
		t.Fatal("an expired, revoked token verified")
	}
	e.RevokeTokens("S")
	clk.Advance(10 * time.Minute)
	e.RevokeTokens("S") // revoking sweeps too
	if len(e.revoked) != 0 {
		t.Fatalf("%d revoked records of expired tokens kept", len(e.revoked))
	}
}

func TestDefaultEventLimit(t *testing.T) {
	e, _, _ := newBare(t)
	if e.eventLimit != DefaultEventLimit {
		t.Fatalf("event limit %d, want DefaultEventLimit", e.eventLimit)
	}
}
