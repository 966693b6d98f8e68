package forms

import (
	"crypto/x509"
	"path"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
)

// Connection is Appendix 5, "Application for connection to / integration with a service", filled
// by the initiator, answered by the owner and checked by the operator.
type Connection struct {
	// 1. Service owner
	OwnerName   string // 1
	OwnerIINBIN string // 2
	// 2. Initiator
	InitiatorName   string // 3
	InitiatorIINBIN string // 4
	Basis           string // 5
	Responsible     string // 6
	Phone           string // 7
	Email           string // 8
	// 3. Information system of the initiator
	SystemName           string            // 9
	SystemLogin          string            // 10
	PasswordTest         string            // 11
	PasswordProduction   string            // 12
	TestIP               string            // 13
	TestPort             string            // 14
	TestProtocol         string            // 15
	ProductionIP         string            // 16
	ProductionPort       string            // 17
	ProductionProtocol   string            // 18
	Contour              string            // 19
	HasGatewayAccess     bool              // 20
	VPN                  VPN               // 21, 28-43
	TransportCertificate *x509.Certificate // 22
	SecurityAct          string            // 23: file name, .doc, .docx or .pdf
	// 4. Electronic service
	ServiceKey   string // 24
	Mode         Mode   // 25
	PersonalData bool   // 26
	SMSConsent   bool   // 27

	AcceptsConditions bool // the initiator accepts the integration conditions
}

// Validate checks the filled fields. Required: 1-12, 22, 23 (in one of the formats the form names),
// 24, 25 and the acceptance of the integration conditions.
func (a Connection) Validate() error {
	c := &checker{form: "A5-F"}
	c.required("1", a.OwnerName, "")
	c.identifier("2", a.OwnerIINBIN)
	c.required("3", a.InitiatorName, "")
	c.identifier("4", a.InitiatorIINBIN)
	c.required("5", a.Basis, "")
	c.required("6", a.Responsible, "R-63")
	c.required("7", a.Phone, "R-63")
	if a.Email == "" || !strings.Contains(a.Email, "@") {
		c.add("8", "R-63", msg.F("an e-mail address"), msg.F("%q", a.Email), msg.F("enter the responsible person's e-mail"))
	}
	c.required("9", a.SystemName, "")
	c.required("10", a.SystemLogin, "R-53")
	c.required("11", a.PasswordTest, "R-53")
	c.required("12", a.PasswordProduction, "R-53")
	c.port("14", a.TestPort)
	c.port("17", a.ProductionPort)
	if a.TransportCertificate == nil {
		c.add("22", "A6-S2", msg.F("the system's transport-signature certificate issued by the NCA"), msg.F("none attached"), msg.F("attach the certificate"))
	}
	switch ext := strings.ToLower(path.Ext(a.SecurityAct)); ext {
	case ".doc", ".docx", ".pdf":
	default:
		c.add("23", "A5-F", msg.F("the information-security test act as .doc, .docx or .pdf"), msg.F("%q", a.SecurityAct), msg.F("attach the act in one of the three formats"))
	}
	c.required("24", a.ServiceKey, "R-33")
	c.mode("25", a.Mode)
	a.VPN.check(c, 28)
	if !a.AcceptsConditions {
		c.addAt(conditionsField, "R-33", msg.F("the integration conditions accepted"), msg.F("not accepted"), msg.F("accept the integration conditions"))
	}
	return c.p.Err()
}

// Matches cross-checks the application against the published service (R-33: connection takes the
// requirements for interaction into account): the key and mode must be the service's.
func (a Connection) Matches(key string, mode Mode) error {
	c := &checker{form: "A5-F"}
	if a.ServiceKey != key {
		c.add("24", "R-33", msg.F("the key of a published service, %q", key), msg.F("%q", a.ServiceKey), msg.F("copy the key from the registry"))
	}
	if a.Mode != mode {
		c.add("25", "R-33", msg.F("the mode the service was published with, %q", mode), msg.F("%q", a.Mode), msg.F("use the service's mode"))
	}
	return c.p.Err()
}
