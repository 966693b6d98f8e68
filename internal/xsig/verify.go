package xsig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"

	"github.com/beevik/etree"

	"github.com/shepconf/shepconf/internal/gost"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
)

// Signed is what a verified transport signature tells about a message.
type Signed struct {
	Certificate *x509.Certificate
	Algorithm   string   // SignatureMethod URI
	KeyInfo     string   // how KeyInfo named the certificate: a KeyReference ("KeyIdentifier", "X509Data", ...)
	BodyID      string   // the wsu:Id (or plain Id) of the signed Body
	Timestamp   bool     // a wsu:Timestamp was present (not required, R-55)
	Remarks     []Remark `json:"remarks,omitempty"` // what was accepted although the Rules do not ask for it
}

// Verify checks the transport signature of a SOAP envelope cryptographically: present, in the
// convention, referencing the one Body of the Envelope, digest and signature value correct. It does
// not judge the certificate (see Checker) nor who the signer is (see MatchesSender). known are the
// certificates registered for the sending system: a ds:X509IssuerSerial may name only one of them.
// The error is an *Error naming the problem and the clause.
func Verify(envelope []byte, known ...*x509.Certificate) (*Signed, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(envelope, []byte("\xef\xbb\xbf"))); err != nil {
		return nil, fail(Malformed, "R-59", msg.F("the message is not well-formed XML: %v", msg.Of(err)))
	}
	return VerifyDocument(doc, known...)
}

