package gateway_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// JOSE and crypto/tls have no GOST 34.310: a gateway whose REST certificate is GOST-keyed could
// neither open a sealed message (A6-S3) nor call an owner over mutual TLS, so it is refused at
// start, naming the fix, while its transport signatures may be GOST.
func TestRESTRefusesAGOSTIdentity(t *testing.T) {
	ca, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	signing, err := ca.Issue(nca.Subject{CommonName: "gateway", BIN: "333333333333"}, pki.GOST2004)
	if err != nil {
		t.Fatal(err)
	}
	tlsID, err := ca.IssueServer(nca.Subject{CommonName: "gateway", BIN: "333333333333"}, pki.GOST2004, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = gateway.New(gateway.NewRegistry(), j, gateway.WithSignatures(gateway.Signatures{Identity: signing}),
		gateway.WithREST(gateway.REST{TLS: tlsID, Identity: signing}))
	if err == nil || !strings.Contains(err.Error(), "GOST 34.310") || !strings.Contains(err.Error(), "pki.TLSKeyType") {
		t.Fatalf("a GOST REST identity: got %v, want a refusal naming GOST 34.310 and pki.TLSKeyType", err)
	}
	companion, err := ca.Issue(nca.Subject{CommonName: "gateway", BIN: "333333333333"}, pki.TLSKeyType(pki.GOST2004))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gateway.New(gateway.NewRegistry(), j, gateway.WithSignatures(gateway.Signatures{Identity: signing}),
		gateway.WithREST(gateway.REST{TLS: tlsID, Identity: companion})); err != nil {
		t.Fatalf("GOST transport signatures with an ECDSA REST certificate: %v", err)
	}
}
