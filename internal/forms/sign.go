package forms

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// The test act is signed by both parties. Each party's signature is an
// enveloped XML signature over the act itself (co-signing): a signature covers the act with every
// other signature left out, so the second party signs the same content as the first and either
// signature can be checked on its own.

// Marshal renders the act as XML, ready to sign.
func (a TestAct) Marshal() ([]byte, error) {
	return xml.MarshalIndent(a, "", "  ")
}

// SignAct adds the signer's enveloped signature to an act (unsigned, or signed by the other party).
// chain holds the signer's certificate first, then its intermediates; it goes into ds:KeyInfo.
func SignAct(doc []byte, key crypto.Signer, chain []*x509.Certificate) ([]byte, error) {
	root, err := parseAct(doc)
	if err != nil {
		return nil, err
	}
	certs := make([][]byte, len(chain))
	for i, c := range chain {
		certs[i] = c.Raw
	}
	ctx, err := dsig.NewSigningContext(key, certs)
	if err != nil {
		return nil, msg.Errorf("sign the test act: %w", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	bare := withoutSignatures(root)
	signed, err := ctx.SignEnveloped(bare)
	if err != nil {
		return nil, msg.Errorf("sign the test act: %w", err)
	}
	sig := signed.ChildElements()[len(signed.ChildElements())-1]
	root.AddChild(sig.Copy())
	out := etree.NewDocument()
	out.SetRoot(root)
	return out.WriteToBytes()
}

// Signer is one verified signature of an act.
type Signer struct {
	Certificate *x509.Certificate
	Chain       []*x509.Certificate // as verified up to an NCA root
}

// VerifyAct checks every signature of a signed act and that each signer's certificate chains to
// roots (the NCA) at the time at. It returns the act as signed and the signers in document order.
// An act whose content changed after signing, or signed by a certificate outside the NCA, fails.
func VerifyAct(doc []byte, roots *x509.CertPool, at time.Time) (TestAct, []Signer, error) {
	var act TestAct
	root, err := parseAct(doc)
	if err != nil {
		return act, nil, err
	}
	sigs := signatures(root)
	if len(sigs) == 0 {
		return act, nil, &rule.Breach{Rule: "R-8", Field: msg.Raw("A4-F"), Expected: msg.F("an act signed with EDS"), Observed: msg.F("no signature"), Fix: msg.F("sign the act")}
	}
	var signers []Signer
	for i := range sigs {
		one := withoutSignatures(root)
		one.AddChild(sigs[i].Copy())
		certs, err := keyInfoCerts(sigs[i])
		if err != nil {
			return act, nil, msg.Errorf("signature %d: %w", i+1, err)
		}
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certs[:1]})
		ctx.Clock = dsig.NewFakeClockAt(at)
		if _, err := ctx.Validate(one); err != nil {
			return act, nil, &rule.Breach{Rule: "R-8", Field: msg.F("A4-F signature %d", i+1),
				Expected: msg.F("a valid EDS over the act"), Observed: msg.Of(err), Fix: msg.F("sign the act as it stands; do not change it after signing")}
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		chains, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			return act, nil, &rule.Breach{Rule: "R-60", Field: msg.F("A4-F signature %d", i+1),
				Expected: msg.F("a certificate issued by the National Certification Centre"), Observed: msg.F("%s: %v", certs[0].Subject, err),
				Fix: msg.F("sign with an EDS issued by the NCA")}
		}
		signers = append(signers, Signer{Certificate: certs[0], Chain: chains[0]})
	}
	bare := etree.NewDocument()
	bare.SetRoot(withoutSignatures(root))
	body, err := bare.WriteToBytes()
	if err != nil {
		return act, nil, err
	}
	if err := xml.Unmarshal(body, &act); err != nil {
		return act, nil, err
	}
	return act, signers, nil
}

func parseAct(doc []byte) (*etree.Element, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, msg.Errorf("test act: %w", err)
	}
	root := d.Root()
	if root == nil || root.Tag != "testAct" {
		return nil, msg.Errorf("test act: the root element must be %s", "testAct")
	}
	if root.SelectAttrValue("id", "") == "" {
		return nil, msg.Errorf("test act: %s needs an %s attribute to be signed", "testAct", "id")
	}
	return root.Copy(), nil
}

func isSignature(e *etree.Element) bool {
	return e.Tag == dsig.SignatureTag && (e.NamespaceURI() == dsig.Namespace || e.Space == "ds")
}

func signatures(root *etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, c := range root.ChildElements() {
		if isSignature(c) {
			out = append(out, c)
		}
	}
	return out
}

func withoutSignatures(root *etree.Element) *etree.Element {
	e := root.Copy()
	for _, c := range signatures(e) {
		e.RemoveChild(c)
	}
	return e
}

func keyInfoCerts(sig *etree.Element) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, el := range sig.FindElements(".//X509Certificate") {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(el.Text()), ""))
		if err != nil {
			return nil, fmt.Errorf("X509Certificate: %w", err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, msg.Errorf("no certificate in %s", "ds:KeyInfo")
	}
	return certs, nil
}
