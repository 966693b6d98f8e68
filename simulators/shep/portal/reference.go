package portal

import (
	"crypto/x509"
	"time"

	"github.com/shepconf/shepconf/internal/forms"
)

// The documents the harness's reference owner and initiator fill in: complete and valid, so a
// scenario can break exactly one thing.

// ReferenceXSD is the reference service's schema (A3 field 31).
const ReferenceXSD = `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified"
           targetNamespace="urn:shepconf:reference" xmlns="urn:shepconf:reference">
  <xs:element name="request">
    <xs:complexType><xs:sequence><xs:element name="uin" type="uin"/></xs:sequence></xs:complexType>
  </xs:element>
  <xs:element name="response">
    <xs:complexType><xs:sequence>
      <xs:element name="uin" type="uin"/><xs:element name="fullName" type="xs:string"/>
    </xs:sequence></xs:complexType>
  </xs:element>
  <xs:simpleType name="uin"><xs:restriction base="xs:string"><xs:pattern value="[0-9]{12}"/></xs:restriction></xs:simpleType>
</xs:schema>
`

// Reference samples with test data (A3 fields 32, 33).
const (
	ReferenceRequest  = `<request xmlns="urn:shepconf:reference"><uin>990101300123</uin></request>`
	ReferenceResponse = `<response xmlns="urn:shepconf:reference"><uin>990101300123</uin><fullName>Test Person</fullName></response>`
)

// ReferenceRequirements is Appendix 2 for a synchronous service meeting table 1.
func ReferenceRequirements(key string, owner Party) forms.Requirements {
	return forms.Requirements{
		Owner: owner.Name, System: owner.System, Contour: "ЕТС ГО", ServiceKey: key, Mode: forms.Sync,
		NameRU: "Тестовый сервис", NameKK: "Тест сервисі", PurposeRU: "проверка", PurposeKK: "тексеру",
		DescriptionRU: "возвращает ФИО по ИИН", DescriptionKK: "ЖСН бойынша аты-жөнін береді",
		Performance: forms.Performance{MaxProcessing: 30 * time.Second, MeanProcessing: 10 * time.Second,
			PeakPerHour: 2000, NominalPerHour: 360, Availability: forms.Availability, Recovery: 3 * time.Hour},
	}
}

// ReferencePublication is Appendix 3 for the reference service.
func ReferencePublication(key string, owner Party, testURL, prodURL string, cert *x509.Certificate) forms.Publication {
	return forms.Publication{
		OwnerName: owner.Name, OwnerIINBIN: owner.BIN, Responsible: "A. Testov, head of IT",
		RootCategory: "reference", DeveloperContacts: "dev@example.kz", SystemName: owner.System,
		SystemLogin: owner.System, PasswordTest: owner.PasswordTest, PasswordProduction: owner.PasswordProd,
		TestPort: "443", ProductionPort: "443", TransportCertificate: cert,
		ServiceName: "Reference service", ServiceDescription: "returns a name by IIN", ServiceKey: key, Mode: forms.Sync,
		PublishInternal: true, TestURL: testURL, ProductionURL: prodURL,
		XSD:      map[string][]byte{"service.xsd": []byte(ReferenceXSD)},
		XSDEntry: "service.xsd", RequestSample: []byte(ReferenceRequest), ResponseSample: []byte(ReferenceResponse),
		AcceptsConditions: true,
	}
}

// ReferenceConnection is Appendix 5 for connecting init to the service key.
func ReferenceConnection(key string, owner, init Party, cert *x509.Certificate) forms.Connection {
	return forms.Connection{
		OwnerName: owner.Name, OwnerIINBIN: owner.BIN, InitiatorName: init.Name, InitiatorIINBIN: init.BIN,
		Basis: "agreement on information exchange", Responsible: "B. Bastamashy", Phone: "+7 7172 000000", Email: "it@example.kz",
		SystemName: init.System, SystemLogin: init.System, PasswordTest: init.PasswordTest, PasswordProduction: init.PasswordProd,
		TestPort: "443", ProductionPort: "443", TransportCertificate: cert, SecurityAct: "security-act.pdf",
		ServiceKey: key, Mode: forms.Sync, AcceptsConditions: true,
	}
}

// ReferenceAct is the Appendix 4 act for one tested service.
func ReferenceAct(id, key string, owner, init Party, production time.Time) forms.TestAct {
	return forms.TestAct{ID: id, Owner: owner.Name, Initiator: init.Name, OwnerSystem: owner.System, InitiatorSystem: init.System,
		Services: []forms.TestedService{{Name: "Reference service", Key: key}},
		Scenario: "a synchronous request with test data answered through the gateway", Decision: "put into production",
		ProductionDate: production.Format(time.DateOnly)}
}
