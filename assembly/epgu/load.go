package epgu

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/simulators/epgu/api"
	"github.com/shepconf/shepconf/simulators/epgu/client"
	"github.com/shepconf/shepconf/simulators/nca"
)

// LoadPlan is a load on the EPGU API: PerMinute status reads a minute for Duration, by one system.
type LoadPlan struct {
	PerMinute int
	Duration  time.Duration
	// Limit is the per-minute limit the contour enforces; 0 is the specification's 2 000 (EPGU-A3).
	Limit int
}

// LoadResult is what a load measured and the verdict on the limits of Appendix 3.
type LoadResult struct {
	Plan      LoadPlan      `json:"plan"`
	Limit     int           `json:"limitPerMinute"`
	Requests  int           `json:"requests"`
	Served    int           `json:"served"`  // answered 200
	Refused   int           `json:"refused"` // answered 429 with Retry-After
	Other     int           `json:"other"`   // any other answer or a transport error
	MostInMin int           `json:"mostServedInAMinute"`
	P50, P99  time.Duration `json:"-"`
	Latency   string        `json:"latency"` // p50 / p99 of the answers
	Breaches  []rule.Breach `json:"breaches,omitempty"`
}

// Passed says the API kept to its limits: it served no more than the limit in any minute, and it
// refused the rest with 429 and a Retry-After, never with an error.
func (r LoadResult) Passed() bool { return len(r.Breaches) == 0 && r.Requests > 0 }

// RunLoad reads the status of an order PerMinute times a minute with the token of one system, over
// real HTTPS with vegeta, and judges what the API answered against its per-minute limit
// (EPGU-A3: 2 000 requests a minute per system; beyond it 429, EPGU-A4).
func RunLoad(ctx context.Context, c *Contour, token string, limit int, plan LoadPlan, progress io.Writer) (LoadResult, error) {
	if plan.PerMinute <= 0 || plan.Duration <= 0 {
		return LoadResult{}, fmt.Errorf("load: the rate and the duration must be positive")
	}
	target := vegeta.Target{Method: http.MethodGet, URL: c.APIURL + "/api/gusmev/order/getOrdersStatus?pageNum=0&pageSize=10&orderIds=1",
		Header: http.Header{"Authorization": {"Bearer " + token}}}
	attacker := vegeta.NewAttacker(vegeta.TLSConfig(c.ClientTLS()), vegeta.Timeout(30*time.Second), vegeta.KeepAlive(true))
	rate := vegeta.Rate{Freq: plan.PerMinute, Per: time.Minute}
	res := LoadResult{Plan: plan, Limit: limit}
	var latencies []time.Duration
	var servedAt []time.Time
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	results := attacker.Attack(vegeta.NewStaticTargeter(target), rate, plan.Duration, "epgu-status")
	done := ctx.Done()
	for {
		select {
		case <-done:
			attacker.Stop() // vegeta then closes results
			done = nil
		case <-tick.C:
			if progress != nil {
				fmt.Fprintf(progress, "  %d requests: %d served, %d refused with 429, %d other\n", res.Requests, res.Served, res.Refused, res.Other)
			}
			continue
		case r, ok := <-results:
			if !ok {
				return res.judge(latencies, servedAt), ctx.Err()
			}
			res.Requests++
			latencies = append(latencies, r.Latency)
			switch {
			case r.Code == http.StatusOK:
				res.Served++
				servedAt = append(servedAt, r.Timestamp)
			case r.Code == http.StatusTooManyRequests && r.Headers.Get("Retry-After") != "":
				res.Refused++
			default:
				res.Other++
			}
		}
	}
}

// judge computes the figures and the breaches.
func (r LoadResult) judge(latencies []time.Duration, servedAt []time.Time) LoadResult {
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if n := len(latencies); n > 0 {
		r.P50, r.P99 = latencies[n/2], latencies[n*99/100]
		r.Latency = fmt.Sprintf("%s / %s", r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond))
	}
	for i, t := range servedAt {
		n := sort.Search(len(servedAt), func(j int) bool { return !servedAt[j].Before(t.Add(time.Minute)) }) - i
		r.MostInMin = max(r.MostInMin, n)
	}
	if r.MostInMin > r.Limit {
		r.Breaches = append(r.Breaches, rule.Breach{Rule: "EPGU-A3", Expected: msg.F("at most %d requests served in any minute", r.Limit),
			Observed: msg.F("%d served in one minute", r.MostInMin)})
	}
	if r.Other > 0 {
		r.Breaches = append(r.Breaches, rule.Breach{Rule: "EPGU-A4", Expected: msg.F("every request served, or refused with 429 and Retry-After"),
			Observed: msg.F("%d other answers or transport errors", r.Other)})
	}
	if over := r.Requests - r.Limit; r.Plan.PerMinute > r.Limit && r.Plan.Duration <= time.Minute && r.Refused < over {
		r.Breaches = append(r.Breaches, rule.Breach{Rule: "EPGU-A3", Expected: msg.F("the %d requests beyond the limit refused with 429", over),
			Observed: msg.F("%d refused", r.Refused)})
	}
	return r
}

// Load runs plan against a fresh contour of its own: a CA, ESIA and the API with the
// specification's limits, one registered system whose token (from its API key, as the reference
// client gets it) every request carries.
func Load(ctx context.Context, plan LoadPlan, key pki.KeyType, progress io.Writer) (LoadResult, error) {
	ca, err := nca.New("Test CA of the EPGU load")
	if err != nil {
		return LoadResult{}, err
	}
	caSrv, err := ca.Serve("127.0.0.1:0")
	if err != nil {
		return LoadResult{}, err
	}
	defer caSrv.Close(context.Background())
	limits := api.SpecLimits()
	if plan.Limit > 0 {
		limits.RequestsPerMinute = plan.Limit
	}
	c, err := Start(Config{NCA: ca, Key: key, Limits: limits})
	if err != nil {
		return LoadResult{}, err
	}
	defer c.Close(context.Background())
	token, err := c.enrolClient(ca, "LOAD_IS", key)
	if err != nil {
		return LoadResult{}, err
	}
	if progress != nil {
		fmt.Fprintf(progress, "EPGU load: %d requests a minute for %s against %s (limit %d a minute per system)\n",
			plan.PerMinute, plan.Duration, c.APIURL, limits.RequestsPerMinute)
	}
	return RunLoad(ctx, c, token, limits.RequestsPerMinute, plan, progress)
}

// enrolClient registers a system with a fresh certificate and gets its access token by its API key.
func (c *Contour) enrolClient(ca *nca.Authority, mnemonic string, key pki.KeyType) (string, error) {
	id, err := ca.Issue(nca.Subject{CommonName: mnemonic, Organization: mnemonic}, key)
	if err != nil {
		return "", err
	}
	apiKey, err := c.Register(mnemonic, id.Certificate)
	if err != nil {
		return "", err
	}
	tr := &http.Transport{TLSClientConfig: c.ClientTLS()}
	defer tr.CloseIdleConnections()
	cl := client.New(client.Config{ESIAURL: c.ESIAURL, APIURL: c.APIURL, Identity: id, Mnemonic: mnemonic, APIKey: apiKey,
		HTTPClient: &http.Client{Transport: tr}})
	return cl.Token(context.Background())
}
