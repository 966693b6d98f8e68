package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/xmlguard"
)

// AuthLimits bounds failed authentications (R-53(2)): after MaxFailuresPerSystem failures for one
// senderId, or MaxFailuresPerAddress from one client address, within Window, every authentication
// of that senderId or from that address is refused for LockOut, the right password included.
// Failures count for any senderId claimed, registered or not, so a lock-out tells nothing about the
// registry. An address has a higher limit than a system: one address may front several systems (an
// agency's integration server, a NAT).
type AuthLimits struct {
	MaxFailuresPerSystem  int // 0: no limit per system
	MaxFailuresPerAddress int // 0: no limit per address
	Window                time.Duration
	LockOut               time.Duration
}

// DefaultAuthLimits: 10 failures a minute per system, 30 per address, then 5 minutes locked out. A
// system with the right password never fails; an attacker gets 10 guesses per 6 minutes instead of
// the 580 a second measured before the limit.
func DefaultAuthLimits() AuthLimits {
	return AuthLimits{MaxFailuresPerSystem: 10, MaxFailuresPerAddress: 30, Window: time.Minute, LockOut: 5 * time.Minute}
}

// WithAuthLimits sets the limits on failed authentications; AuthLimits{} switches them off (for
// tests that send wrong passwords on purpose, many times).
func WithAuthLimits(l AuthLimits) Option { return func(g *Gateway) { g.guard().setLimits(l) } }

// maxTracked bounds the senderIds and addresses whose failures are remembered, so that failures
// under ever new names cannot grow memory without bound; beyond it, the oldest quiet entries go.
const maxTracked = 10_000

// AdmissionCounts says how far requests got through admission, cheapest check first: refused by
// the pre-scan, refused at authentication, and validated against the schema (the first full parse).
type AdmissionCounts struct {
	ScanRefused int64 // refused by the streaming pre-scan (xmlguard)
	AuthRefused int64 // refused at authentication, lock-outs included
	Validated   int64 // reached schema validation: libxml2 parsed them
}

// AdmissionCounts returns the gateway's admission counters since it started.
func (g *Gateway) AdmissionCounts() AdmissionCounts {
	c := &g.guard().counts
	return AdmissionCounts{ScanRefused: c.scanRefused.Load(), AuthRefused: c.authRefused.Load(), Validated: c.validated.Load()}
}

// guard is the gateway's admission state: the attempt limiter and the counters.
type guard struct {
	mu        sync.Mutex
	limits    AuthLimits
	now       func() time.Time
	bySystem  map[string]*attempts
	byAddress map[string]*attempts
	counts    struct{ scanRefused, authRefused, validated atomic.Int64 }
}

// attempts are the recent failures of one senderId or address, and its lock-out.
type attempts struct {
	failures    []time.Time // within the window, oldest first
	lockedUntil time.Time
}

func newGuard() *guard {
	return &guard{limits: DefaultAuthLimits(), now: time.Now, bySystem: map[string]*attempts{}, byAddress: map[string]*attempts{}}
}

func (g *Gateway) guard() *guard { return g.credentials }

func (gd *guard) setLimits(l AuthLimits) {
	gd.mu.Lock()
	defer gd.mu.Unlock()
	gd.limits = l
}

// lockedOut reports how long the senderId or the address is still locked out.
func (gd *guard) lockedOut(senderID, addr string) time.Duration {
	gd.mu.Lock()
	defer gd.mu.Unlock()
	now := gd.now()
	var left time.Duration
	for _, a := range []*attempts{gd.bySystem[systemKey(senderID)], gd.byAddress[addr]} {
		if a != nil && a.lockedUntil.After(now) && a.lockedUntil.Sub(now) > left {
			left = a.lockedUntil.Sub(now)
		}
	}
	return left
}

// failed counts a failed authentication and returns the lock-outs it starts, for the journal.
func (gd *guard) failed(senderID, addr string) []string {
	gd.mu.Lock()
	defer gd.mu.Unlock()
	var started []string
	if gd.count(gd.bySystem, systemKey(senderID), gd.limits.MaxFailuresPerSystem) {
		started = append(started, fmt.Sprintf("senderId %.100q", senderID))
	}
	if addr != "" && gd.count(gd.byAddress, addr, gd.limits.MaxFailuresPerAddress) {
		started = append(started, "client address "+addr)
	}
	return started
}

// count adds a failure to key's record and reports whether it starts a lock-out.
func (gd *guard) count(m map[string]*attempts, key string, max int) bool {
	if max <= 0 {
		return false
	}
	now := gd.now()
	a := m[key]
	if a == nil {
		if len(m) >= maxTracked {
			gd.prune(m, now)
		}
		a = &attempts{}
		m[key] = a
	}
	kept := a.failures[:0]
	for _, t := range a.failures {
		if now.Sub(t) < gd.limits.Window {
			kept = append(kept, t)
		}
	}
	a.failures = append(kept, now)
	if len(a.failures) >= max && !a.lockedUntil.After(now) {
		a.lockedUntil, a.failures = now.Add(gd.limits.LockOut), nil
		return true
	}
	return false
}

// prune forgets entries neither locked nor failed within the window; if all are, any half of them.
func (gd *guard) prune(m map[string]*attempts, now time.Time) {
	for k, a := range m {
		if !a.lockedUntil.After(now) && (len(a.failures) == 0 || now.Sub(a.failures[len(a.failures)-1]) >= gd.limits.Window) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) < maxTracked/2 {
			break
		}
		delete(m, k)
	}
}

