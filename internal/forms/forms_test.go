package forms_test

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/forms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/portal"
)

var owner = portal.Party{Name: "Owner", BIN: "100140000001", System: "OWNER_SYS", PasswordTest: "a", PasswordProd: "b"}

func TestReferenceDocumentsAreValid(t *testing.T) {
	req := portal.ReferenceRequirements("K", owner)
	pub := portal.ReferencePublication("K", owner, "http://t/sync", "http://p/sync", &x509.Certificate{})
	for name, err := range map[string]error{"A2": req.Validate(), "A3": pub.Validate(), "A2/A3": pub.ConsistentWith(req)} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestProblemsNameFieldAndRule(t *testing.T) {
	req := portal.ReferenceRequirements("K", owner)
	req.Performance.MeanProcessing = 11 * time.Second
	req.Mode = forms.Async // table 2 has no mean time: no problem then
	if err := req.Validate(); err != nil {
		t.Fatalf("async service judged on a synchronous row: %v", err)
	}
	req.Mode = forms.Sync
	if err := req.Validate(); err == nil || !strings.Contains(err.Error(), "A2-F field 13: breaks A2-T1 row 2") {
		t.Fatalf("mean 11 s: %v", err)
	}
	pub := portal.ReferencePublication("K", owner, "ftp://t", "http://p/sync", nil)
	pub.ResponseSample = []byte(`<response xmlns="urn:shepconf:reference"><uin>1</uin></response>`)
	pub.Exclusion = forms.StateSecrets
	err := pub.Validate()
	for _, want := range []string{"A3-F field 17: breaks A6-S2", "A3-F field 27.3: breaks R-19", "A3-F field 33: breaks R-14", "breaks R-3(2)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}

func TestActSignedByBothPartiesVerifies(t *testing.T) {
	ca, err := nca.New("test")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ca.Issue(nca.Subject{CommonName: "owner", BIN: "100140000001"}, pki.RSA2048)
	b, _ := ca.Issue(nca.Subject{CommonName: "initiator", BIN: "100140000002"}, pki.ECDSAP256)
	doc, _ := portal.ReferenceAct("act-1", "K", owner, owner, time.Now()).Marshal()
	once, err := forms.SignAct(doc, a.Key, append([]*x509.Certificate{a.Certificate}, a.Chain...))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := forms.SignAct(once, b.Key, append([]*x509.Certificate{b.Certificate}, b.Chain...))
	if err != nil {
		t.Fatal(err)
	}
	act, signers, err := forms.VerifyAct(twice, ca.Roots(), time.Now())
	if err != nil || len(signers) != 2 || act.Services[0].Key != "K" {
		t.Fatalf("verify: %v, %d signers", err, len(signers))
	}
	if _, _, err := forms.VerifyAct([]byte(strings.Replace(string(twice), "put into production", "rejected", 1)), ca.Roots(), time.Now()); err == nil {
		t.Fatal("an act changed after signing verified")
	}
	other, _ := nca.New("another CA")
	if _, _, err := forms.VerifyAct(twice, other.Roots(), time.Now()); err == nil || !strings.Contains(err.Error(), "R-60") {
		t.Fatalf("an act signed outside the NCA: %v", err)
	}
}

// The fields that are not a bare number read in English as they always did: each has its own
// message, so that every language words it in full.
func TestSpecialFieldsKeepTheirEnglish(t *testing.T) {
	pub := portal.ReferencePublication("K", owner, "http://t/sync", "http://p/sync", &x509.Certificate{})
	pub.VPN = forms.VPN{Exists: true, Gateway: "g", Mode: "m", PeerIP: "1.2.3.4"}
	pub.PublishInternal = false
	pub.Exclusion = forms.OpenDataREST
	act := forms.TestAct{Services: []forms.TestedService{{Key: "K"}}}
	for doc, err := range map[string]error{"A3": pub.Validate(), "A4": act.Validate(), "A5": forms.Connection{}.Validate()} {
		for _, want := range map[string][]string{
			"A3": {
				"A3-F field 39-45: breaks A3-F: expected a value; observed empty. Fix: fill in field 39-45",
				"A3-F field 24/25: breaks A3-F: expected publication on the gateway, the external gateway or both; observed neither. Fix: answer yes to field 24 or 25",
				"A3-F field (clause 3 category): breaks R-3(4): expected an object that may be integrated through the gateway; observed declared as services providing open data through OpenAPI or REST",
			},
			"A4": {"A4-F field 3.1 (service 1): breaks A4-F: expected a value; observed empty. Fix: fill in field 3.1 (service 1)"},
			"A5": {"A5-F field (conditions): breaks R-33: expected the integration conditions accepted; observed not accepted. Fix: accept the integration conditions"},
		}[doc] {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: want %q in %v", doc, want, err)
			}
		}
	}
}
