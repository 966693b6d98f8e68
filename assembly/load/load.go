// Package load drives the gateway at the rates of Appendix 2 with vegeta and judges the measured
// times against the limits: synchronous processing at most 30 s and 10 s on average (A2-T1), every
// message accepted within one minute, no errors at the nominal and peak rates. Each request
// is a fresh, signed envelope with its own messageId, made from a Template signed once; the
// gateway's journal splits every exchange into the owner's processing time and the gateway's own.
//
// A direct load (DirectTarget) plays the gateway's side itself and sends straight to the owner, for
// rates the simulated gateway cannot carry: the owner's times are then the load's own measures, and
// acceptance, the gateway's, is not judged.
package load

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// Profile is a load to apply, in Rules time: PerHour requests per hour for Duration. Compress sends
// the same requests Compress times faster (1 = real time, the certification mode).
type Profile struct {
	Name     string        `json:"name"`
	PerHour  int           `json:"perHour"`
	Duration time.Duration `json:"duration"`
	Compress float64       `json:"compress"`
}

// The profiles of Appendix 2 table 2.
var (
	Nominal = Profile{Name: "nominal", PerHour: rule.NominalPerHour, Duration: time.Hour, Compress: 1}
	Peak    = Profile{Name: "peak", PerHour: rule.PeakPerHour, Duration: time.Hour, Compress: 1}
)

// Requests is how many requests the profile sends.
func (p Profile) Requests() uint64 {
	return uint64(math.Round(float64(p.PerHour) * p.Duration.Hours()))
}

// Wall is how long the profile runs in real time.
func (p Profile) Wall() time.Duration { return time.Duration(float64(p.Duration) / p.Compress) }

func (p Profile) String() string {
	s := fmt.Sprintf("%s: %d requests/hour for %s (%d requests)", p.Name, p.PerHour, p.Duration, p.Requests())
	if p.Compress != 1 {
		s += fmt.Sprintf(", compressed %gx: %s of real time", p.Compress, p.Wall().Round(time.Second))
	}
	return s
}

// Target is what the load goes through: a channel's endpoint on the gateway, a source of fresh
// signed requests, and the gateway's journal.
type Target struct {
	Channel  string // "sync" or "async"
	URL      string
	Envelope func() ([]byte, error)
	Journal  *journal.Journal
	// Owner is the system the gateway routes the load service to, whose times A2-T1 judges; none
	// on the asynchronous channel, where the gateway answers once it stored the message.
	Owner System
	// Workers bounds the requests in flight; 0 is MaxWorkers.
	Workers int
	// hop, in a direct load (DirectTarget), is the gateway's side played by the load: the
	// requests go straight to the owner, which the journal then does not see.
	hop *hop
}

// Direct says whether the load goes straight to the owner, without the gateway (DirectTarget).
func (t Target) Direct() bool { return t.hop != nil }

// System names the owner system a load was routed to: an agency's system under test, or one of the
// harness's own (the reference owner, the in-process sample agency) in a demonstration, which
// certifies nothing.
type System struct {
	ID            string   `json:"id"`
	BIN           string   `json:"bin,omitempty"`
	Endpoint      string   `json:"endpoint"` // where the gateway sends SendMessage
	Describe      msg.Text `json:"describe"`
	Demonstration bool     `json:"demonstration"`
}

// SyncTarget sends SendMessage requests of in for serviceID on the synchronous channel, each with
// its own messageId and messageDate, signed by in.
func SyncTarget(in *owner.Initiator, serviceID string, j *journal.Journal) Target {
	return Target{Channel: "sync", URL: strings.TrimSuffix(in.Gateway, "/") + envelope.SyncPath, Journal: j,
		Envelope: freshRequests(in.Identity, func(v []string) ([]byte, error) {
			m := in.Request(serviceID, envelope.StringData("load"))
			m.Request.RequestInfo.MessageID = v[0]
			if err := m.Request.RequestInfo.MessageDate.UnmarshalText([]byte(v[1])); err != nil {
				return nil, err
			}
			return envelope.Marshal(m)
		}, messageIDSlot, dateSlot)}
}

