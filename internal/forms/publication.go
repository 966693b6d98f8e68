package forms

import (
	"crypto/x509"
	"fmt"
	"testing/fstest"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/schema"
)

// Exclusion is a category of clause 3 that may not be integrated through the gateway. Neither
// Appendix 3 nor Appendix 5 has a field for it, so the application carries it as the owner's
// declaration; the portal refuses any declared category.
type Exclusion string

const (
	NoExclusion       Exclusion = ""
	CertificationAuth Exclusion = "R-3(1)" // services of certification centres
	StateSecrets      Exclusion = "R-3(2)" // state secrets or restricted official information
	AnalyticsPlatform Exclusion = "R-3(3)" // the Government's analytics single data space
	OpenDataREST      Exclusion = "R-3(4)" // open data through OpenAPI / REST
)

var exclusionText = map[Exclusion]msg.Text{
	CertificationAuth: msg.F("services provided by certification centres"),
	StateSecrets:      msg.F("objects holding state secrets or restricted-distribution official information"),
	AnalyticsPlatform: msg.F("objects of the platform forming the single data space for the Government's analytics"),
	OpenDataREST:      msg.F("services providing open data through OpenAPI or REST"),
}

// VPN is the VPN-tunnel block (A3 fields 35-51, A5 fields 21, 28-43). The Rules give no values; the
// harness checks only that a declared tunnel is described (organisational otherwise).
type VPN struct {
	Exists  bool     // A3 35, A5 21
	Gateway string   // A3 36, A5 28
	Mode    string   // A3 37, A5 29
	PeerIP  string   // A3 38, A5 30
	Phase1  []string // A3 39-45, A5 31-37
	Phase2  []string // A3 46-51, A5 38-43
}

func (v VPN) check(c *checker, first int) {
	if !v.Exists {
		return
	}
	for i, s := range []string{v.Gateway, v.Mode, v.PeerIP} {
		c.required(fmt.Sprint(first+i), s, "")
	}
	if len(v.Phase1) == 0 {
		c.requiredAt(fieldRange(first+3, first+9), "", "")
	}
	if len(v.Phase2) == 0 {
		c.requiredAt(fieldRange(first+10, first+15), "", "")
	}
}

// Publication is Appendix 3, "Application for publishing a service", filled by the owner (R-14,
// R-28) and checked by the operator. Field numbers are the form's.
type Publication struct {
	// 1. Service owner
	OwnerName   string // 1
	OwnerIINBIN string // 2
	Responsible string // 3
	// 2. Information system of the service owner
	RootCategory         string            // 4
	DeveloperContacts    string            // 5
	DeveloperResource    string            // 6
	SystemName           string            // 7
	SystemLogin          string            // 8
	PasswordTest         string            // 9
	PasswordProduction   string            // 10
	TestIP               string            // 11
	TestPort             string            // 12
	TestProtocol         string            // 13
	ProductionIP         string            // 14
	ProductionPort       string            // 15
	ProductionProtocol   string            // 16
	TransportCertificate *x509.Certificate // 17
	SecurityAct          string            // 18, file name of the act
	HasGatewayAccess     bool              // 19
	// 3. Electronic service
	ServiceName        string            // 20
	ServiceDescription string            // 21
	ServiceKey         string            // 22
	Mode               Mode              // 23
	PublishExternal    bool              // 24
	PublishInternal    bool              // 25
	PersonalData       bool              // 26
	IINXPath           string            // 26.1
	SMSConsent         bool              // 26.2
	Routing            bool              // 27
	RouteKey           string            // 27.1
	TestURLName        string            // 27.2
	TestURL            string            // 27.3
	ProductionURLName  string            // 27.4
	ProductionURL      string            // 27.5
	ServiceAuth        bool              // 28
	AuthMethod         string            // 28.1
	AuthLogin          string            // 28.2
	AuthPassword       string            // 28.3
	SecurityType       string            // 29
	SSLCertificate     *x509.Certificate // 30
	XSD                map[string][]byte // 31: file name -> content
	XSDEntry           string            // 31: the file that declares the request and response
	RequestSample      []byte            // 32
	ResponseSample     []byte            // 33
	// 4. Service client
	Client string // 34: organisation and IIN/BIN; when named, publication follows clauses 14-27
	// 5. VPN tunnel
	VPN VPN // 35-51

	Exclusion         Exclusion // clause 3 declaration (no field on the form)
	AcceptsConditions bool      // the owner accepts the integration conditions
}

