package gateway_test

import (
	"context"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

// keyInfoRig is a signing gateway with an owner serving "S1" and two initiators, both granted it:
// IS-A has its certificate registered with the gateway, IS-B only its BIN.
type keyInfoRig struct {
	journal *journal.Journal
	url     string
	ids     map[string]*pki.Identity // by system ID
}

func newKeyInfoRig(t *testing.T) *keyInfoRig {
	t.Helper()
	ca, err := nca.New("test NCA")
	if err != nil {
		t.Fatal(err)
	}
	nsrv, err := ca.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bins := map[string]string{"SHEP": "100000000001", "IS-A": "100000000002", "IS-B": "100000000004", "IS-OWNER": "100000000003"}
	ids := map[string]*pki.Identity{}
	for sys, bin := range bins {
		if ids[sys], err = ca.Issue(nca.Subject{CommonName: sys, BIN: bin}, pki.RSA2048); err != nil {
			t.Fatal(err)
		}
	}
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	o := owner.New("IS-OWNER")
	o.Identity = ids["IS-OWNER"]
	osrv, err := server.Start("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	reg := gateway.NewRegistry()
	reg.AddSystem(gateway.System{ID: "IS-A", Password: "pw", Identifier: bins["IS-A"], Certificates: []*x509.Certificate{ids["IS-A"].Certificate}})
	reg.AddSystem(gateway.System{ID: "IS-B", Password: "pw", Identifier: bins["IS-B"]})
	reg.AddSystem(gateway.System{ID: "IS-OWNER", Password: "pw2", Identifier: bins["IS-OWNER"]})
	reg.AddService(gateway.Service{ID: "S1", Owner: "IS-OWNER", Endpoint: osrv.URL() + "/sync"})
	reg.Grant("S1", "IS-A")
	reg.Grant("S1", "IS-B")
	checker := &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()}
	gw, err := gateway.New(reg, j, gateway.WithSignatures(gateway.Signatures{Identity: ids["SHEP"], Checker: checker}))
	if err != nil {
		t.Fatal(err)
	}
	gsrv, err := server.Start("127.0.0.1:0", gw.Handler())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		gsrv.Close(ctx)
		osrv.Close(ctx)
		nsrv.Close(ctx)
		j.Close()
	})
	return &keyInfoRig{journal: j, url: gsrv.URL(), ids: ids}
}

// send posts a request of systemID signed with opts and returns the answer or the fault.
func (r *keyInfoRig) send(t *testing.T, systemID string, opts ...xsig.Option) (*envelope.SendMessageResponse, *envelope.Fault) {
	t.Helper()
	in := &owner.Initiator{SystemID: systemID, Password: "pw", Gateway: r.url}
	b, err := envelope.Marshal(in.Request("S1", envelope.StringData("ping")))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := xsig.Sign(b, r.ids[systemID], opts...)
	if err != nil {
		t.Fatal(err)
	}
	resp, fault, err := in.Send(context.Background(), signed).Answer()
	if err != nil {
		t.Fatal(err)
	}
	return resp, fault
}

// accepted is the journal's ACCEPTED entry of a session: it carries the signature evidence.
func (r *keyInfoRig) accepted(t *testing.T, sessionID string) string {
	t.Helper()
	events, err := r.journal.Events(context.Background(), sessionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Kind == journal.Accepted {
			return e.Detail
		}
	}
	t.Fatalf("no ACCEPTED entry in session %s", sessionID)
	return ""
}

// Every way a WS-Security client names its certificate is accepted (IssuerSerial because the
// certificate is registered for IS-A), and the journal's evidence names the way; RSA-SHA1 is
// accepted with its remark.
func TestKeyInfoFormsThroughTheGateway(t *testing.T) {
	r := newKeyInfoRig(t)
	cases := []struct {
		name    string
		opts    []xsig.Option
		keyInfo xsig.KeyReference
		remark  string
	}{
		{"KeyIdentifier", nil, xsig.KeyIdentifierRef, ""},
		{"BinarySecurityToken", []xsig.Option{xsig.WithKeyReference(xsig.BinaryTokenRef)}, xsig.BinaryTokenRef, ""},
		{"X509Data", []xsig.Option{xsig.WithKeyReference(xsig.X509DataRef)}, xsig.X509DataRef, ""},
		{"IssuerSerial", []xsig.Option{xsig.WithKeyReference(xsig.IssuerSerialRef)}, xsig.IssuerSerialRef, ""},
		{"RSA-SHA1", []xsig.Option{xsig.WithSHA1()}, xsig.KeyIdentifierRef, xsig.RemarkSHA1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, fault := r.send(t, "IS-A", c.opts...)
			if fault != nil {
				t.Fatalf("refused: %s %s", fault.Detail.ErrorCode, fault.Detail.ErrorData)
			}
			detail := r.accepted(t, resp.Response.ResponseInfo.SessionID)
			if !strings.Contains(detail, `"keyInfo":"`+string(c.keyInfo)+`"`) {
				t.Errorf("the evidence does not name %s: %s", c.keyInfo, detail)
			}
			if hasRemark := strings.Contains(detail, `"remarks":[`); hasRemark != (c.remark != "") ||
				(c.remark != "" && !strings.Contains(detail, `"code":"`+c.remark+`"`)) {
				t.Errorf("remarks in the evidence, want %q: %s", c.remark, detail)
			}
		})
	}
}

// A6-S2: an X509IssuerSerial can name only a certificate registered for the sender; IS-B has none,
// so the gateway cannot tell who signed, and says how to fix it.
func TestIssuerSerialOfAnUnregisteredCertificateIsRefused(t *testing.T) {
	r := newKeyInfoRig(t)
	_, fault := r.send(t, "IS-B", xsig.WithKeyReference(xsig.IssuerSerialRef))
	if fault == nil {
		t.Fatal("accepted an X509IssuerSerial that names no registered certificate")
	}
	d := fault.Detail
	if d.ErrorCode != envelope.SCE006.ID || !strings.Contains(d.ErrorData, "X509IssuerSerial") ||
		!strings.Contains(d.ErrorData, "register the certificate") {
		t.Fatalf("fault %s: %s", d.ErrorCode, d.ErrorData)
	}
	// The same signature with the certificate inline is accepted.
	if _, fault := r.send(t, "IS-B", xsig.WithKeyReference(xsig.X509DataRef)); fault != nil {
		t.Fatalf("the inline certificate of IS-B is refused: %s", fault.Detail.ErrorData)
	}
}
