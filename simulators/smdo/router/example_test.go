package router_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/shepconf/shepconf/simulators/smdo/router"
)

// The router is an http.Handler: the caller serves it over TLS below a base URL ending with "/",
// registers the subscribers, and a СЭД takes a token with HTTP Basic and calls the API with it.
func Example() {
	r, err := router.New() // with router.WithVerifier(cms.Verifier{Roots: ca.Roots(), …}) to check signatures
	if err != nil {
		panic(err)
	}
	defer r.Close()
	_ = r.AddSubscriber(router.Subscriber{ID: "1001", Code: "SMDO-AGENCY", Name: "Агентство", Username: "agency", Password: "secret"})
	_ = r.AddSubscriber(router.Subscriber{ID: "1002", Code: "SMDO-MINISTRY", Name: "Министерство",
		Script: &router.Script{RegNumber: "15-вх"}}) // played by the router
	srv := httptest.NewTLSServer(r)
	defer srv.Close()
	base := srv.URL + "/"

	req, _ := http.NewRequest("POST", base+"token?scope=application&grant_type=client_credentials", nil)
	req.SetBasicAuth("agency", "secret")
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	req, _ = http.NewRequest("GET", base+"smdo_nsi_doc_type/1.0.0/smdo_nsi/doc_type/v1", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	var kinds []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&kinds)
	resp.Body.Close()

	fmt.Println(tok.ExpiresIn, kinds[0].Name, kinds[0].Status)
	for _, c := range r.Requests() {
		fmt.Println(c.Op, c.Subscriber, c.Status)
	}
	// Output:
	// 3600 Письмо ACTIVE
	// token 1001 200
	// doc_type 1001 200
}
