package shep

import (
	"fmt"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// quoted is what a system or the wire said (a body, a reason phrase, a system's own error), in its
// own words in every language; nothing said is the empty text.
func quoted(s string) msg.Text {
	if s == "" {
		return msg.Text{}
	}
	return msg.Quoted(s)
}

// quotedBody is at most n characters of a body, quoted.
func quotedBody(b []byte, n int) msg.Text { return quoted(fmt.Sprintf("%.*s", n, b)) }

// restFaultText is a gateway's REST error: its code, its errorMessage as sent, and the breach
// behind its errorData.
func restFaultText(f *gateway.RESTFault) msg.Text {
	return msg.F("REST error %s %s: %s", f.Error.ErrorCode, quoted(f.Error.ErrorMessage), gateway.Explain(f.Error.ErrorData))
}
