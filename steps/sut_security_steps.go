package steps

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
)

// probeWorld sends the owner, on the hop from the gateway, what a conforming owner must refuse.
type probeWorld struct {
	*World
	status int
	answer []byte
}

func init() { stepSets = append(stepSets, registerProbeSteps) }

func registerProbeSteps(w *World, sc *godog.ScenarioContext) {
	p := &probeWorld{World: w}
	sc.Step(`^the owner is sent, as from the gateway, a request signed by the gateway$`, func(ctx context.Context) error {
		return p.probe(ctx, p.gatewaySigned)
	})
	sc.Step(`^the owner is sent, as from the gateway, an unsigned request$`, func(ctx context.Context) error {
		return p.probe(ctx, p.unsigned)
	})
	sc.Step(`^the owner is sent, as from the gateway, a request signed by "([^"]*)"$`, func(ctx context.Context, systemID string) error {
		return p.probe(ctx, func() ([]byte, error) { return p.signedBy(systemID) })
	})
	sc.Step(`^the owner is sent, as from the gateway, a signed request altered after signing$`, func(ctx context.Context) error {
		return p.probe(ctx, p.altered)
	})
	sc.Step(`^the owner is sent, as from the gateway, a signed request wrapped around a forged body$`, func(ctx context.Context) error {
		return p.probe(ctx, p.wrapped)
	})
	sc.Step(`^the owner is sent, as from the gateway, the hostile input "([^"]*)"$`, func(ctx context.Context, name string) error {
		return p.probe(ctx, func() ([]byte, error) { return hostileInput(name) })
	})
	sc.Step(`^the owner refuses it$`, p.refused)
	sc.Step(`^the owner answers it$`, p.answered)
}

func (p *probeWorld) request() ([]byte, error) {
	in := p.initiator("INITIATOR_SYS", "")
	m := in.Request("TEST_SERVICE_ID", envelope.StringData("probe"))
	m.Request.RequestInfo.SessionID = envelope.NewGUID()
	return envelope.Marshal(m)
}

func (p *probeWorld) unsigned() ([]byte, error) { return p.request() }

func (p *probeWorld) signedBy(systemID string) ([]byte, error) {
	id, ok := p.identities[systemID]
	if !ok {
		var err error
		if id, err = p.issue(systemID, nca.ECDSAP256); err != nil {
			return nil, err
		}
	}
	b, err := p.request()
	if err != nil {
		return nil, err
	}
	return xsig.Sign(b, id)
}

func (p *probeWorld) gatewaySigned() ([]byte, error) { return p.signedBy(gatewaySystem) }

func (p *probeWorld) altered() ([]byte, error) {
	b, err := p.gatewaySigned()
	return bytes.Replace(b, []byte("probe"), []byte("altered"), 1), err
}

func (p *probeWorld) wrapped() ([]byte, error) {
	b, err := p.gatewaySigned()
	if err != nil {
		return nil, err
	}
	doc := string(b)
	start, end := strings.Index(doc, "<soap:Body"), strings.Index(doc, "</soap:Envelope>")
	body := doc[start:end]
	forged := strings.Replace(strings.Replace(body, "probe", "forged", 1), `wsu:Id="id-`, `wsu:Id="forged-`, 1)
	doc = strings.Replace(doc[:start]+forged+doc[end:], "</soap:Header>", `<x:W xmlns:x="urn:x">`+body+"</x:W></soap:Header>", 1)
	return []byte(doc), nil
}

// hostileInput reads one input of the hostile corpus (fixtures/hostile).
func hostileInput(name string) ([]byte, error) {
	for _, dir := range []string{"fixtures/hostile", "../fixtures/hostile"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("hostile input %q not found in fixtures/hostile", name)
}

func (p *probeWorld) probe(ctx context.Context, build func() ([]byte, error)) error {
	if p.ownerURL == "" {
		return fmt.Errorf("no owner system in this scenario")
	}
	body, err := build()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.ownerURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the owner did not answer: %w", err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	p.status, p.answer = resp.StatusCode, out.Bytes()
	p.attach("probe sent to the owner.xml", "application/xml", body)
	p.attach(fmt.Sprintf("owner's answer (HTTP %d).xml", p.status), "application/xml", p.answer)
	return nil
}

// answeredNormally says whether the owner served the probe as a valid request.
func (p *probeWorld) answeredNormally() bool {
	return p.status == http.StatusOK && bytes.Contains(p.answer, []byte("SendMessageResponse"))
}

func (p *probeWorld) refused() error {
	return p.verify("R-59", "the owner refuses the request (a fault or an HTTP error), as it must accept only what the gateway signed",
		fmt.Sprintf("HTTP %d: %.200s", p.status, p.answer), !p.answeredNormally())
}

func (p *probeWorld) answered() error {
	return p.verify("A6-S1", "the owner answers a request the gateway signed", fmt.Sprintf("HTTP %d: %.200s", p.status, p.answer), p.answeredNormally())
}
