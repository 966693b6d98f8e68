package xsig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"strings"

	"github.com/beevik/etree"
)

// Signed is what a verified transport signature tells about a message.
type Signed struct {
	Certificate *x509.Certificate
	Algorithm   string // SignatureMethod URI
	KeyInfo     string // "KeyIdentifier" or "BinarySecurityToken"
	BodyID      string // the wsu:Id of the signed Body
	Timestamp   bool   // a wsu:Timestamp was present (not required, R-55)
}

// Verify checks the transport signature of a SOAP envelope cryptographically: present, in the
// convention, referencing the one Body of the Envelope, digest and signature value correct. It does
// not judge the certificate (see Checker) nor who the signer is (see MatchesSender). The error is an
// *Error naming the problem and the clause.
func Verify(envelope []byte) (*Signed, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(envelope, []byte("\xef\xbb\xbf"))); err != nil {
		return nil, fail(Malformed, "R-59", "the message is not well-formed XML: %v", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || root.NamespaceURI() != SOAPNS {
		return nil, fail(Malformed, "R-59", "the root element is not a SOAP 1.1 Envelope")
	}
	header, body, err := onlyParts(root)
	if err != nil {
		return nil, err
	}
	sec := child(header, WSSENS, "Security")
	if sec == nil {
		return nil, fail(Unsigned, "R-59", "no wsse:Security header: every message must carry the sender's transport signature")
	}
	sigs := children(sec, DSNS, "Signature")
	switch {
	case len(sigs) == 0:
		return nil, fail(Unsigned, "R-59", "wsse:Security holds no ds:Signature")
	case len(sigs) > 1:
		return nil, fail(Malformed, "A6-S2", "wsse:Security holds %d ds:Signature elements; the convention is one", len(sigs))
	}
	sig := sigs[0]
	out := &Signed{Timestamp: child(sec, WSUNS, "Timestamp") != nil}

	si := child(sig, DSNS, "SignedInfo")
	if si == nil {
		return nil, fail(Malformed, "A6-S2", "ds:Signature has no ds:SignedInfo")
	}
	c14n := child(si, DSNS, "CanonicalizationMethod")
	method := child(si, DSNS, "SignatureMethod")
	if c14n == nil || method == nil {
		return nil, fail(Malformed, "A6-S2", "ds:SignedInfo lacks CanonicalizationMethod or SignatureMethod")
	}
	out.Algorithm = method.SelectAttrValue("Algorithm", "")
	if out.Algorithm != RSASHA256 && out.Algorithm != ECDSASHA256 {
		return out, fail(Unsupported, "A6-S2", "signature algorithm %s is not supported by this gateway (RSA-SHA256 and ECDSA-SHA256 are); the signature was neither accepted nor judged forged", out.Algorithm)
	}
	if a := c14n.SelectAttrValue("Algorithm", ""); a != ExcC14N {
		return out, fail(Unsupported, "A6-S2", "canonicalisation %s is not supported (exclusive C14N, %s, is)", a, ExcC14N)
	}

	// What was signed must be the Body the gateway processes: one Reference, to the Body's wsu:Id,
	// and that Id used by no other element (signature wrapping).
	refs := children(si, DSNS, "Reference")
	bodyID := idOf(body)
	var bodyRef *etree.Element
	for _, r := range refs {
		uri := r.SelectAttrValue("URI", "")
		if uri == "#"+bodyID && bodyID != "" {
			bodyRef = r
		} else if target := elementByID(root, strings.TrimPrefix(uri, "#")); target == nil || !isTimestamp(target, sec) {
			return out, fail(Wrapped, "R-58", "the signature references %q, which is not the SOAP Body the gateway processes", uri)
		}
	}
	if bodyRef == nil {
		return out, fail(Wrapped, "R-58", "no Reference of the signature points at the SOAP Body (wsu:Id %q)", bodyID)
	}
	if n := countID(root, bodyID); n != 1 {
		return out, fail(Wrapped, "R-58", "the Body's wsu:Id %q is carried by %d elements; a signed copy elsewhere in the message is a wrapping attack", bodyID, n)
	}
	out.BodyID = bodyID
	for _, r := range refs {
		target := body
		if r != bodyRef {
			target = elementByID(root, strings.TrimPrefix(r.SelectAttrValue("URI", ""), "#"))
		}
		if err := checkReference(r, target); err != nil {
			return out, err
		}
	}

	cert, how, err := signerCertificate(sig, sec)
	if err != nil {
		return out, err
	}
	out.Certificate, out.KeyInfo = cert, how
	sv := child(sig, DSNS, "SignatureValue")
	if sv == nil {
		return out, fail(Malformed, "A6-S2", "ds:Signature has no ds:SignatureValue")
	}
	value, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(sv.Text()), ""))
	if err != nil {
		return out, fail(Malformed, "A6-S2", "ds:SignatureValue is not base64: %v", err)
	}
	canonical, err := canonicalize(si, prefixList(c14n))
	if err != nil {
		return out, fail(Malformed, "A6-S2", "cannot canonicalise ds:SignedInfo: %v", err)
	}
	if err := checkValue(cert, out.Algorithm, canonical, value); err != nil {
		return out, err
	}
	return out, nil
}

