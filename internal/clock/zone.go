// Package clock holds time as the Rules see it: Kazakhstan's time zone (and, later, the virtual
// clock and the working-day calendar of the procedures).
package clock

import "time"

// Astana is the time of Kazakhstan (UTC+5 across the country since 1 March 2024). The Rules state no
// zone for message dates (Appendix 1, O-27); a date without an offset is read in this zone.
var Astana = time.FixedZone("Asia/Almaty", 5*60*60)