// AsyncTarget sends sendMessage REQUESTs of p for serviceID on the asynchronous channel, each with
// its own messageDate (the gateway gives the messageId, O-5), signed by p.
func AsyncTarget(p *owner.Participant, serviceID string, j *journal.Journal) Target {
	return Target{Channel: "async", URL: strings.TrimSuffix(p.Gateway, "/") + envelope.AsyncPath, Journal: j,
		Envelope: freshRequests(p.Identity, func(v []string) ([]byte, error) {
			m := p.Message(serviceID, "REQUEST", "", envelope.StringData("load"))
			if err := m.Request.MessageInfo.MessageDate.UnmarshalText([]byte(v[0])); err != nil {
				return nil, err
			}
			return envelope.Marshal(m)
		}, dateSlot)}
}

// Sample is one request as measured.
type Sample struct {
	Seq        uint64        `json:"seq"`
	Start      time.Time     `json:"start"`
	Latency    time.Duration `json:"latency"`    // what the initiator waited
	Owner      time.Duration `json:"owner"`      // the owner's processing time, from the journal
	Gateway    time.Duration `json:"gateway"`    // the gateway's own share
	Acceptance time.Duration `json:"acceptance"` // receipt to acceptance
	Status     uint16        `json:"status"`
	Fault      string        `json:"fault,omitempty"` // fault code, when the answer was a fault
	Error      string        `json:"error,omitempty"`
	RoutedTo   string        `json:"routedTo,omitempty"` // the owner endpoint the journal says the gateway sent it to
}

// OK says whether the request got the owner's answer.
func (s Sample) OK() bool { return s.Status == http.StatusOK && s.Fault == "" && s.Error == "" }

// Result of one run.
type Result struct {
	Profile Profile `json:"profile"`
	Channel string  `json:"channel"`
	// OwnerSystem is the owner system whose processing times were judged (sync channel).
	OwnerSystem System         `json:"ownerSystem"`
	TimeScale   float64        `json:"timeScale"`
	Metrics     vegeta.Metrics `json:"metrics"`
	Owner       Stats          `json:"owner"`
	Gateway     Stats          `json:"gateway"`
	Acceptance  Stats          `json:"acceptance"`
	Faults      map[string]int `json:"faults"`
	Verdicts    []Verdict      `json:"verdicts"`
	// Direct: the load went straight to the owner (DirectTarget), its times measured by the load.
	Direct bool `json:"direct,omitempty"`
	// NotJudged are the limits the run could not judge, and why.
	NotJudged []NotJudged `json:"notJudged,omitempty"`
	Samples   []Sample    `json:"-"`
	raw       []*vegeta.Result
	exchanges []exchange // a direct load's, beside raw
}

// NotJudged is a limit a run leaves unjudged.
type NotJudged struct {
	Rule string   `json:"rule"`
	Why  msg.Text `json:"why"`
}

// Passed says whether every verdict held.
func (r Result) Passed() bool {
	for _, v := range r.Verdicts {
		if !v.Passed {
			return false
		}
	}
	return len(r.Verdicts) > 0
}

// Stats summarise a set of durations.
type Stats struct {
	Count int           `json:"count"`
	Min   time.Duration `json:"min"`
	Mean  time.Duration `json:"mean"`
	P50   time.Duration `json:"p50"`
	P90   time.Duration `json:"p90"`
	P95   time.Duration `json:"p95"`
	P99   time.Duration `json:"p99"`
	Max   time.Duration `json:"max"`
}

func statsOf(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	q := func(p float64) time.Duration { return s[int(math.Ceil(p*float64(len(s))))-1] }
	return Stats{Count: len(s), Min: s[0], Mean: sum / time.Duration(len(s)), P50: q(0.5), P90: q(0.9), P95: q(0.95), P99: q(0.99), Max: s[len(s)-1]}
}

