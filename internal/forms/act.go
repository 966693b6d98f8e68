package forms

import (
	"encoding/xml"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// TestedService is one row of section 3 of the test act (A4 fields 3.1, 3.2).
type TestedService struct {
	Name string `xml:"name"` // 3.1
	Key  string `xml:"key"`  // 3.2
}

// TestAct is Appendix 4, the act of testing and commissioning: formed by the owner or the
// initiator, signed by both with EDS and agreed by the operator.
// The form has no signature fields: the signatures are enveloped XML signatures (see sign.go).
//
// The signed XML is the same whatever language the act is read in (the form is official in Kazakh
// and Russian): fields 1-3 and 6 are names, keys and a date, and fields 4 and 5 of an act formed
// from a conformance run are identifiers and codes (TestingScenario, TestingDecision) that each
// rendering words in its own language (WriteActHTML). Fields 4 and 5 may instead be free text
// (Scenario, Decision), as in an act formed by hand or by shepconf before the act was
// language-neutral: such text is shown as it stands in every rendering.
type TestAct struct {
	XMLName         xml.Name         `xml:"testAct"`
	ID              string           `xml:"id,attr"`
	Owner           string           `xml:"participants>owner"`        // 1.1
	Initiator       string           `xml:"participants>initiator"`    // 1.2
	OwnerSystem     string           `xml:"systems>ownerSystem"`       // 2.1
	InitiatorSystem string           `xml:"systems>initiatorSystem"`   // 2.2
	Services        []TestedService  `xml:"services>service"`          // 3
	Scenario        string           `xml:"scenario,omitempty"`        // 4, free text
	TestingScenario *TestingScenario `xml:"testingScenario,omitempty"` // 4, from a conformance run
	Decision        string           `xml:"decision,omitempty"`        // 5, free text
	TestingDecision *TestingDecision `xml:"testingDecision,omitempty"` // 5, from a conformance run
	ProductionDate  string           `xml:"productionDate"`            // 6, YYYY-MM-DD
}

// TestingScenario is field 4 of an act formed from a conformance run (the Rules do not prescribe
// its content): the run, by its date, verdict and seal, and every scenario it ran with its status
// and the clauses it proves; then the remarks the run made.
type TestingScenario struct {
	Date      string        `xml:"date,attr"`    // the day of the run, YYYY-MM-DD in Astana
	Verdict   string        `xml:"verdict,attr"` // as the report prints it: CONFORMANT, NOT CONFORMANT, INCOMPLETE
	Seal      *RunSeal      `xml:"seal,omitempty"`
	Scenarios []RunScenario `xml:"scenario"`
	Remarks   []RunRemark   `xml:"remark"`
}

// RunSeal names the run's results as the harness sealed them (runseal): the time, the harness key
// and the digest of each file, so the act points at exactly one run.
type RunSeal struct {
	Sealed     string       `xml:"sealed,attr"`     // RFC 3339, UTC
	HarnessKey string       `xml:"harnessKey,attr"` // the key's fingerprint, SHA256:…
	Files      []SealedFile `xml:"file"`
}

// SealedFile is one output of the run and its digest ("sha256:" and hex).
type SealedFile struct {
	Name   string `xml:"name,attr"`
	Digest string `xml:"digest,attr"`
}

// DecisionCode is field 5 of an act formed from a run.
type DecisionCode string

const (
	// Ready: every scenario of a run that tested what the act names passed.
	Ready DecisionCode = "ready"
	// NotReady: integration testing continues until a positive result; the gaps say why.
	NotReady DecisionCode = "not-ready"
)

// TestingDecision is field 5 of an act formed from a run: the decision and, when it is not ready,
// what keeps the run from supporting commissioning. The scenarios that did not pass are those of
// field 4 whose status is not passed; they are not repeated here.
type TestingDecision struct {
	Code DecisionCode `xml:"code,attr"`
	Gaps []Gap        `xml:"gap"`
}

// GapCode names one reason a run does not support commissioning.
type GapCode string

// The gaps, with the attributes of Gap each one fills.
const (
	GapRunUnknown          GapCode = "run-unknown"           // the run's folder has no run.json
	GapRunUnreadable       GapCode = "run-unreadable"        // run.json cannot be read
	GapDemonstration       GapCode = "demonstration"         // the harness's own sample systems were tested
	GapTimeScale           GapCode = "time-scale"            // Scale: every limit was shrunk
	GapFiltered            GapCode = "filtered"              // Tags: the run was narrowed with --tags
	GapNoSystemUnderTest   GapCode = "no-system-under-test"  // run.json of an earlier shepconf
	GapRoleNotCertified    GapCode = "role-not-certified"    // Role, Failed, Skipped
	GapNoRole              GapCode = "no-role"               // System: no role was certified
	GapSystemNotTested     GapCode = "system-not-tested"     // System: neither field 2.1 nor 2.2
	GapSideNotCertified    GapCode = "side-not-certified"    // System, Side, Roles
	GapServiceNotExercised GapCode = "service-not-exercised" // Service, Exercised
	GapNoScenario          GapCode = "no-scenario"           // the run ran no scenario
	GapScenariosNotPassed  GapCode = "scenarios-not-passed"  // Verdict, Open, Total
)

// Gap is one reason a run does not support commissioning, as a code and the identifiers and
// counts it names; each rendering of the act says it in its own language (gapTexts).
type Gap struct {
	Code      GapCode `xml:"code,attr"`
	System    string  `xml:"system,attr,omitempty"` // the system the run tested
	Side      string  `xml:"side,attr,omitempty"`   // owner (field 2.1) or initiator (field 2.2)
	Role      string  `xml:"role,attr,omitempty"`
	Roles     IDList  `xml:"roles,attr,omitempty"`
	Service   string  `xml:"service,attr,omitempty"`
	Exercised IDList  `xml:"exercised,attr,omitempty"` // the services the run exercised in a certified role
	Failed    int     `xml:"failed,attr,omitempty"`
	Skipped   int     `xml:"skipped,attr,omitempty"` // skipped, pending or undefined
	Open      int     `xml:"open,attr,omitempty"`    // scenarios that did not pass
	Total     int     `xml:"total,attr,omitempty"`
	Verdict   string  `xml:"verdict,attr,omitempty"`
	Scale     string  `xml:"scale,attr,omitempty"`
	Tags      string  `xml:"tags,attr,omitempty"`
}

// Sides of the act a gap can name (Gap.Side).
const (
	OwnerSide     = "owner"     // field 2.1
	InitiatorSide = "initiator" // field 2.2
)

// IDList is a list of identifiers (clause IDs, roles, service keys) written as one attribute,
// separated by spaces, as an XML Schema list type is.
type IDList []string

// MarshalXMLAttr writes the identifiers separated by spaces.
func (l IDList) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return xml.Attr{Name: name, Value: strings.Join(l, " ")}, nil
}

