package steps

import (
	"fmt"
	"strings"

	"github.com/shepconf/shepconf/internal/trigger"
)

// RedactedTrigger is a trigger request as the evidence keeps it: the files' bodies replaced by
// their sizes, and the password of the router's client credentials left out.
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
	return r
}
