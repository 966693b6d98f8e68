// Package clock holds time as the Rules see it: Kazakhstan's time zone (and, later, the virtual
// clock and the working-day calendar of the procedures).
package clock

import "time"

// Astana is the time of Kazakhstan (UTC+5 across the country since 1 March 2024). The Rules state no
// zone for message dates (Appendix 1, O-27); a date without an offset is read in this zone.
//
// Time zone policy: every date the simulators write on the wire (SOAP answers and faults,
// asynchronous answers and notifications, REST answers, the reference participants' and the sample
// agency's messages) is in this zone, with its offset, +05:00; envelope.DateTime writes any time in
// it. Stored and evidential times stay in UTC: the journal, certificate, OCSP and CRL fields, report
// timestamps.
var Astana = time.FixedZone("Asia/Almaty", 5*60*60)
