package client

import (
	"context"
	"net/http"
	"time"

	"github.com/shepconf/shepconf/internal/clock"
	"github.com/shepconf/shepconf/internal/pki"
)

// Limits are the request limits of Appendix 3 (EPGU-A3) the client keeps to on its side.
type Limits struct {
	PerMinute int // HTTP requests to the API per minute; 2 000 by default
	PerHour   int // per hour; 120 000 by default
}

// Retry bounds the retries of 429 and 502/503/504 (EPGU-A4).
type Retry struct {
	Max  int           // retries after the first attempt; 4 by default
	Base time.Duration // first back-off when the answer has no Retry-After; 1 s by default
	Cap  time.Duration // longest exponential back-off; 30 s by default
}

// Config sets a Client up. ESIAURL and APIURL are base URLs without a trailing slash.
type Config struct {
	ESIAURL    string
	APIURL     string
	HTTPClient *http.Client // trusting the simulators' CA; http.DefaultClient when nil

	// Identity is the system's certificate and key, registered for it in ESIA: it signs the API key
	// of token requests and the <file>.sig of archives.
	Identity *pki.Identity
	// Mnemonic is the system's mnemonic in ESIA (client_id); for messages, Б.12 does not send it.
	Mnemonic string
	// APIKey is the API key file of ESIA's technological portal (ESIA-B12), as esia.ParseAPIKey reads.
	APIKey []byte
	// TSAURL is an RFC 3161 time-stamp authority; when set every .sig carries a signature time-stamp.
	TSAURL string

	// Clock gives the time (limits, windows, token expiry); the wall clock by default.
	Clock clock.Clock
	// Sleep waits; by default a timer on the wall clock, or Clock.Advance when Clock is virtual, so
	// a test or a virtual run shrinks every wait.
	Sleep func(ctx context.Context, d time.Duration) error

	Limits Limits
	Retry  Retry
	// ChunkSize is the size of every non-last chunk; DefaultChunkSize by default, within
	// MinChunkSize..MaxChunkSize (EPGU-2.1.3).
	ChunkSize int
	// ChunkWindow is the time all chunks must be sent in, counted from the first; 5 min by default
	// (EPGU-2.1.3).
	ChunkWindow time.Duration
	// PollInterval is the pause between two polls of an order; 5 s by default.
	PollInterval time.Duration

	// Defects makes the client misbehave on purpose; see KnownDefects.
	Defects []string
}

const (
	// DefaultChunkSize, MinChunkSize and MaxChunkSize: every non-last chunk is 5 000 000 to
	// 50 000 000 bytes, the last one at most 50 000 000 (EPGU-2.1.3, v1.12.1).
	DefaultChunkSize = 5_000_000
	MinChunkSize     = 5_000_000
	MaxChunkSize     = 50_000_000
	// MaxPushSize is the largest archive /push takes; a larger one goes by chunks (EPGU-2.1.4).
	MaxPushSize = 50_000_000
	// DefaultChunkWindow is the time all chunks must be sent in (EPGU-2.1.3).
	DefaultChunkWindow = 5 * time.Minute
	// DefaultPollInterval is the pause between polls of an order.
	DefaultPollInterval = 5 * time.Second
)

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Sleep == nil {
		c.Sleep = clock.Sleeper(c.Clock)
	}
	if c.Limits.PerMinute <= 0 {
		c.Limits.PerMinute = 2_000 // EPGU-A3
	}
	if c.Limits.PerHour <= 0 {
		c.Limits.PerHour = 120_000 // EPGU-A3
	}
	if c.Retry.Max <= 0 {
		c.Retry.Max = 4
	}
	if c.Retry.Base <= 0 {
		c.Retry.Base = time.Second
	}
	if c.Retry.Cap <= 0 {
		c.Retry.Cap = 30 * time.Second
	}
	if c.ChunkSize == 0 {
		c.ChunkSize = DefaultChunkSize
	}
	if c.ChunkWindow <= 0 {
		c.ChunkWindow = DefaultChunkWindow
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	return c
}
