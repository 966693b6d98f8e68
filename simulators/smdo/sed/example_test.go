package sed_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/smdo/router"
	"github.com/shepconf/shepconf/simulators/smdo/sed"
)

// A СЭД sends a letter of one signed file to a subscriber whose system the router plays, asking
// for acknowledgement, and gets the router's delivery receipt and the registration notice.
func ExampleClient_Send() {
	ca, _ := nca.New("example CA")
	id, _ := ca.Issue(nca.Subject{CommonName: "СЭД агентства"}, pki.ECDSAP256)
	r, _ := router.New(router.WithVerifier(cms.Verifier{Roots: ca.Roots(), Intermediates: ca.Intermediates()}))
	_ = r.AddSubscriber(router.Subscriber{ID: "1001", Code: "SMDO-AGENCY", Name: "Агентство",
		Username: "agency", Password: "secret", Certificates: []*x509.Certificate{id.Certificate}})
	_ = r.AddSubscriber(router.Subscriber{ID: "1003", Code: "SMDO-REGISTRY", Name: "Реестр",
		Script: &router.Script{RegNumber: "вх-1"}})
	srv := httptest.NewTLSServer(r)
	defer srv.Close()

	c := sed.New(sed.Config{RouterURL: srv.URL, Username: "agency", Password: "secret",
		Subscriber: sed.Party{ID: "1001", Code: "SMDO-AGENCY", Name: "Агентство"}, Identity: id,
		HTTPClient: srv.Client(), PollInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := c.Send(ctx, sed.Outgoing{To: []sed.Party{{ID: "1003", Code: "SMDO-REGISTRY", Name: "Реестр"}},
		Kind: "Письмо", Title: "О проверке связи", AskAck: true,
		Files: []sed.File{{Name: "Письмо.pdf", Data: []byte("%PDF-1.4")}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := r.Package(s.PackageID)
	fmt.Println(s.IDNumber, p.State, s.Receipt.From, s.Registration.ErrorCode)
	// Output: SMDO-AGENCY_1 delivered ROUTER 0
}
