package client

import "github.com/shepconf/shepconf/internal/defect"

// The defects a client can be given (Config.Defects). Each breaks exactly one rule, so a negative
// run shows the harness catching that one fault.
const (
	DefectChunkOrder  = "chunk-order"
	DefectChunkWindow = "chunk-window"
	DefectNoSig       = "no-sig"
	DefectInvalidXML  = "invalid-xml"
	DefectNoReauth    = "no-reauth"
	DefectPollFlood   = "poll-flood"
	// DefectStaleTimestamp signs a citizen's sign-in with a timestamp two hours old.
	DefectStaleTimestamp = "stale-timestamp"
)

// Defect is one deliberate misbehaviour and what it breaks.
type Defect struct {
	Name   string
	Breaks string
}

// KnownDefects lists every defect, one line each.
var KnownDefects = []Defect{
	{DefectChunkOrder, "sends the last chunk before a middle one (EPGU-2.1.3: the last chunk goes last); needs 3+ chunks, with 2 it sends the last first"},
	{DefectChunkWindow, "waits past the chunk window after the first chunk (EPGU-2.1.3: all chunks within 5 minutes); needs 2+ chunks"},
	{DefectNoSig, "leaves out the <file>.sig detached signatures of a signed submission (EPGU-2.1.3, FILES_VERIFICATION_FAILED of EPGU-A1)"},
	{DefectInvalidXML, "skips its own validation and sends the business XML with an element removed (VALIDATION_ERROR of EPGU-A1)"},
	{DefectNoReauth, "on 401 gives up instead of getting a new token and repeating the request (EPGU-A4)"},
	{DefectPollFlood, "polls order details in a tight loop, without its limiter or interval (EPGU-A3)"},
	{DefectStaleTimestamp, "signs a citizen's sign-in with a timestamp two hours old, which ESIA refuses with ESIA-007015 (ESIA-OAUTH)"},
}

// CheckDefects says which of names is not a known defect.
func CheckDefects(names []string) error {
	known := make([]string, len(KnownDefects))
	for i, d := range KnownDefects {
		known[i] = d.Name
	}
	return defect.Check(known, names)
}
