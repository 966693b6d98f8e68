package sed

import "github.com/shepconf/shepconf/internal/defect"

// The defects a client can be given (Config.Defects). Each breaks exactly one rule, so a negative
// run shows the harness catching that one fault.
const (
	DefectNoSig         = "no-sig"
	DefectNoConfirm     = "no-confirm"
	DefectIgnoreRefusal = "ignore-refusal"
	DefectPollFast      = "poll-fast"
	DefectNoReauth      = "no-reauth"
	DefectNoAck         = "no-ack"
	DefectFastRestart   = "fast-restart"
)

// KnownDefects lists every defect by name; DefectBreaks says what each does.
var KnownDefects = []string{DefectNoSig, DefectNoConfirm, DefectIgnoreRefusal, DefectPollFast,
	DefectNoReauth, DefectNoAck, DefectFastRestart}

// DefectBreaks says, for each known defect, what the client does wrong and which rule that breaks.
var DefectBreaks = map[string]string{
	DefectNoSig: "leaves the second file of a document unsigned: no signature in its docTransfer, no " +
		"signs put (SMDO-SIGN: the router refuses the package before sending); a single file is signed",
	DefectNoConfirm: "never confirms a package it takes, so the router offers it again (SMDO-CONFIRM)",
	DefectIgnoreRefusal: "goes on after a negative answer of the router and asks it to send the package " +
		"(SMDO-HALT), and reports a refused registration as registered (SMDO-ACK)",
	DefectPollFast:    "polls its incoming list every PollInterval/10 (SMDO-POLL)",
	DefectNoReauth:    "on 401 gives up instead of getting a new token and repeating the call (SMDO-TOKEN)",
	DefectNoAck:       "does not answer documents that ask for acknowledgement (SMDO-ACK)",
	DefectFastRestart: "starts the next send at once, without the pause after the previous (SMDO-RESTART)",
}

// CheckDefects says which of names is not a known defect.
func CheckDefects(names []string) error { return defect.Check(KnownDefects, names) }
