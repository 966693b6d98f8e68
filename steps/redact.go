package steps

import (
	"fmt"
	"strings"

	"github.com/shepconf/shepconf/internal/trigger"
)

// RedactedTrigger is a trigger request as the evidence keeps it: the files' bodies replaced by
// their sizes, and the secrets left out: the password of the SMDO router's client credentials, the
// Gospochta packet key and API key.
func RedactedTrigger(r trigger.Request) trigger.Request {
	if len(r.Files) > 0 {
		files := map[string]string{}
		for name, b := range r.Files {
			files[name] = fmt.Sprintf("(%d base64 characters)", len(b))
		}
		r.Files = files
	}
	if r.SMDO != nil {
		s := *r.SMDO
		if user, _, ok := strings.Cut(s.Credentials, ":"); ok {
			s.Credentials = user + ":(password)"
		}
		r.SMDO = &s
	}
	if r.Gospochta != nil {
		g := *r.Gospochta
		if g.HMACKey != "" {
			g.HMACKey = "(packet key)"
		}
		r.Gospochta = &g
		if r.APIKey != "" {
			r.APIKey = "(API key file)"
		}
	}
	return r
}
