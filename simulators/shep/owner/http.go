package owner

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// defaultClient keeps enough idle connections to the gateway for a load's parallel senders:
// http.DefaultClient keeps two per host, so that under load most requests would open a new
// connection and the harness, not the system it measures, would set the pace.
var defaultClient = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment,
	MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}}

// postSOAP posts a SOAP 1.1 envelope to url and reads the whole answer. err is set only when no
// HTTP answer could be read.
func postSOAP(ctx context.Context, client *http.Client, url string, body []byte) (answer []byte, status int, elapsed time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, 0, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	if client == nil {
		client = defaultClient
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, time.Since(start), err
	}
	defer resp.Body.Close()
	answer, err = io.ReadAll(resp.Body)
	return answer, resp.StatusCode, time.Since(start), err
}

// wait holds an answer as the behaviour says (Hang, Latency); false means the caller gave up first.
func (b Behaviour) wait(ctx context.Context) bool {
	if b.Hang {
		<-ctx.Done()
		return false
	}
	if b.Latency > 0 {
		select {
		case <-time.After(b.Latency):
		case <-ctx.Done():
			return false
		}
	}
	return true
}
