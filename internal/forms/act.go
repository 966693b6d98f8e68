package forms

import (
	"encoding/xml"
	"fmt"
	"time"
)

// TestedService is one row of section 3 of the test act (A4 fields 3.1, 3.2).
type TestedService struct {
	Name string `xml:"name"` // 3.1
	Key  string `xml:"key"`  // 3.2
}

// TestAct is Appendix 4, the act of testing and commissioning: formed by the owner or the
// initiator, signed by both with EDS and agreed by the operator.
// The form has no signature fields: the signatures are enveloped XML signatures (see sign.go).
type TestAct struct {
	XMLName         xml.Name        `xml:"testAct"`
	ID              string          `xml:"id,attr"`
	Owner           string          `xml:"participants>owner"`      // 1.1
	Initiator       string          `xml:"participants>initiator"`  // 1.2
	OwnerSystem     string          `xml:"systems>ownerSystem"`     // 2.1
	InitiatorSystem string          `xml:"systems>initiatorSystem"` // 2.2
	Services        []TestedService `xml:"services>service"`        // 3
	Scenario        string          `xml:"scenario"`                // 4
	Decision        string          `xml:"decision"`                // 5
	ProductionDate  string          `xml:"productionDate"`          // 6, YYYY-MM-DD
}

// Validate checks that every field of the act is filled; the date of transfer to production
// (field 6) must be a date.
func (a TestAct) Validate() error {
	c := &checker{form: "A4-F"}
	c.required("1.1", a.Owner, "")
	c.required("1.2", a.Initiator, "")
	c.required("2.1", a.OwnerSystem, "")
	c.required("2.2", a.InitiatorSystem, "")
	if len(a.Services) == 0 {
		c.add("3", "", "at least one tested service", "none", "list the services tested")
	}
	for i, s := range a.Services {
		c.required(fmt.Sprintf("3.1 (service %d)", i+1), s.Name, "")
		c.required(fmt.Sprintf("3.2 (service %d)", i+1), s.Key, "")
	}
	c.required("4", a.Scenario, "")
	c.required("5", a.Decision, "")
	if _, err := time.Parse(time.DateOnly, a.ProductionDate); err != nil {
		c.add("6", "", "a date YYYY-MM-DD", fmt.Sprintf("%q", a.ProductionDate), "enter the date of transfer to production")
	}
	return c.p.Err()
}

// Covers reports whether the act lists the service key.
func (a TestAct) Covers(key string) bool {
	for _, s := range a.Services {
		if s.Key == key {
			return true
		}
	}
	return false
}
