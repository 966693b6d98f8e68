package agency

import "github.com/shepconf/shepconf/internal/defect"

// The defects a client can be given (Config.Defects). Each breaks exactly one rule, so a negative
// run shows the harness catching that one fault.
const (
	DefectExpiredToken       = "expired-token"
	DefectWrongRole          = "wrong-role"
	DefectBadHMAC            = "bad-hmac"
	DefectTamperedCiphertext = "tampered-ciphertext"
	DefectUnsigned           = "unsigned"
	DefectWideRange          = "wide-range"
	DefectQuota              = "quota"
)

// Defect is one deliberate misbehaviour: its name, the rule it breaks and what the client does.
type Defect struct {
	Name   string
	Breaks string // the rule ID
	What   string
}

// KnownDefects lists every defect.
var KnownDefects = []Defect{
	{DefectExpiredToken, "GP-W-REFRESH", "after 401 token.expired repeats the request with the same token and never refreshes it"},
	{DefectWrongRole, "GP-W-ROLE", "asks ESIA for a sending token of role client, which may not send"},
	{DefectBadHMAC, "GP-W-HMAC", "computes X-Packet-HMAC over a body other than the one it sends"},
	{DefectTamperedCiphertext, "GP-W-ENC", "flips a byte of a personal-data field's ciphertext after sealing it"},
	{DefectUnsigned, "GP-W-SIGN", "sends the document without its detached signature"},
	{DefectWideRange, "GP-R-RANGE", "asks one search over the whole period, even one longer than a day"},
	{DefectQuota, "GP-R-QUOTA", "fetches a search task again and again without a pause until it completes, past 15 fetches a day"},
}

// CheckDefects says which of names is not a known defect.
func CheckDefects(names []string) error {
	known := make([]string, len(KnownDefects))
	for i, d := range KnownDefects {
		known[i] = d.Name
	}
	return defect.Check(known, names)
}
