package standalone

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/jose"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// keyAlgorithm gost2004: the gateway signs the synchronous channel with GOST 34.310 and serves REST
// with its ECDSA HTTPS certificate, which sealed messages are encrypted to (A6-S3) and which it
// presents to REST owners over mutual TLS (JOSE and crypto/tls have no GOST).
func TestStandaloneGOSTServesSyncAndSealedREST(t *testing.T) {
	b := newBench(t, "gost2004")
	b.start()
	defer b.stop()
	ctx := context.Background()

	id := b.identity("INITIATOR_SYS")
	in := &owner.Initiator{SystemID: "INITIATOR_SYS", Password: "init-secret", Gateway: b.s.GatewayURL(), Identity: id}
	body, err := envelope.Marshal(in.Request("TEST_SERVICE_ID", envelope.StringData("<q>gost</q>")))
	if err == nil {
		body, err = xsig.Sign(body, id)
	}
	if err != nil {
		t.Fatal(err)
	}
	x := in.Send(ctx, body)
	if a, f, err := x.Answer(); err != nil || f != nil || a == nil {
		t.Fatalf("answer %v, fault %+v: %s", err, f, x.Response)
	}
	r, err := b.checker.CheckMessage(ctx, x.Response, "the gateway", b.cfg.GatewayBIN)
	if err != nil || r.Algorithm != xsig.GOST3410GOST34 {
		t.Fatalf("the gateway's answer: algorithm %q, %v; want %s, valid", r.Algorithm, err, xsig.GOST3410GOST34)
	}

	// The sender seals with the JOSE-capable certificate exported beside its GOST one
	// (auth-cert.pem, ECDSA), to the gateway's HTTPS certificate.
	dir := filepath.Dir(b.s.CertPath("INITIATOR_SYS"))
	sealer, err := pki.LoadIdentity(filepath.Join(dir, AuthCertFile), filepath.Join(dir, AuthKeyFile))
	if err != nil {
		t.Fatalf("keyAlgorithm gost2004 exports no JOSE certificate: %v", err)
	}
	if _, ok := sealer.Key.(*ecdsa.PrivateKey); !ok {
		t.Fatalf("%s holds a %T key, want ECDSA", AuthKeyFile, sealer.Key)
	}
	rin := &owner.RESTInitiator{SystemID: "INITIATOR_SYS", Password: "init-secret", Gateway: b.s.GatewayHTTPSURL(), Identity: sealer,
		HTTP: &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: b.caPool}}}}
	plain, _ := json.Marshal(rin.Request("TEST_REST_SERVICE", json.RawMessage(`{"iin": "990101300123"}`)))
	sealed, err := rin.Seal(plain, b.s.HTTPS[GatewayID])
	if err != nil {
		t.Fatal(err)
	}
	rx := rin.Send(ctx, b.s.GatewayHTTPSURL(), jose.MediaType, sealed)
	if rx.Err != nil || rx.Status != http.StatusOK {
		t.Fatalf("sealed REST call: %v, HTTP %d: %s", rx.Err, rx.Status, rx.Response)
	}
	if got := b.s.RESTOwners["OWNER_SYS"].Received(); len(got) != 1 || got[0].Err != nil || got[0].Gateway == "" {
		t.Fatalf("the REST owner got %+v; want one request over mutual TLS from the gateway", got)
	}
}
