package xsig

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// The SignedInfo that Sign canonicalises directly is byte for byte what the general canonicaliser
// makes of it, as it stands in the signed document (and so what a verifier computes), for every way
// Sign writes it: each algorithm, a signed Timestamp, and Ids that need C14N's escapes.
func TestCanonicalSignedInfo(t *testing.T) {
	ca, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	rsaID, err := ca.Issue(nca.Subject{CommonName: "IS", BIN: "123456789012"}, pki.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	ecID, err := ca.Issue(nca.Subject{CommonName: "IS", BIN: "123456789012"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	var m envelope.SendMessage
	m.Request.RequestInfo = envelope.SyncMessageInfo{MessageID: "m1", ServiceID: "S1", MessageDate: envelope.Now()}
	doc, err := envelope.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	// A Body whose wsu:Id holds the markup characters C14N escapes in an attribute value.
	oddID := bytes.Replace(doc, []byte(`wsu:Id="id-`), []byte(`wsu:Id="a&amp;b&lt;c&quot;d>e'f-`), 1)
	cases := map[string]struct {
		id   *pki.Identity
		doc  []byte
		opts []Option
	}{
		"RSA-SHA256":             {rsaID, doc, nil},
		"ECDSA-SHA256":           {ecID, doc, nil},
		"RSA-SHA1":               {rsaID, doc, []Option{WithSHA1()}},
		"signed Timestamp":       {ecID, doc, []Option{WithTimestamp(time.Minute)}},
		"plain Id":               {rsaID, doc, []Option{WithPlainID()}},
		"Id that needs escapes":  {ecID, oddID, []Option{WithKeyReference(X509DataRef)}},
		"BinarySecurityToken":    {rsaID, doc, []Option{WithKeyReference(BinaryTokenRef)}},
		"IssuerSerial reference": {rsaID, doc, []Option{WithKeyReference(IssuerSerialRef)}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			signed, err := Sign(c.doc, c.id, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			d := etree.NewDocument()
			if err := d.ReadFromBytes(signed); err != nil {
				t.Fatal(err)
			}
			si := d.FindElement("//SignedInfo")
			want, err := canonicalize(si, "")
			if err != nil {
				t.Fatal(err)
			}
			got, err := canonicalSignedInfo(si)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("direct C14N differs from the canonicaliser's:\n%s\n%s", got, want)
			}
			if _, err := Verify(signed, c.id.Certificate); err != nil {
				t.Fatalf("the signature does not verify: %v", err)
			}
			if name == "Id that needs escapes" && !strings.Contains(string(want), "&amp;b&lt;c&quot;d>e'f") {
				t.Fatalf("the odd Id did not reach the SignedInfo: %s", want)
			}
		})
	}
}

// White space in attribute values and text is escaped as C14N has it, and what Sign does not build
// (a prefixed attribute, another namespace) is left to the canonicaliser.
func TestCanonicalSignedInfoEscapesAndFallsBack(t *testing.T) {
	for name, extra := range map[string]func(si *etree.Element){
		"white space": func(si *etree.Element) {
			si.CreateElement("ds:Reference").CreateAttr("URI", "#a\tb\nc\rd")
			si.CreateElement("ds:DigestValue").SetText("x\ry>z&<")
		},
		"a prefixed attribute": func(si *etree.Element) { si.CreateElement("ds:Reference").CreateAttr("wsu:Id", "r1") },
		"another namespace": func(si *etree.Element) {
			si.CreateElement("ec:InclusiveNamespaces").CreateAttr("xmlns:ec", ExcC14N)
		},
	} {
		t.Run(name, func(t *testing.T) {
			doc := etree.NewDocument()
			sig := doc.CreateElement("ds:Signature")
			sig.CreateAttr("xmlns:ds", DSNS)
			sig.CreateAttr("xmlns:wsu", WSUNS)
			si := sig.CreateElement("ds:SignedInfo")
			si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", ExcC14N)
			extra(si)
			want, err := canonicalize(si, "")
			if err != nil {
				t.Fatal(err)
			}
			got, err := canonicalSignedInfo(si)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("direct C14N differs from the canonicaliser's (%v):\n%s\n%s", err, got, want)
			}
		})
	}
}
