package container_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/dockertest"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/simulators/shep/gateway/container"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

const image = "shepconf:test"

// TestGatewayContainer starts the gateway image with one initiator and a service of the reference
// owner, and sends a signed request through it from the host; a wrong password must be refused.
func TestGatewayContainer(t *testing.T) {
	dockertest.RequireEngine(t)
	dockertest.BuildImage(t, "./cmd/shepconf", "shepconf-linux-static", "Dockerfile", image, "fixtures/shep/shepconf.example.yaml")
	ctx := context.Background()

	gw, err := container.Run(ctx, image,
		container.WithSystem("MY_SYS", "secret", "100000000001"),
		container.WithSystem("OWNER_SYS", "owner-secret", "100000000002"),
		container.WithService("MY_SERVICE", "OWNER_SYS", "reference", "MY_SYS"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Terminate(context.Background()) })
	url, err := gw.GatewayURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := gw.Identity(ctx, "MY_SYS")
	if err != nil {
		t.Fatal(err)
	}
	chain, err := gw.CAChain(ctx)
	if err != nil || len(chain) != 2 {
		t.Fatalf("CA chain: %v, %d certificates", err, len(chain))
	}

	// Every channel runs in the image: the async one describes itself at its own address, and the
	// REST channel answers over HTTPS with a certificate of the NCA.
	resp, err := http.Get(url + "/bip-async?wsdl")
	if err != nil {
		t.Fatal(err)
	}
	wsdl, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(wsdl), `location="`+url+`/bip-async"`) {
		t.Fatalf("GET /bip-async?wsdl: HTTP %d\n%.400s", resp.StatusCode, wsdl)
	}
	restURL, err := gw.RESTURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(chain[len(chain)-1])
	pool := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	if resp, err = pool.Post(restURL+"/bip-rest", "application/json", strings.NewReader("{}")); err != nil {
		t.Fatalf("REST over HTTPS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("an empty REST request was accepted")
	}

	for _, tc := range []struct {
		password string
		fault    string
	}{{"secret", ""}, {"guessed", "SCE002"}} {
		in := &owner.Initiator{SystemID: "MY_SYS", Password: tc.password, Gateway: url, Identity: id}
		body, err := envelope.Marshal(in.Request("MY_SERVICE", envelope.StringData("<q>1</q>")))
		if err != nil {
			t.Fatal(err)
		}
		if body, err = in.Sign(body); err != nil {
			t.Fatal(err)
		}
		answer, fault, err := in.Send(ctx, body).Answer()
		switch {
		case err != nil:
			t.Fatalf("password %q: %v", tc.password, err)
		case tc.fault == "" && answer == nil:
			t.Fatalf("signed request refused: %+v", fault)
		case tc.fault != "" && (fault == nil || fault.Detail.ErrorCode != tc.fault):
			t.Fatalf("password %q: want fault %s, got %+v", tc.password, tc.fault, fault)
		}
	}
}