// Validate checks the filled fields. Required: 1-3, 7-10, 17, 20-23, 27.3 and 27.5 (the gateway
// cannot route without the owner's URLs), 31-33 and one of 24/25; sub-fields when
// their flag is set. The clause-3 exclusion is refused. The samples are checked against the
// XSD by CheckSamples, which Validate calls.
func (p Publication) Validate() error {
	c := &checker{form: "A3-F"}
	if p.Exclusion != NoExclusion {
		c.addAt(categoryField, string(p.Exclusion), msg.F("an object that may be integrated through the gateway"),
			msg.F("declared as %s", exclusionText[p.Exclusion]), msg.F("clause 3 excludes it from integration; do not apply"))
	}
	c.required("1", p.OwnerName, "")
	c.identifier("2", p.OwnerIINBIN)
	c.required("3", p.Responsible, "")
	c.required("7", p.SystemName, "")
	c.required("8", p.SystemLogin, "R-53")
	c.required("9", p.PasswordTest, "R-53")
	c.required("10", p.PasswordProduction, "R-53")
	c.port("12", p.TestPort)
	c.port("15", p.ProductionPort)
	if p.TransportCertificate == nil {
		c.add("17", "A6-S2", msg.F("the system's transport-signature certificate issued by the NCA"), msg.F("none attached"), msg.F("attach the certificate"))
	}
	c.required("20", p.ServiceName, "")
	c.required("21", p.ServiceDescription, "")
	c.required("22", p.ServiceKey, "R-6")
	c.mode("23", p.Mode)
	if !p.PublishExternal && !p.PublishInternal {
		c.addAt(eitherField("24", "25"), "", msg.F("publication on the gateway, the external gateway or both"), msg.F("neither"), msg.F("answer yes to field %s or %s", "24", "25"))
	}
	if p.PersonalData {
		c.required("26.1", p.IINXPath, "")
	}
	if p.Routing {
		c.required("27.1", p.RouteKey, "A1-T19 row 7")
	}
	c.url("27.3", p.TestURL, "R-19")
	c.url("27.5", p.ProductionURL, "R-27")
	if p.ServiceAuth {
		c.required("28.1", p.AuthMethod, "")
		c.required("28.2", p.AuthLogin, "")
		c.required("28.3", p.AuthPassword, "")
	}
	p.VPN.check(c, 36)
	c.p = append(c.p, p.CheckSamples()...)
	return c.p.Err()
}

// CheckSamples validates the request and response samples (fields 32, 33) against the attached XSD
// (field 31) with the XSD engine: a sample that breaks its own schema is a finding.
func (p Publication) CheckSamples() Problems {
	c := &checker{form: "A3-F"}
	if len(p.XSD) == 0 || p.XSDEntry == "" || p.XSD[p.XSDEntry] == nil {
		c.add("31", "R-14", msg.F("the service's XSD files, with the entry file named"), msg.F("%d files, entry %q", len(p.XSD), p.XSDEntry), msg.F("attach the XSD"))
	}
	if len(p.RequestSample) == 0 {
		c.add("32", "R-14", msg.F("an XML request sample with test data"), msg.F("none"), msg.F("attach a request sample"))
	}
	if len(p.ResponseSample) == 0 {
		c.add("33", "R-14", msg.F("an XML response sample with test data"), msg.F("none"), msg.F("attach a response sample"))
	}
	if len(c.p) > 0 {
		return c.p
	}
	fsys := fstest.MapFS{}
	for name, body := range p.XSD {
		fsys[name] = &fstest.MapFile{Data: body}
	}
	xsd, err := schema.CompileXSD(fsys, p.XSDEntry, "")
	if err != nil {
		c.add("31", "R-14", msg.F("an XSD that compiles"), msg.Of(err), msg.F("correct the XSD"))
		return c.p
	}
	for _, s := range []struct {
		field    string
		expected msg.Text
		doc      []byte
	}{
		{"32", msg.F("a request sample valid against the attached XSD %s", p.XSDEntry), p.RequestSample},
		{"33", msg.F("a response sample valid against the attached XSD %s", p.XSDEntry), p.ResponseSample},
	} {
		if v := xsd.Validate(s.doc); len(v) > 0 {
			c.add(s.field, "R-14", s.expected, msg.Of(v[0]), msg.F("make the sample and the XSD agree"))
		}
	}
	return c.p
}

// ConsistentWith cross-checks the service key and mode of Appendix 3 (fields 22, 23) with those of
// Appendix 2 (fields 4, 5): the same service must not be described twice differently.
func (p Publication) ConsistentWith(r Requirements) error {
	c := &checker{form: "A3-F"}
	if p.ServiceKey != r.ServiceKey {
		c.add("22", "A2-F", msg.F("the service key of Appendix 2 field 4, %q", r.ServiceKey), msg.F("%q", p.ServiceKey), msg.F("use the same service key in both forms"))
	}
	if p.Mode != r.Mode {
		c.add("23", "A2-F", msg.F("the mode of Appendix 2 field 5, %q", r.Mode), msg.F("%q", p.Mode), msg.F("use the same mode in both forms"))
	}
	return c.p.Err()
}