// systemKey bounds the key of a claimed senderId: it may be megabytes long.
func systemKey(senderID string) string {
	if len(senderID) <= 128 {
		return senderID
	}
	sum := sha256.Sum256([]byte(senderID))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// clientKey is the context key of the client's address.
type clientKey struct{}

// WithClientAddress records the client's address (the host of RemoteAddr) in the request's
// context, where the SOAP channels' admission finds it to limit failed authentications per address.
func WithClientAddress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, hostOf(r.RemoteAddr))))
	})
}

func clientAddress(ctx context.Context) string {
	addr, _ := ctx.Value(clientKey{}).(string)
	return addr
}

func hostOf(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}

// claim is what a request says of its sender, and where.
type claim struct {
	senderID, password string
	field              string // where the sender is, e.g. "request/requestInfo/sender"
	client             string // the client's address, "" when unknown
}

// dummyPassword is compared when the senderId is unknown, so that an unknown system costs the same
// comparison as a known one.
const dummyPassword = "no system has this password; it only keeps the comparison's cost even"

// checkCredentials authenticates a sender by the senderId and password the operator issued (R-53(2)).
// Its answers do not tell the registry: an unknown senderId and a wrong password get the same
// refusal, and the journal alone records which it was (never the password). Failures count against
// the senderId and the client's address (AuthLimits); a lock-out refuses even the right password.
func (g *Gateway) checkCredentials(ctx context.Context, x *exchange, c claim) (System, *failure) {
	gd := g.guard()
	if left := gd.lockedOut(c.senderID, c.client); left > 0 {
		gd.counts.authRefused.Add(1)
		return System{}, lockedOutFailure(c.field, left)
	}
	sys, known := g.registry.System(c.senderID)
	want := dummyPassword
	if known {
		want = sys.Password
	}
	if passwordMatches(want, c.password) && known {
		return sys, nil
	}
	gd.counts.authRefused.Add(1)
	reason := fmt.Sprintf("senderId %.100q is not registered", c.senderID)
	if known {
		reason = fmt.Sprintf("the password for %s does not match the one the operator issued", sys.ID)
	}
	// The journal writes outlive the request (journal.Record): a client that hangs up does not
	// erase its failed attempt.
	_ = x.record(ctx, journal.AuthRefused, envelope.SCE002.ID, "R-53", reason+fromClient(c.client))
	for _, who := range gd.failed(c.senderID, c.client) {
		lim := gd.limitsNow()
		_ = x.record(ctx, journal.AuthRefused, envelope.SCE002.ID, "R-53", fmt.Sprintf(
			"lock-out of %s for %s: too many failed authentications within %s (limits: %d per system, %d per address)",
			who, lim.LockOut, lim.Window, lim.MaxFailuresPerSystem, lim.MaxFailuresPerAddress))
	}
	return System{}, credentialsRefused(c.field)
}

func (gd *guard) limitsNow() AuthLimits {
	gd.mu.Lock()
	defer gd.mu.Unlock()
	return gd.limits
}

func fromClient(addr string) string {
	if addr == "" {
		return ""
	}
	return " (from " + addr + ")"
}

// credentialsRefused is the one answer to an unknown system and to a wrong password (R-53(2)): it
// depends on the request alone, never on what the registry holds.
func credentialsRefused(field string) *failure {
	return &failure{code: envelope.SCE002, client: true, breach: &rule.Breach{
		Rule: "R-53", Field: msg.Raw(field), Expected: msg.F("the senderId and password the operator issued to a registered system"),
		Observed: msg.F("the senderId and password do not authenticate a registered system"),
		Note:     msg.F("The gateway does not say which of the two is wrong, so that its answers do not reveal the registry"),
		Fix:      msg.F("send the system identifier and the password issued by the operator")}}
}

// lockedOutFailure refuses an authentication during a lock-out. It names the wait, not whether the
// senderId exists: failures lock out registered and unknown senderIds alike.
func lockedOutFailure(field string, left time.Duration) *failure {
	secs := int(left.Round(time.Second) / time.Second)
	return &failure{code: envelope.SCE002, client: true, breach: &rule.Breach{
		Rule: "R-53", Field: msg.Raw(field), Expected: msg.F("an authentication attempt outside a lock-out"),
		Observed: msg.F("too many failed authentications for this senderId or from this address: locked out for another %d s", secs),
		Fix:      msg.F("retry after %d s with the system identifier and password issued by the operator", secs)}}
}

// noPassword refuses a request whose sender carries no password: it depends on the request alone.
func noPassword(ruleID, field string, expected msg.Text) *failure {
	return &failure{code: envelope.SCE002, client: true, breach: &rule.Breach{
		Rule: ruleID, Field: msg.Raw(field), Expected: expected, Observed: msg.F("no password"),
		Fix: msg.F("send the password issued by the operator")}}
}

// scanFailure turns a pre-scan violation into the SCE001 refusal of the channel's format row
// (A1-T19 row 1, A1-T1 row 1): it names the limit broken, where, and the fix.
func (g *Gateway) scanFailure(ruleID string, err error) *failure {
	g.guard().counts.scanRefused.Add(1)
	var v *xmlguard.Violation
	if !errors.As(err, &v) {
		return &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{Rule: ruleID, Expected: msg.F("a readable XML document"), Observed: msg.Of(err)}}
	}
	return &failure{code: envelope.SCE001, client: true, breach: &rule.Breach{
		Rule: ruleID, Line: v.Line, Expected: v.Expected(), Observed: v.Observed, Fix: v.Fix}}
}

// validating counts a request that reached schema validation, the first full parse.
func (g *Gateway) validating() { g.guard().counts.validated.Add(1) }

// hasPeers reports whether a peer gateway is registered: only then can a message without a password
// be admitted, on the peer's transport signature (A6-S1).
func (r *Registry) hasPeers() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, s := range r.systems {
		if s.Peer {
			return true
		}
	}
	return false
}
