package gateway_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// restGateway starts a gateway with the REST channel over HTTPS and a REST owner serving "S1".
func restGateway(t *testing.T, requireClientCert bool) (url string, client *http.Client, in *owner.RESTInitiator) {
	t.Helper()
	ca, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	issue := func(cn, bin string, hosts ...string) *pki.Identity {
		id, err := ca.IssueServer(nca.Subject{CommonName: cn, BIN: bin}, pki.ECDSAP256, hosts...)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	roots := &tls.Config{RootCAs: ca.Roots()}
	o := owner.NewREST("IS-OWNER")
	osrv, err := server.StartTLS("127.0.0.1:0", o, &tls.Config{Certificates: []tls.Certificate{issue("IS-OWNER", "111111111111", "127.0.0.1").TLSCertificate()}})
	if err != nil {
		t.Fatal(err)
	}
	reg := gateway.NewRegistry()
	reg.AddSystem(gateway.System{ID: "IS-A", Password: "pw", Identifier: "222222222222"})
	reg.AddService(gateway.Service{ID: "S1", Owner: "IS-OWNER", Endpoint: osrv.URL() + "/rest"})
	reg.Grant("S1", "IS-A")
	gwID := issue("gateway", "333333333333", "127.0.0.1")
	gw, err := gateway.New(reg, j, gateway.WithREST(gateway.REST{TLS: gwID, Identity: gwID, RequireClientCertificate: requireClientCert,
		Checker: &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()}, OwnerClient: &http.Client{Transport: &http.Transport{TLSClientConfig: roots}}}))
	if err != nil {
		t.Fatal(err)
	}
	gsrv, err := server.StartTLS("127.0.0.1:0", gw.Handler(), gw.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gsrv.Close(context.Background()); osrv.Close(context.Background()) })
	client = &http.Client{Transport: &http.Transport{TLSClientConfig: roots}}
	return gsrv.URL(), client, &owner.RESTInitiator{SystemID: "IS-A", Password: "pw", Gateway: gsrv.URL(), HTTP: client}
}

func restCode(t *testing.T, x owner.RESTExchange) string {
	t.Helper()
	if x.Err != nil {
		t.Fatal(x.Err)
	}
	var f gateway.RESTFault
	_ = json.Unmarshal(x.Response, &f)
	return f.Error.ErrorCode
}

func TestRESTRequiresClientCertificateWhenConfigured(t *testing.T) {
	for _, require := range []bool{false, true} {
		_, _, in := restGateway(t, require)
		body, _ := json.Marshal(in.Request("S1", json.RawMessage(`"ping"`)))
		x := in.Send(context.Background(), in.Gateway, "application/json", body)
		want, status := "", http.StatusOK
		if require {
			want, status = "SCE002", http.StatusUnauthorized
		}
		if got := restCode(t, x); got != want || x.Status != status {
			t.Errorf("require=%v: HTTP %d code %q, want %d %q: %s", require, x.Status, got, status, want, x.Response)
		}
	}
}

func TestRESTServiceInURLMustMatchBody(t *testing.T) {
	url, client, in := restGateway(t, false)
	for path, want := range map[string]string{"/bip-rest/S1": "", "/bip-rest/S2": "SCE001", "/bip-rest": ""} {
		body, _ := json.Marshal(in.Request("S1", nil)) // a new messageId each time: a repeat is a replay
		resp, err := client.Post(url+path, "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		var f gateway.RESTFault
		_ = json.NewDecoder(resp.Body).Decode(&f)
		resp.Body.Close()
		if f.Error.ErrorCode != want {
			t.Errorf("%s: code %q, want %q", path, f.Error.ErrorCode, want)
		}
	}
}
