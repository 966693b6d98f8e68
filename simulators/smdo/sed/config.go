package sed

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/pki"
)

const (
	// DefaultPollInterval is the receiving thread's period: «с периодом в 5 мин» (SMDO-POLL).
	DefaultPollInterval = 5 * time.Minute
	// DefaultRestartPause is the sending thread's pause after a send: «Периодичность запуска потока
	// после завершения предыдущей отправки – 10 сек» (SMDO-RESTART).
	DefaultRestartPause = 10 * time.Second
)

// Party is a subscriber of SMDO as the subscriber directory gives it (SMDO-DIR).
type Party struct {
	ID   string // idAbonent: organization.id, used in to[].idAbonent
	Code string // smdoCode, used in header.sender.id and header.receiver[].id
	Name string // the organisation's full name
}

// Config sets a Client up.
type Config struct {
	// RouterURL is the router's base URL; a missing final "/" is added.
	RouterURL string
	// Username and Password are the subscriber's client credentials for the token (SMDO-TOKEN).
	Username, Password string
	// Subscriber is the system's own subscriber.
	Subscriber Party
	// Identity signs the files it sends (SMDO-SIGN).
	Identity *pki.Identity
	// HTTPClient trusts the router's CA; http.DefaultClient when nil.
	HTTPClient *http.Client

	// PollInterval is the receiving thread's period; DefaultPollInterval when zero (SMDO-POLL).
	PollInterval time.Duration
	// RestartPause is the pause after a send before the next; DefaultRestartPause when zero
	// (SMDO-RESTART).
	RestartPause time.Duration
	// Register is how the system registers a received document that asks for acknowledgement: the
	// errorcode of the registration notice (0 registered, 1 not subject to registration, 2 refused)
	// and its reason. Nil registers every document (0).
	Register func(Incoming) (errorcode int, reason string)

	// Clock gives the time (dtstamp, token expiry, pauses); the wall clock when nil.
	Clock clock.Clock
	// Sleep waits; by default a timer on the wall clock, or Clock.Advance when Clock is virtual.
	Sleep func(ctx context.Context, d time.Duration) error

	// Defects makes the client misbehave on purpose; see KnownDefects.
	Defects []string
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.RouterURL != "" && !strings.HasSuffix(c.RouterURL, "/") {
		c.RouterURL += "/"
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.RestartPause <= 0 {
		c.RestartPause = DefaultRestartPause
	}
	if c.Register == nil {
		c.Register = func(Incoming) (int, string) { return AckRegistered, "" }
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Sleep == nil {
		c.Sleep = clock.Sleeper(c.Clock)
	}
	return c
}