// onlyParts finds the Header and Body, refusing an Envelope with more than one of either: the
// gateway must process exactly the Body that was signed.
func onlyParts(root *etree.Element) (header, body *etree.Element, err error) {
	for _, c := range root.ChildElements() {
		if c.NamespaceURI() != SOAPNS {
			continue
		}
		switch c.Tag {
		case "Header":
			if header != nil {
				return nil, nil, fail(Wrapped, "R-58", "the Envelope has two Header elements")
			}
			header = c
		case "Body":
			if body != nil {
				return nil, nil, fail(Wrapped, "R-58", "the Envelope has two Body elements")
			}
			body = c
		}
	}
	if body == nil {
		return nil, nil, fail(Malformed, "R-59", "the Envelope has no Body")
	}
	if header == nil {
		return nil, nil, fail(Unsigned, "R-59", "the Envelope has no Header, so no wsse:Security: every message must be signed")
	}
	return header, body, nil
}

func checkReference(ref, target *etree.Element) error {
	uri := ref.SelectAttrValue("URI", "")
	var prefixes string
	if ts := child(ref, DSNS, "Transforms"); ts != nil {
		for _, t := range children(ts, DSNS, "Transform") {
			if a := t.SelectAttrValue("Algorithm", ""); a != ExcC14N {
				return fail(Unsupported, "A6-S2", "transform %s on reference %s is not supported (exclusive C14N only)", a, uri)
			}
			prefixes = prefixList(t)
		}
	}
	dm := child(ref, DSNS, "DigestMethod")
	if dm == nil {
		return fail(Malformed, "A6-S2", "reference %s has no DigestMethod", uri)
	}
	if a := dm.SelectAttrValue("Algorithm", ""); a != SHA256 {
		return fail(Unsupported, "A6-S2", "digest algorithm %s of reference %s is not supported (SHA-256 is)", a, uri)
	}
	dv := child(ref, DSNS, "DigestValue")
	if dv == nil {
		return fail(Malformed, "A6-S2", "reference %s has no DigestValue", uri)
	}
	want, err := base64.StdEncoding.DecodeString(strings.TrimSpace(dv.Text()))
	if err != nil {
		return fail(Malformed, "A6-S2", "DigestValue of %s is not base64", uri)
	}
	got, err := digestOf(target, prefixes)
	if err != nil {
		return fail(Malformed, "A6-S2", "cannot canonicalise %s: %v", uri, err)
	}
	if !bytes.Equal(got, want) {
		return fail(Invalid, "R-53", "the digest of %s does not match: the element was altered after it was signed", uri)
	}
	return nil
}

