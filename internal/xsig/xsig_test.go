package xsig_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/upstreamtest"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
)

type testPKI struct {
	ca      *nca.Authority
	checker *xsig.Checker
}

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	ca, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return &testPKI{ca: ca, checker: &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()}}
}

func (p *testPKI) system(t testing.TB, k pki.KeyType) *pki.Identity {
	t.Helper()
	id, err := p.ca.Issue(nca.Subject{CommonName: "IS Initiator", BIN: "123456789012", Organization: "Agency"}, k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func message(t testing.TB) []byte {
	t.Helper()
	var m envelope.SendMessage
	m.Request.RequestInfo = envelope.SyncMessageInfo{MessageID: "m1", ServiceID: "S1", MessageDate: envelope.Now(),
		Sender: envelope.SenderInfo{SenderID: "IS-A", Password: "p"}}
	m.Request.RequestData = envelope.StringData(`<q:person xmlns:q="urn:q"><q:iin>880101300123</q:iin></q:person>`)
	b, err := envelope.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sign(t testing.TB, doc []byte, id *pki.Identity, opts ...xsig.Option) []byte {
	t.Helper()
	b, err := xsig.Sign(doc, id, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignVerify(t *testing.T) {
	p := newPKI(t)
	for _, k := range []pki.KeyType{pki.RSA2048, pki.ECDSAP256, pki.GOST2004} {
		id := p.system(t, k)
		for _, opt := range [][]xsig.Option{nil, {xsig.WithBinarySecurityToken()}, {xsig.WithTimestamp(5 * time.Minute)}} {
			signed := sign(t, message(t), id, opt...)
			s, err := xsig.Verify(signed)
			if err != nil {
				t.Fatalf("%s: %v\n%s", k, err, signed)
			}
			if !s.Certificate.Equal(id.Certificate) || s.BodyID == "" {
				t.Fatalf("%s: wrong signer or body: %+v", k, s)
			}
			if _, err := p.checker.Check(context.Background(), s.Certificate); err != nil {
				t.Fatalf("%s: certificate: %v", k, err)
			}
			// The schema-visible part is untouched: the gateway still parses the message.
			if _, err := envelope.Parse(signed); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestResignReplacesTheSignature(t *testing.T) {
	p := newPKI(t)
	first, second := p.system(t, pki.RSA2048), p.system(t, pki.ECDSAP256)
	twice := sign(t, sign(t, message(t), first), second)
	if n := strings.Count(string(twice), "<ds:SignatureValue>"); n != 1 {
		t.Fatalf("%d signatures after re-signing", n)
	}
	s, err := xsig.Verify(twice)
	if err != nil || !s.Certificate.Equal(second.Certificate) {
		t.Fatalf("re-signed message: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	p := newPKI(t)
	id := p.system(t, pki.RSA2048)
	signed := string(sign(t, message(t), id))
	bodyStart := strings.Index(signed, "<soap:Body")
	body := signed[bodyStart:strings.Index(signed, "</soap:Envelope>")]
	cases := []struct {
		name string
		doc  string
		want xsig.Problem
	}{
		{"unsigned", string(message(t)), xsig.Unsigned},
		{"body altered", strings.Replace(signed, "<messageId>m1</messageId>", "<messageId>m2</messageId>", 1), xsig.Invalid},
		{"digest value altered", strings.Replace(signed, "<ds:DigestValue>", "<ds:DigestValue>AAAA", 1), xsig.Invalid},
		{"signature value altered", replaceSignatureValue(signed), xsig.Invalid},
		// Signature wrapping: the signed Body moved into the header, a forged Body in its place.
		{"wrapped into header", strings.Replace(strings.Replace(signed, body, forged(body), 1), "</soap:Header>",
			"<Wrapper>"+body+"</Wrapper></soap:Header>", 1), xsig.Wrapped},
		{"forged body beside the signed one", strings.Replace(signed, "</soap:Envelope>",
			strings.Replace(body, "<messageId>m1</messageId>", "<messageId>evil</messageId>", 1)+"</soap:Envelope>", 1), xsig.Wrapped},
		{"signed copy with the same id elsewhere", strings.Replace(signed, "</soap:Header>",
			"<Copy>"+strings.Replace(body, "soap:Body", "soap:Fake", 2)+"</Copy></soap:Header>", 1), xsig.Wrapped},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := xsig.Verify([]byte(c.doc))
			if got := xsig.ProblemOf(err); got != c.want {
				t.Fatalf("got %q (%v), want %q", got, err, c.want)
			}
		})
	}
}

// forged is a Body with other content and another wsu:Id, as a wrapping attacker writes it.
func forged(body string) string {
	return strings.Replace(strings.Replace(body, "<messageId>m1</messageId>", "<messageId>evil</messageId>", 1), `wsu:Id="id-`, `wsu:Id="forged-`, 1)
}

func replaceSignatureValue(doc string) string {
	i := strings.Index(doc, "<ds:SignatureValue>") + len("<ds:SignatureValue>")
	b := []byte(doc)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// The real gateway's samples, GOST-signed by the national CA's test certificate, verify: the
// digest of the Body and the signature value; one altered character of either fails them.
func TestRealGOSTSamplesVerify(t *testing.T) {
	dir := upstreamtest.Dir(t)
	for _, name := range []string{"request.xml", "response.xml"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "shep", "shep-service", "example", name))
			if err != nil {
				t.Fatalf("upstream sample %s: %v", name, err)
			}
			s, err := xsig.Verify(b)
			if err != nil {
				t.Fatalf("%s does not verify: %v", name, err)
			}
			if s.Algorithm != xsig.GOST3410GOST34 || s.KeyInfo != string(xsig.KeyIdentifierRef) || !strings.HasPrefix(s.BodyID, "id-") {
				t.Errorf("verified as %+v", s)
			}
			if iin, bin := pki.IdentifiersOf(s.Certificate); iin != "123456789011" || bin != "123456789021" {
				t.Errorf("the sample certificate's IIN %q, BIN %q", iin, bin)
			}
			doc := string(b)
			body := strings.Index(doc, "<messageId>") + len("<messageId>")
			altered := doc[:body] + "8" + doc[body+1:]
			if _, err := xsig.Verify([]byte(altered)); xsig.ProblemOf(err) != xsig.Invalid {
				t.Errorf("one character of the Body altered: %v, want invalid", err)
			}
			value := strings.Index(doc, "<ds:SignatureValue>\n") + len("<ds:SignatureValue>\n")
			if _, err := xsig.Verify([]byte(doc[:value] + "A" + doc[value+1:])); doc[value] == 'A' || xsig.ProblemOf(err) != xsig.Invalid {
				t.Errorf("one character of the signature value altered: %v, want invalid", err)
			}
		})
	}
}

func TestCertificateChecks(t *testing.T) {
	p := newPKI(t)
	ctx := context.Background()
	subject := nca.Subject{CommonName: "IS", BIN: "123456789012"}

	revoked := p.system(t, pki.RSA2048)
	if err := p.ca.Revoke(revoked.Certificate); err != nil {
		t.Fatal(err)
	}
	st, err := p.checker.Check(ctx, revoked.Certificate)
	if xsig.ProblemOf(err) != xsig.Revoked || !strings.HasPrefix(st.Revocation, "OCSP") {
		t.Fatalf("revoked by OCSP: %v %+v", err, st)
	}
	p.ca.SetOCSPAvailable(false)
	// A new checker: the one above keeps the OCSP answer until its nextUpdate.
	p.checker = &xsig.Checker{Roots: p.ca.Roots(), Intermediates: p.ca.Intermediates()}
	st, err = p.checker.Check(ctx, revoked.Certificate)
	if xsig.ProblemOf(err) != xsig.Revoked || !strings.HasPrefix(st.Revocation, "CRL") {
		t.Fatalf("revoked by CRL with OCSP down: %v %+v", err, st)
	}
	good := p.system(t, pki.ECDSAP256)
	if st, err := p.checker.Check(ctx, good.Certificate); err != nil || !strings.HasPrefix(st.Revocation, "CRL: not listed") {
		t.Fatalf("good by CRL: %v %+v", err, st)
	}
	p.ca.SetOCSPAvailable(true)

	expired, err := p.ca.IssueValid(subject, pki.RSA2048, time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.checker.Check(ctx, expired.Certificate); xsig.ProblemOf(err) != xsig.Expired {
		t.Fatalf("expired: %v", err)
	}
	other := newPKI(t)
	stranger := other.system(t, pki.RSA2048)
	if _, err := p.checker.Check(ctx, stranger.Certificate); xsig.ProblemOf(err) != xsig.Untrusted {
		t.Fatalf("unknown CA: %v", err)
	}
	if err := xsig.MatchesSender(good.Certificate, "IS-A", "123456789012"); err != nil {
		t.Fatal(err)
	}
	if err := xsig.MatchesSender(good.Certificate, "IS-A", "999999999999"); xsig.ProblemOf(err) != xsig.NotTheSender {
		t.Fatalf("another BIN: %v", err)
	}
}