// VerifyDocument is Verify on a message already parsed, so that a receiver that parses a message
// once checks its signature and decodes it from the same tree. It only reads the tree; a caller
// that changes the tree must do so after this check.
func VerifyDocument(doc *etree.Document, known ...*x509.Certificate) (*Signed, error) {
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || root.NamespaceURI() != SOAPNS {
		return nil, fail(Malformed, "R-59", msg.F("the root element is not a SOAP 1.1 Envelope"))
	}
	header, body, err := onlyParts(root)
	if err != nil {
		return nil, err
	}
	sec := child(header, WSSENS, "Security")
	if sec == nil {
		return nil, fail(Unsigned, "R-59", msg.F("no wsse:Security header: every message must carry the sender's transport signature"))
	}
	sigs := children(sec, DSNS, "Signature")
	switch {
	case len(sigs) == 0:
		return nil, fail(Unsigned, "R-59", msg.F("wsse:Security holds no ds:Signature"))
	case len(sigs) > 1:
		return nil, fail(Malformed, "A6-S2", msg.F("wsse:Security holds %d ds:Signature elements; the convention is one", len(sigs)))
	}
	sig := sigs[0]
	out := &Signed{Timestamp: child(sec, WSUNS, "Timestamp") != nil}

	si := child(sig, DSNS, "SignedInfo")
	if si == nil {
		return nil, fail(Malformed, "A6-S2", msg.F("ds:Signature has no ds:SignedInfo"))
	}
	c14n := child(si, DSNS, "CanonicalizationMethod")
	method := child(si, DSNS, "SignatureMethod")
	if c14n == nil || method == nil {
		return nil, fail(Malformed, "A6-S2", msg.F("ds:SignedInfo lacks CanonicalizationMethod or SignatureMethod"))
	}
	out.Algorithm = method.SelectAttrValue("Algorithm", "")
	hash, ok := signatureDigests[out.Algorithm]
	if strings.HasPrefix(out.Algorithm, gost2015) {
		return out, fail(Unsupported, "A6-S2", msg.F("signature algorithm %s (GOST R 34.10-2015) is not supported by this gateway: GOST 34.310-2004 over GOST 34.311-95, the real gateway's, is; the signature was neither accepted nor judged forged", out.Algorithm))
	}
	if !ok {
		return out, fail(Unsupported, "A6-S2", msg.F("signature algorithm %s is not supported by this gateway (GOST 34.310-2004, RSA-SHA256, ECDSA-SHA256, and RSA-SHA1 with a remark, are); the signature was neither accepted nor judged forged", out.Algorithm))
	}
	if a := c14n.SelectAttrValue("Algorithm", ""); a != ExcC14N {
		return out, fail(Unsupported, "A6-S2", msg.F("canonicalisation %s is not supported (exclusive C14N, %s, is)", a, ExcC14N))
	}
	sha1Used := hash.sha1()

	// What was signed must be the Body the gateway processes: a Reference to the Body's wsu:Id, any
	// other only to the wsu:Timestamp of this Security header, and each Id carried by one element
	// alone (signature wrapping).
	refs := children(si, DSNS, "Reference")
	bodyID, plainID := idOf(body)
	var bodyRef *etree.Element
	signedTimestamp := false
	for _, r := range refs {
		uri := r.SelectAttrValue("URI", "")
		id, local := strings.CutPrefix(uri, "#")
		switch target := elementByID(root, id); {
		case !local || id == "":
			return out, fail(Wrapped, "R-58", msg.F("the signature references %q, which is not the SOAP Body the gateway processes", uri))
		case id == bodyID:
			bodyRef = r
		case target != nil && isTimestamp(target, sec):
			signedTimestamp = true
		default:
			return out, fail(Wrapped, "R-58", msg.F("the signature references %q, which is not the SOAP Body the gateway processes", uri))
		}
		if n := countID(root, id); n != 1 {
			return out, fail(Wrapped, "R-58", msg.F("the Id %q of a signed element is carried by %d elements; a signed copy elsewhere in the message is a wrapping attack", id, n))
		}
	}
	if bodyRef == nil {
		return out, fail(Wrapped, "R-58", msg.F("no Reference of the signature points at the SOAP Body (wsu:Id %q)", bodyID))
	}
	out.BodyID = bodyID
	for _, r := range refs {
		target := body
		if r != bodyRef {
			target = elementByID(root, strings.TrimPrefix(r.SelectAttrValue("URI", ""), "#"))
		}
		// exclusive C14N without comments leaves comments out of the digest, and a processing
		// instruction forwarded with the data is not what its signer wrote either: a signed element
		// holding one carries content the signature does not vouch for, which the gateway would
		// forward as signed.
		if what := unsignedNode(target); !what.IsZero() {
			return out, fail(Wrapped, "R-58", msg.F("the signed element %s holds %s, which the signature does not cover (exclusive C14N drops comments); what is forwarded must be exactly what was signed", r.SelectAttrValue("URI", ""), what))
		}
		digestSHA1, err := checkReference(r, target)
		if err != nil {
			return out, err
		}
		sha1Used = sha1Used || digestSHA1
	}

	cert, how, err := signerCertificate(sig, sec, known)
	if err != nil {
		return out, err
	}
	out.Certificate, out.KeyInfo = cert, string(how)
	sv := child(sig, DSNS, "SignatureValue")
	if sv == nil {
		return out, fail(Malformed, "A6-S2", msg.F("ds:Signature has no ds:SignatureValue"))
	}
	value, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(sv.Text()), ""))
	if err != nil {
		return out, fail(Malformed, "A6-S2", msg.F("ds:SignatureValue is not base64: %v", msg.Of(err)))
	}
	canonical, err := canonicalize(si, prefixList(c14n))
	if err != nil {
		return out, fail(Malformed, "A6-S2", msg.F("cannot canonicalise ds:SignedInfo: %v", msg.Of(err)))
	}
	if err := checkValue(cert, out.Algorithm, hash, canonical, value); err != nil {
		return out, err
	}

	// Accepted, with a remark for each thing the real gateway tolerates that the Rules do not ask for.
	if sha1Used {
		out.Remarks = append(out.Remarks, remarkSHA1)
	}
	if signedTimestamp {
		out.Remarks = append(out.Remarks, remarkTimestamp)
	}
	if plainID {
		out.Remarks = append(out.Remarks, remarkPlainID)
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
				return nil, nil, fail(Wrapped, "R-58", msg.F("the Envelope has two Header elements"))
			}
			header = c
		case "Body":
			if body != nil {
				return nil, nil, fail(Wrapped, "R-58", msg.F("the Envelope has two Body elements"))
			}
			body = c
		}
	}
	if body == nil {
		return nil, nil, fail(Malformed, "R-59", msg.F("the Envelope has no Body"))
	}
	if header == nil {
		return nil, nil, fail(Unsigned, "R-59", msg.F("the Envelope has no Header, so no wsse:Security: every message must be signed"))
	}
	return header, body, nil
}