// UnmarshalXMLAttr reads identifiers separated by spaces.
func (l *IDList) UnmarshalXMLAttr(a xml.Attr) error {
	*l = strings.Fields(a.Value)
	return nil
}

// Validate checks that every field of the act is filled; the date of transfer to production
// (field 6) must be a date. Fields 4 and 5 are each either free text or a run's record, not both,
// and a decision drawn from a run needs that run in field 4.
func (a TestAct) Validate() error {
	c := &checker{form: "A4-F"}
	c.required("1.1", a.Owner, "")
	c.required("1.2", a.Initiator, "")
	c.required("2.1", a.OwnerSystem, "")
	c.required("2.2", a.InitiatorSystem, "")
	if len(a.Services) == 0 {
		c.add("3", "", msg.F("at least one tested service"), msg.F("none"), msg.F("list the services tested"))
	}
	for i, s := range a.Services {
		c.requiredAt(serviceField("3.1", i+1), s.Name, "")
		c.requiredAt(serviceField("3.2", i+1), s.Key, "")
	}
	switch s := a.TestingScenario; {
	case s == nil:
		c.required("4", a.Scenario, "")
	case a.Scenario != "":
		c.add("4", "", msg.F("free text or the record of a run"), msg.F("both"), msg.F("keep one of them"))
	default:
		if _, err := time.Parse(time.DateOnly, s.Date); err != nil {
			c.add("4", "", msg.F("the date of the run, YYYY-MM-DD"), msg.F("%q", s.Date), msg.F("give the day the run was made"))
		}
		c.requiredAt(verdictField("4"), s.Verdict, "")
	}
	switch d := a.TestingDecision; {
	case d == nil:
		c.required("5", a.Decision, "")
	case a.Decision != "":
		c.add("5", "", msg.F("free text or a decision drawn from a run"), msg.F("both"), msg.F("keep one of them"))
	case a.TestingScenario == nil:
		c.add("5", "", msg.F("the run the decision is drawn from, in field %s", "4"), msg.F("no run"), msg.F("record the run in field %s", "4"))
	case d.Code == Ready && len(d.Gaps) > 0:
		c.add("5", "", msg.F("a positive decision with nothing missing"), msg.F("%d gaps", len(d.Gaps)), msg.F("decide %s, or close the gaps", NotReady))
	case d.Code == NotReady && len(d.Gaps) == 0:
		c.add("5", "", msg.F("what keeps the service from commissioning"), msg.F("nothing"), msg.F("name the gaps, or decide %s", Ready))
	case d.Code != Ready && d.Code != NotReady:
		c.add("5", "", msg.F("the decision %s or %s", Ready, NotReady), msg.F("%q", d.Code), msg.F("decide %s or %s", Ready, NotReady))
	}
	if _, err := time.Parse(time.DateOnly, a.ProductionDate); err != nil {
		c.add("6", "", msg.F("a date YYYY-MM-DD"), msg.F("%q", a.ProductionDate), msg.F("enter the date of transfer to production"))
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
