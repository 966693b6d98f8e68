package steps

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/sut"
	"github.com/shepconf/shepconf/simulators/gateway"
)

// SUTLogFile is where the owner container's output goes, inside the run's output folder.
const SUTLogFile = "sut-owner.log"

// sutWorld is a scenario's state for the owner system under test (features tagged @sut): the
// built-in reference owner by default, an agency's owner at a URL or in a container otherwise.
type sutWorld struct {
	*World
	direct *http.Response // an answer the owner gave to a request sent straight to it
	body   []byte
}

func init() { stepSets = append(stepSets, registerSUTSteps) }

func registerSUTSteps(w *World, sc *godog.ScenarioContext) {
	s := &sutWorld{World: w}
	sc.Step(`^the owner system under test serves "([^"]*)" on the synchronous channel$`, s.serves)
	sc.Step(`^a request that the gateway did not sign is sent straight to the owner of "([^"]*)"$`, s.sendsUnsignedDirect)
	sc.Step(`^the owner system under test refuses it with a SOAP fault$`, s.refused)
}

// serves registers the owner system under test with the gateway as the owner of serviceID.
func (s *sutWorld) serves(ctx context.Context, serviceID string) error {
	if s.registry == nil {
		return fmt.Errorf("start the gateway first")
	}
	l := s.suite.SUT
	if l == nil || l.Config().Kind() == sut.Reference {
		id := sut.DefaultSystem
		if l != nil {
			id = l.Config().SystemID()
		}
		return s.ownerServes(id, serviceID)
	}
	t, err := l.Target(ctx)
	if err != nil {
		return err
	}
	s.registry.AddSystem(gateway.System{ID: t.SystemID, Password: randomPassword(), Identifier: t.BIN})
	s.registry.AddService(gateway.Service{ID: serviceID, Owner: t.SystemID, Endpoint: t.Endpoint})
	s.attachJSON("owner system under test", t)
	return nil
}

// sendsUnsignedDirect posts an unsigned SendMessage to the owner's endpoint, as if the gateway had
// not signed it: R-59 has every message signed, so the owner must not serve it.
func (s *sutWorld) sendsUnsignedDirect(ctx context.Context, serviceID string) error {
	svc, ok := s.registry.Service(serviceID)
	if !ok {
		return fmt.Errorf("service %s is not in the registry", serviceID)
	}
	req := s.initiator(gatewaySystem, "").Request(serviceID, envelope.StringData("<request>unsigned</request>"))
	req.Request.RequestInfo.SessionID = envelope.NewGUID()
	body, err := envelope.Marshal(req)
	if err != nil {
		return err
	}
	s.attach("unsigned request sent straight to the owner.xml", "application/xml", body)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, svc.Endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "text/xml; charset=utf-8")
	client := &http.Client{Timeout: s.suite.Limits.Scaled(30 * time.Second)}
	resp, err := client.Do(hr)
	if err != nil {
		return fmt.Errorf("the owner system under test did not answer at %s: %w", svc.Endpoint, err)
	}
	defer resp.Body.Close()
	s.direct = resp
	s.body, err = io.ReadAll(resp.Body)
	s.attach(fmt.Sprintf("owner's answer (HTTP %d).xml", resp.StatusCode), "application/xml", s.body)
	return err
}

func (s *sutWorld) refused() error {
	if s.direct == nil {
		return fmt.Errorf("nothing was sent to the owner")
	}
	observed := fmt.Sprintf("HTTP %d", s.direct.StatusCode)
	isFault := false
	if m, err := envelope.Parse(s.body); err == nil {
		isFault = m.IsFault()
		if isFault {
			observed += ", SOAP fault"
		} else {
			observed += ", " + m.Name().Local + ": the unsigned request was served"
		}
	} else {
		observed += ", not SOAP: " + err.Error()
	}
	return s.verify("R-59", "a SOAP fault (HTTP 500): an unsigned request is not served", observed,
		isFault && s.direct.StatusCode == http.StatusInternalServerError)
}

// closeSUT stops the owner system under test at the end of a run and keeps the container's output
// beside the reports.
func closeSUT(l *sut.Launcher, dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if logs := l.Logs(ctx); len(logs) > 0 {
		_ = os.WriteFile(filepath.Join(dir, SUTLogFile), logs, 0o644)
	}
	if err := l.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shepconf:", err)
	}
}
