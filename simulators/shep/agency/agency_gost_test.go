package agency_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/agency"
)

// With a GOST 34.310 signing key, which crypto/tls cannot present, the REST initiator presents its
// HTTPS certificate over mutual TLS rather than silently none; with an RSA or ECDSA one, its
// signing certificate.
func TestRESTInitiatorPresentsATLSCapableCertificate(t *testing.T) {
	ca, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	subject := nca.Subject{CommonName: "AGENCY_SYS", BIN: "100000000002"}
	gatewayTLS, err := ca.IssueServer(nca.Subject{CommonName: "gateway", BIN: "333333333333"}, pki.ECDSAP256, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	presented := make(chan *x509.Certificate, 1)
	gw := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c *x509.Certificate
		if len(r.TLS.PeerCertificates) > 0 {
			c = r.TLS.PeerCertificates[0]
		}
		presented <- c
		http.Error(w, "not a gateway", http.StatusTeapot)
	}))
	gw.TLS = &tls.Config{Certificates: []tls.Certificate{gatewayTLS.TLSCertificate()}, ClientAuth: tls.RequestClientCert}
	gw.StartTLS()
	defer gw.Close()

	for _, k := range []pki.KeyType{pki.GOST2004, pki.ECDSAP256} {
		t.Run(k.String(), func(t *testing.T) {
			signing, err := ca.Issue(subject, k)
			if err != nil {
				t.Fatal(err)
			}
			https, err := ca.IssueServer(subject, k, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			sys, err := agency.New(agency.Config{SystemID: "AGENCY_SYS", Password: "pw", Identity: signing, TLS: https,
				Checker: &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()}})
			if err != nil {
				t.Fatal(err)
			}
			sys.Act(context.Background(), trigger.Request{Action: trigger.Send, Channel: trigger.REST, Gateway: gw.URL, ServiceID: "S"})
			want := signing.Certificate
			if k == pki.GOST2004 {
				want = https.Certificate
			}
			if got := <-presented; got == nil || !got.Equal(want) {
				t.Errorf("presented %v over mutual TLS, want the certificate with serial %s", got, want.SerialNumber)
			}
		})
	}
}