func signerCertificate(sig, sec *etree.Element) (*x509.Certificate, string, error) {
	str := child(child(sig, DSNS, "KeyInfo"), WSSENS, "SecurityTokenReference")
	if str == nil {
		return nil, "", fail(Malformed, "A6-S2", "ds:KeyInfo holds no wsse:SecurityTokenReference to the signer's certificate")
	}
	var b64, how string
	if ki := child(str, WSSENS, "KeyIdentifier"); ki != nil {
		if vt := ki.SelectAttrValue("ValueType", ""); vt != X509v3 {
			return nil, "", fail(Unsupported, "A6-S2", "KeyIdentifier of type %s is not supported (X509v3 is)", vt)
		}
		b64, how = ki.Text(), "KeyIdentifier"
	} else if r := child(str, WSSENS, "Reference"); r != nil {
		bst := elementByID(sec, strings.TrimPrefix(r.SelectAttrValue("URI", ""), "#"))
		if bst == nil || bst.Tag != "BinarySecurityToken" || bst.NamespaceURI() != WSSENS {
			return nil, "", fail(Malformed, "A6-S2", "the SecurityTokenReference points at %q, which is no BinarySecurityToken of this header", r.SelectAttrValue("URI", ""))
		}
		b64, how = bst.Text(), "BinarySecurityToken"
	} else {
		return nil, "", fail(Malformed, "A6-S2", "the SecurityTokenReference has neither a KeyIdentifier nor a Reference")
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil {
		return nil, "", fail(Malformed, "A6-S2", "the certificate in %s is not base64", how)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", fail(Malformed, "A6-S2", "the certificate in %s cannot be read: %v", how, err)
	}
	return cert, how, nil
}

func checkValue(cert *x509.Certificate, method string, signed, value []byte) error {
	h := sha256.Sum256(signed)
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if method != RSASHA256 {
			break
		}
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], value) != nil {
			return fail(Invalid, "R-53", "the signature value does not verify with the certificate of %s: SignedInfo was altered or signed by another key", cert.Subject.CommonName)
		}
		return nil
	case *ecdsa.PublicKey:
		if method != ECDSASHA256 {
			break
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(value) != 2*size {
			return fail(Invalid, "R-53", "the ECDSA signature value is %d bytes, expected r||s of %d", len(value), 2*size)
		}
		r, s := new(big.Int).SetBytes(value[:size]), new(big.Int).SetBytes(value[size:])
		if !ecdsa.Verify(pub, h[:], r, s) {
			return fail(Invalid, "R-53", "the signature value does not verify with the certificate of %s: SignedInfo was altered or signed by another key", cert.Subject.CommonName)
		}
		return nil
	}
	return fail(Invalid, "A6-S2", "the certificate's key (%s) does not fit the signature method %s", cert.PublicKeyAlgorithm, method)
}

func prefixList(el *etree.Element) string {
	for _, c := range el.ChildElements() {
		if c.Tag == "InclusiveNamespaces" {
			return c.SelectAttrValue("PrefixList", "")
		}
	}
	return ""
}

func isTimestamp(e, sec *etree.Element) bool {
	return e.Tag == "Timestamp" && e.NamespaceURI() == WSUNS && e.Parent() == sec
}

func child(e *etree.Element, ns, tag string) *etree.Element {
	if e == nil {
		return nil
	}
	for _, c := range e.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

func children(e *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

func elementByID(root *etree.Element, id string) *etree.Element {
	if id == "" {
		return nil
	}
	if idOf(root) == id {
		return root
	}
	for _, c := range root.ChildElements() {
		if e := elementByID(c, id); e != nil {
			return e
		}
	}
	return nil
}

func countID(root *etree.Element, id string) int {
	n := 0
	if idOf(root) == id {
		n++
	}
	for _, c := range root.ChildElements() {
		n += countID(c, id)
	}
	return n
}