// Verdict is one limit judged on measured values.
// Its texts explain the verdict in a report's language; in JSON and on a terminal they read in
// English.
type Verdict struct {
	Rule     string   `json:"rule"`
	Limit    msg.Text `json:"limit"`
	Measured msg.Text `json:"measured"`
	Whose    msg.Text `json:"whose"` // whose time the measure is: the owner's, the gateway's
	Passed   bool     `json:"passed"`
}

var sessionRE = regexp.MustCompile(`<sessionId>([^<]+)</sessionId>`)
var faultRE = regexp.MustCompile(`<errorCode>([^<]+)</errorCode>`)

// MaxWorkers bounds the requests a load has in flight, each on its own kept-alive connection: 2,000
// requests/s answered within 250 ms, or the peak of Appendix 2 (2000/h) answered within 30 s, many
// times over. A system that holds every worker makes the load fall behind its rate, which its
// result shows (Metrics.Rate against the profile's), rather than the load growing without bound.
const MaxWorkers = 512

// Run applies the profile through the gateway, or straight to the owner for a direct target,
// reporting progress to w, and judges the result.
func Run(ctx context.Context, t Target, p Profile, limits rule.Limits, progress io.Writer) (Result, error) {
	if p.Compress <= 0 || p.PerHour <= 0 || p.Duration <= 0 {
		return Result{}, fmt.Errorf("load profile %q: rate, duration and compression must be positive", p.Name)
	}
	res := Result{Profile: p, Channel: t.Channel, OwnerSystem: t.Owner, TimeScale: limits.Scale, Faults: map[string]int{}, Direct: t.Direct()}
	targeter := func(tg *vegeta.Target) error {
		body, err := t.Envelope()
		if err != nil {
			return err
		}
		tg.Method, tg.URL, tg.Body = http.MethodPost, t.URL, body
		tg.Header = http.Header{"Content-Type": {"text/xml; charset=utf-8"}, "SOAPAction": {`""`}}
		return nil
	}
	workers := t.Workers
	if workers <= 0 {
		workers = MaxWorkers
	}
	var opts []func(*vegeta.Attacker)
	var hop *transport
	if t.hop != nil {
		// The hop's transport keeps its connections alive itself: vegeta's KeepAlive and
		// Connections configure vegeta's own transport, which the hop replaces.
		hop = newTransport(t.hop, limits.SyncMaxProcessing, workers)
		opts = append(opts, vegeta.Client(&http.Client{Transport: hop}), vegeta.MaxBody(maxAnswer))
	} else {
		opts = append(opts, vegeta.KeepAlive(true), vegeta.Connections(workers), vegeta.MaxBody(1<<20))
	}
	opts = append(opts, vegeta.Timeout(limits.SyncMaxProcessing+limits.Scaled(30*time.Second)),
		vegeta.Workers(uint64(min(8, workers))), vegeta.MaxWorkers(uint64(workers)))
	attacker := vegeta.NewAttacker(opts...)
	rate := vegeta.Rate{Freq: int(math.Round(float64(p.PerHour) * p.Compress)), Per: time.Hour}
	if rate.Freq < 1 {
		return res, fmt.Errorf("load profile %q: fewer than one request per hour", p.Name)
	}
	bar := newProgress(progress, p)
	results := attacker.Attack(vegeta.Targeter(targeter), rate, p.Wall(), p.Name)
	var m vegeta.Metrics
	for {
		select {
		case <-ctx.Done():
			attacker.Stop()
		case r, ok := <-results:
			if !ok {
				m.Close()
				res.Metrics = m
				bar.done()
				if hop != nil {
					return res, res.judgeDirect(limits)
				}
				return res, res.judge(ctx, t.Journal, limits)
			}
			if hop != nil {
				x, _ := hop.take(r.Seq)
				hop.measured(r, x)
				res.exchanges = append(res.exchanges, x)
			}
			m.Add(r)
			res.raw = append(res.raw, r)
			bar.add(r, m)
		}
	}
}
