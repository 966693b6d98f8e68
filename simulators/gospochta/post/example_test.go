package post_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/gospochta/post"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
	"github.com/shepconf/shepconf/simulators/nca"
)

// The service behind TLS 1.3 that asks for the client's certificate (GP-W-MTLS), one system and
// one recipient registered. The contour backs auth with the simulated ESIA.
func Example() {
	ca, _ := nca.New("Example CA")
	signer, _ := ca.Issue(nca.Subject{CommonName: "Gospochta"}, pki.ECDSAP256)
	agency, _ := ca.Issue(nca.Subject{CommonName: "GP_AGENCY"}, pki.ECDSAP256)
	serverID, _ := ca.IssueServer(nca.Subject{CommonName: "gospochta"}, pki.ECDSAP256, "localhost")
	auth := func(token string) (wire.Caller, error) {
		return wire.Caller{System: "GP_AGENCY", Roles: []string{wire.RoleOperator}}, nil
	}
	svc, err := post.New(auth, post.WithSigner(signer),
		post.WithVerifier(cms.Verifier{Roots: ca.Roots(), Intermediates: ca.Intermediates()}),
		post.WithDeliveryDelay(time.Second), post.WithReadDelay(2*time.Second))
	if err != nil {
		panic(err)
	}
	defer svc.Close()
	_ = svc.AddSystem(post.System{Mnemonic: "GP_AGENCY", Certificates: []*x509.Certificate{agency.Certificate},
		HMACKey: make([]byte, wire.KeySize)})
	_ = svc.AddRecipient(post.Recipient{ID: "R-0001", Name: "Иванов Иван Иванович", Kind: post.KindPerson,
		KeyID: "K-1", Key: make([]byte, wire.KeySize)})
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: svc.Handler(), TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{serverID.TLSCertificate()},
		ClientAuth:   tls.RequestClientCert, // the service compares the certificate with the registered ones
		MinVersion:   tls.VersionTLS13,
	}}
	_ = srv // srv.ListenAndServeTLS("", "") serves it
}
