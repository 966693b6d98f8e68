package gospochta

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/gospochta/agency"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
	"github.com/shepconf/shepconf/simulators/nca"
)

// refWorld is a contour with short periods and the reference system registered in it, served
// over loopback HTTP as a sample agency serves it.
type refWorld struct {
	contour *Contour
	ca      *nca.Authority
	id      *pki.Identity
	reg     Registration
}

const refMnemonic = "GP_REFERENCE"

func startRefWorld(t *testing.T) *refWorld {
	t.Helper()
	ca, err := nca.New("Gospochta reference test CA")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(Config{NCA: ca, Key: pki.ECDSAP256, SearchWait: 300 * time.Millisecond,
		DeliveryDelay: 100 * time.Millisecond, ReadDelay: 100 * time.Millisecond, RetryPause: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	if err := c.AddRecipients(); err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(nca.Subject{CommonName: "Reference system", Organization: "shepconf"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := c.Register(SystemSpec{Mnemonic: refMnemonic, Certificate: id.Certificate,
		Roles: []string{wire.RoleOperator, wire.RoleHead, wire.RoleClient}})
	if err != nil {
		t.Fatal(err)
	}
	return &refWorld{contour: c, ca: ca, id: id, reg: reg}
}

// serve offers ref over HTTP and returns its trigger.
func (w *refWorld) serve(t *testing.T, ref *Reference) trigger.HTTP {
	srv := httptest.NewServer(ref)
	t.Cleanup(srv.Close)
	return trigger.HTTP{URL: srv.URL + TriggerPath}
}

func (w *refWorld) caPEM() string { return string(pki.PEM(w.ca.Intermediate(), w.ca.Root())) }

func (w *refWorld) send() trigger.Request {
	return trigger.Request{Action: trigger.Send, Channel: trigger.Gospochta, Gateway: w.contour.URL, Auth: w.contour.URL,
		CA: w.caPEM(), Files: map[string]string{"docs/notice.pdf": base64.StdEncoding.EncodeToString([]byte("%PDF-1.7 извещение"))},
		Gospochta: &trigger.GospochtaRequest{Mnemonic: refMnemonic, HMACKey: base64.StdEncoding.EncodeToString(w.reg.HMACKey),
			Kind: wire.KindCourtNotice, Recipient: Recipients[0].ID, Subject: "Судебное извещение",
			PersonalData: map[string]string{wire.FieldFullName: Recipients[0].Name}, Document: "docs/notice.pdf"}}
}

func (w *refWorld) receive(from, to time.Time) trigger.Request {
	return trigger.Request{Action: trigger.Receive, Channel: trigger.Gospochta, Gateway: w.contour.URL, Auth: w.contour.URL,
		CA: w.caPEM(), APIKey: string(w.reg.APIKey),
		Gospochta: &trigger.GospochtaRequest{Mnemonic: refMnemonic, From: from.Format(time.RFC3339), To: to.Format(time.RFC3339)}}
}

func fireRef(t *testing.T, tr trigger.Trigger, req trigger.Request) trigger.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := tr.Fire(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestReferenceSendsAndReadsThroughItsTrigger(t *testing.T) {
	w := startRefWorld(t)
	tr := w.serve(t, &Reference{Identity: w.id, PollPause: 350 * time.Millisecond})

	res := fireRef(t, tr, w.send())
	if res.Outcome != trigger.Accepted || res.MessageID == "" || (res.State != wire.StateDelivered && res.State != wire.StateRead) ||
		res.Gospochta == nil || len(res.Gospochta.RequestIDs) < 3 {
		t.Fatalf("send: %+v", res)
	}
	m, ok := w.contour.Post.Message(res.MessageID)
	if !ok || m.FileName != "notice.pdf" || m.MimeType != "application/pdf" {
		t.Errorf("message as sent %+v", m)
	}
	// GP-W-STATES: the pushes reached the handler at the address it was triggered at.
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, _ = w.contour.Post.Message(res.MessageID)
		acked := 0
		for _, n := range m.Notifications {
			if n.Acknowledged {
				acked++
			}
		}
		if acked == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications %+v: want delivered and read acknowledged", m.Notifications)
		}
		time.Sleep(20 * time.Millisecond)
	}

	now := time.Now()
	mail, err := w.contour.SampleMail(w.reg.OrgOID, now.Add(-3*time.Hour), 5)
	if err != nil {
		t.Fatal(err)
	}
	res = fireRef(t, tr, w.receive(now.Add(-4*time.Hour), now))
	if res.Outcome != trigger.Received || res.Gospochta == nil || len(res.Gospochta.Read) != len(mail) {
		t.Fatalf("receive: %+v", res)
	}
	for _, r := range res.Gospochta.Read {
		if len(r.Files) == 0 || !r.Files[0].Downloaded || !r.Files[0].SignatureVerified {
			t.Errorf("read %+v: want its signed PDF downloaded and verified", r)
		}
	}
	if d := w.contour.GEPS.Deliveries(); len(d) != len(mail) {
		t.Errorf("%d legal deliveries, want %d", len(d), len(mail))
	}
}

func TestReferenceReportsRefusalsWithTheirCode(t *testing.T) {
	w := startRefWorld(t)
	for _, c := range []struct {
		defect string
		req    func() trigger.Request
		code   string
	}{
		{agency.DefectUnsigned, w.send, wire.CodeUnsigned},
		{agency.DefectWideRange, func() trigger.Request { return w.receive(time.Now().Add(-47*time.Hour), time.Now()) }, wire.CodeRangeExceeded},
	} {
		tr := w.serve(t, &Reference{Identity: w.id, PollPause: 350 * time.Millisecond, Defects: []string{c.defect}})
		res := fireRef(t, tr, c.req())
		if res.Outcome != trigger.Failed || res.Code != c.code || res.Gospochta == nil || len(res.Gospochta.RequestIDs) == 0 {
			t.Errorf("%s: %+v, want failed with %s and the request ids", c.defect, res, c.code)
		}
	}
}

func TestReferenceNeedsWhereToBePushed(t *testing.T) {
	w := startRefWorld(t)
	ref := &Reference{Identity: w.id}
	if _, err := ref.Fire(context.Background(), w.send()); err == nil || !strings.Contains(err.Error(), "NotifyBase") {
		t.Errorf("Fire without NotifyBase: %v", err)
	}
	srv := httptest.NewServer(ref)
	t.Cleanup(srv.Close)
	resp, err := http.Post(srv.URL+NotifyPath+"NOBODY", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("push for an unknown system: %d, want 404", resp.StatusCode)
	}
}

func TestReferenceKeepsOneInstallationPerContourAndMnemonic(t *testing.T) {
	w := startRefWorld(t)
	ref := &Reference{Identity: w.id}
	send := w.send()
	a, err := ref.install(send)
	if err != nil {
		t.Fatal(err)
	}
	// A receive brings no HMAC key: the installation keeps its own and gains the API key.
	b, err := ref.install(w.receive(time.Now().Add(-time.Hour), time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := ref.install(w.receive(time.Now().Add(-time.Hour), time.Now())); c != b || b.hmacKey == nil || a == b {
		t.Errorf("installations %p %p %p: want a new one with the API key, kept after", a, b, c)
	}
	for i := range maxRefInstalls + 3 {
		other := send
		other.Gateway = w.contour.URL + "/x" + strings.Repeat("y", i)
		if _, err := ref.install(other); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(ref.installs); n != maxRefInstalls {
		t.Errorf("%d installations kept, want %d", n, maxRefInstalls)
	}
}