// checkReference checks the digest of one Reference; sha1 reports a SHA-1 digest (a remark).
func checkReference(ref, target *etree.Element) (sha1 bool, err error) {
	uri := ref.SelectAttrValue("URI", "")
	var prefixes string
	if ts := child(ref, DSNS, "Transforms"); ts != nil {
		for _, t := range children(ts, DSNS, "Transform") {
			if a := t.SelectAttrValue("Algorithm", ""); a != ExcC14N {
				return false, fail(Unsupported, "A6-S2", msg.F("transform %s on reference %s is not supported (exclusive C14N only)", a, uri))
			}
			prefixes = prefixList(t)
		}
	}
	dm := child(ref, DSNS, "DigestMethod")
	if dm == nil {
		return false, fail(Malformed, "A6-S2", msg.F("reference %s has no DigestMethod", uri))
	}
	a := dm.SelectAttrValue("Algorithm", "")
	hash, ok := digestMethods[a]
	if !ok {
		return false, fail(Unsupported, "A6-S2", msg.F("digest algorithm %s of reference %s is not supported (GOST 34.311-95, SHA-256, and SHA-1 with a remark, are)", a, uri))
	}
	dv := child(ref, DSNS, "DigestValue")
	if dv == nil {
		return false, fail(Malformed, "A6-S2", msg.F("reference %s has no DigestValue", uri))
	}
	want, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(dv.Text()), ""))
	if err != nil {
		return false, fail(Malformed, "A6-S2", msg.F("DigestValue of %s is not base64", uri))
	}
	got, err := digestOf(target, prefixes, hash)
	if err != nil {
		return false, fail(Malformed, "A6-S2", msg.F("cannot canonicalise %s: %v", uri, msg.Of(err)))
	}
	if !bytes.Equal(got, want) {
		return false, fail(Invalid, "R-53", msg.F("the digest of %s does not match: the element was altered after it was signed", uri))
	}
	return hash.sha1(), nil
}

func checkValue(cert *x509.Certificate, method string, hash digest, signed, value []byte) error {
	h := hash.new()
	h.Write(signed)
	sum := h.Sum(nil)
	forged := fail(Invalid, "R-53", msg.F("the signature value does not verify with the certificate of %s: SignedInfo was altered or signed by another key", cert.Subject.CommonName))
	key, err := pki.PublicKeyOf(cert)
	if err != nil {
		return fail(Unsupported, "A6-S2", msg.F("the key of the certificate of %s cannot be read: %v", cert.Subject.CommonName, msg.Of(err)))
	}
	switch pub := key.(type) {
	case *rsa.PublicKey:
		if method != RSASHA256 && method != RSASHA1 && method != RSASHA1More {
			break
		}
		if rsa.VerifyPKCS1v15(pub, hash.std, sum, value) != nil {
			return forged
		}
		return nil
	case *ecdsa.PublicKey:
		if method != ECDSASHA256 {
			break
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(value) != 2*size {
			return fail(Invalid, "R-53", msg.F("the ECDSA signature value is %d bytes, expected r||s of %d", len(value), 2*size))
		}
		r, s := new(big.Int).SetBytes(value[:size]), new(big.Int).SetBytes(value[size:])
		if !ecdsa.Verify(pub, sum, r, s) {
			return forged
		}
		return nil
	case *gost.PublicKey:
		if method != GOST3410GOST34 {
			break
		}
		if !gost.Verify(pub, sum, value) {
			return forged
		}
		return nil
	}
	return fail(Invalid, "A6-S2", msg.F("the certificate's key (%s) does not fit the signature method %s", keyName(key), method))
}

// keyName names a public key's algorithm for an explanation.
func keyName(key crypto.PublicKey) string {
	switch key.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	case *gost.PublicKey:
		return "GOST 34.310-2004"
	}
	return fmt.Sprintf("%T", key)
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
	if v, _ := idOf(root); v == id {
		return root
	}
	for _, c := range root.ChildElements() {
		if e := elementByID(c, id); e != nil {
			return e
		}
	}
	return nil
}

// countID counts the elements carrying id in any ID-like attribute (any namespace, any case of
// "id"), not only those elementByID resolves: a copy of a signed element under another attribute
// name is still a wrapping attack.
func countID(root *etree.Element, id string) int {
	n := 0
	for _, a := range root.Attr {
		if a.Value == id && strings.EqualFold(a.Key, "id") {
			n++
			break
		}
	}
	for _, c := range root.ChildElements() {
		n += countID(c, id)
	}
	return n
}

// unsignedNode names a comment or processing instruction inside e, or returns "".
func unsignedNode(e *etree.Element) msg.Text {
	for _, t := range e.Child {
		switch c := t.(type) {
		case *etree.Comment:
			return msg.F("a comment")
		case *etree.ProcInst:
			return msg.F("a processing instruction")
		case *etree.Element:
			if what := unsignedNode(c); !what.IsZero() {
				return what
			}
		}
	}
	return msg.Text{}
}
