package forms

import (
	"strconv"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// The figures of Appendix 2's tables that internal/rule does not already hold.
const (
	// A2-T1 row 5, A2-T2 row 4: "365/7/24", read as continuous availability.
	Availability = "365/7/24"
	// A2-T1 row 6, A2-T2 row 5: recovery time.
	RecoveryTime = 3 * time.Hour
)

// Performance is the performance and reliability block of Appendix 2 (fields 12-17), as the owner
// declares it for the service.
type Performance struct {
	MaxProcessing  time.Duration // 12; for an asynchronous service the table sets no limit (A2-T2 row 1)
	MeanProcessing time.Duration // 13; synchronous only
	PeakPerHour    int           // 14
	NominalPerHour int           // 15
	Availability   string        // 16
	Recovery       time.Duration // 17
}

// Requirements is Appendix 2, "Requirements for interaction with the service", filled by the owner
//
type Requirements struct {
	Owner          string      // 1
	System         string      // 2
	Contour        string      // 3
	ServiceKey     string      // 4
	Mode           Mode        // 5
	NameRU         string      // 6
	NameKK         string      // 7
	PurposeRU      string      // 8
	PurposeKK      string      // 9
	DescriptionRU  string      // 10
	DescriptionKK  string      // 11
	Performance    Performance // 12-17
	EDS            string      // 18 (a)
	Security       string      // 18 (b)
	JournalFormat  string      // 18 (c)
	GatewaySideReq string      // 18 (d)
}

// Validate checks the form's fields and the performance block against table 1 (synchronous) or
// table 2 (asynchronous). Fields 1-11 are required; the four parts of field 18 are free text and may
// be empty (the form does not say, see forms.md note 1 to F2).
func (r Requirements) Validate() error {
	c := &checker{form: "A2-F"}
	for _, f := range []struct{ n, v string }{
		{"1", r.Owner}, {"2", r.System}, {"3", r.Contour}, {"4", r.ServiceKey},
		{"6", r.NameRU}, {"7", r.NameKK}, {"8", r.PurposeRU}, {"9", r.PurposeKK},
		{"10", r.DescriptionRU}, {"11", r.DescriptionKK},
	} {
		c.required(f.n, f.v, "R-14")
	}
	c.mode("5", r.Mode)
	p := r.Performance
	if r.Mode == Async {
		r.asyncTable(c, p)
	} else {
		r.syncTable(c, p)
	}
	return c.p.Err()
}

func (Requirements) syncTable(c *checker, p Performance) {
	if p.MaxProcessing <= 0 || p.MaxProcessing > rule.SyncMaxProcessing {
		c.add("12", "A2-T1 row 1", msg.F("up to %s", rule.SyncMaxProcessing), msg.Raw(p.MaxProcessing.String()), msg.F("declare a maximum processing time within 30 seconds"))
	}
	if p.MeanProcessing <= 0 || p.MeanProcessing > rule.SyncMeanProcessing {
		c.add("13", "A2-T1 row 2", msg.F("%s or less", rule.SyncMeanProcessing), msg.Raw(p.MeanProcessing.String()), msg.F("declare an average processing time within 10 seconds"))
	}
	load(c, "14", "A2-T1 row 3", "15", "A2-T1 row 4", p)
	reliability(c, "16", "A2-T1 row 5", "17", "A2-T1 row 6", p)
}

func (Requirements) asyncTable(c *checker, p Performance) {
	// A2-T2 row 1: the time to give the result depends on each service; nothing to check but sign.
	if p.MaxProcessing < 0 {
		c.add("12", "A2-T2 row 1", msg.F("a processing time (no limit is set)"), msg.Raw(p.MaxProcessing.String()), msg.F("declare a non-negative time"))
	}
	load(c, "14", "A2-T2 row 2", "15", "A2-T2 row 3", p)
	reliability(c, "16", "A2-T2 row 4", "17", "A2-T2 row 5", p)
}

// load: the service must bear at least the table's peak and nominal loads.
func load(c *checker, peakField, peakRule, nomField, nomRule string, p Performance) {
	if p.PeakPerHour < rule.PeakPerHour {
		c.add(peakField, peakRule, msg.F("at least %d requests per hour", rule.PeakPerHour), msg.Raw(strconv.Itoa(p.PeakPerHour)), msg.F("the service must bear the peak load of the table"))
	}
	if p.NominalPerHour < rule.NominalPerHour {
		c.add(nomField, nomRule, msg.F("at least %d requests per hour", rule.NominalPerHour), msg.Raw(strconv.Itoa(p.NominalPerHour)), msg.F("the service must bear the nominal load of the table"))
	}
}

func reliability(c *checker, availField, availRule, recField, recRule string, p Performance) {
	if p.Availability != Availability {
		c.add(availField, availRule, msg.Raw(Availability), msg.F("%q", p.Availability), msg.F("declare %s", Availability))
	}
	if p.Recovery <= 0 || p.Recovery > RecoveryTime {
		c.add(recField, recRule, msg.F("recovery within %s", RecoveryTime), msg.Raw(p.Recovery.String()), msg.F("declare a recovery time of at most 3 hours"))
	}
}
