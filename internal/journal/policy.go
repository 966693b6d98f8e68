package journal

import (
	"context"
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shepconf/shepconf/internal/redact"
)

// What the journal keeps of a sender's input (R-2.18: the journal records the exchange, not a copy
// of whatever was sent). Identifiers and the detail of a refusal often echo rejected input; stored
// whole, ten requests with a 9 MB senderId grew the journal by hundreds of megabytes. A longer value
// is stored cut to the limit, followed by its full size and SHA-256 digest, so the original can
// still be recognised.
const (
	// MaxIDLength bounds the identifiers of an event (session, message, sender, service, channel,
	// code, rule), in bytes: real ones are GUIDs and registry names, far shorter.
	MaxIDLength = 256
	// MaxDetailLength bounds an event's detail, in bytes: room for a rule breach that quotes the
	// offending field, not for the message it came in.
	MaxDetailLength = 16 << 10
)

// recordTimeout bounds how long a journal write waits for its turn in the group commit. A write
// does not end with the request that caused it (a client hanging up must not erase the record of
// its exchange), but it may not wait forever either; once its transaction runs, SQLite's own busy
// timeout (10 s) bounds it.
const recordTimeout = 15 * time.Second

// writeContext is the context of one journal write: the caller's values without its cancellation,
// and a bound of its own.
func writeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// Clip returns s when it fits in limit bytes; otherwise its first limit bytes (cut at a character
// boundary), "…" and " [truncated: N bytes, sha256 <hex>]" of the whole of s. Two different long
// values clip to different strings, so a clipped identifier still identifies: a lookup of a value
// the journal may have clipped compares Clip(value, MaxIDLength).
func Clip(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	return fmt.Sprintf("%s… [truncated: %d bytes, sha256 %x]", s[:runeCut(s, limit)], len(s), sha256.Sum256([]byte(s)))
}

// A password opened and left unclosed at the end of a detail: the limit cut it, or it was quoted in
// part. Everything after the opening is taken for the secret. Whole secrets are redact's; these
// exist only because the journal cuts.
var openSecretPatterns = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?is)(<(?:[\w.-]+:)?password\b[^>]*>)[^<]*$`), "${1}" + redact.Placeholder},
	{regexp.MustCompile(`(?is)(&lt;(?:[\w.-]+:)?password\b[^&]*&gt;)(?:[^&]|&[^l])*$`), "${1}" + redact.Placeholder},
	{regexp.MustCompile(`(?i)("password"\s*:\s*)"(?:[^"\\]|\\.)*$`), `${1}"` + redact.Placeholder},
}

// redactMargin is how far past MaxDetailLength a long detail is searched for secrets: a secret that
// the limit cuts is still recognised whole. The rest of a long detail is not searched (it is not
// kept), so a 10 MB detail costs a digest, not a regular-expression scan of 10 MB.
const redactMargin = 4 << 10

// keptDetail is a detail as the journal keeps it: secrets redacted, within MaxDetailLength, a cut
// one followed by the size and SHA-256 digest of the whole (as in Clip).
func keptDetail(s string) string {
	if len(s) <= MaxDetailLength {
		return redactOpen(redact.String(s))
	}
	kept := redact.String(s[:runeCut(s, MaxDetailLength+redactMargin)])
	kept = redactOpen(kept[:runeCut(kept, MaxDetailLength)])
	return fmt.Sprintf("%s… [truncated: %d bytes, sha256 %x]", kept, len(s), sha256.Sum256([]byte(s)))
}

func redactOpen(s string) string {
	// Every unclosed pattern names a password: a detail without the word is not scanned.
	if !strings.Contains(strings.ToLower(s), "password") {
		return s
	}
	for _, p := range openSecretPatterns {
		s = p.re.ReplaceAllString(s, p.with)
	}
	return s
}

// runeCut is the largest length up to limit that does not split a UTF-8 character of s.
func runeCut(s string, limit int) int {
	if len(s) <= limit {
		return len(s)
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return limit
}

// stored is e as the journal keeps it: every field within its limit, secrets redacted from the
// detail.
func stored(e Event) Event {
	for _, f := range []*string{&e.Channel, &e.SessionID, &e.MessageID, &e.SenderID, &e.ServiceID, &e.Code, &e.Rule} {
		*f = Clip(*f, MaxIDLength)
	}
	e.Detail = keptDetail(e.Detail)
	return e
}

// WriteErrors is the number of events the journal failed to write since it was opened: each is an
// exchange whose record is incomplete (exposed on /metrics).
func (j *Journal) WriteErrors() uint64 { return j.writeErrors.Load() }
