package xsig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // RSA-SHA1, accepted with a remark
	_ "crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/shepconf/shepconf/internal/gost"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
)

// Option changes how Sign writes the signature.
type Option func(*signOptions)

type signOptions struct {
	binaryToken bool
	keyRef      KeyReference
	sha1        bool
	plainID     bool
	timestamp   time.Duration
}

// KeyReference is how ds:KeyInfo names the signer's certificate. Verify accepts each, and its
// evidence (Signed.KeyInfo) names the one used.
type KeyReference string

const (
	// KeyIdentifierRef: wsse:SecurityTokenReference/wsse:KeyIdentifier of ValueType X509v3 holding
	// the whole certificate, the real gateway's convention (the default).
	KeyIdentifierRef KeyReference = "KeyIdentifier"
	// BinaryTokenRef: a wsse:BinarySecurityToken in the Security header, referenced from KeyInfo.
	BinaryTokenRef KeyReference = "BinarySecurityToken"
	// X509DataRef: the certificate inline in ds:KeyInfo/ds:X509Data/ds:X509Certificate.
	X509DataRef KeyReference = "X509Data"
	// IssuerSerialRef: only the certificate's issuer (an RFC 4514 name) and decimal serial number,
	// ds:X509Data/ds:X509IssuerSerial in a SecurityTokenReference as WSS4J writes it; the verifier
	// must already hold the certificate, registered for the sending system.
	IssuerSerialRef KeyReference = "IssuerSerial"
)

// WithBinarySecurityToken carries the certificate in a wsse:BinarySecurityToken that KeyInfo
// references, instead of the KeyIdentifier the real gateway uses: WithKeyReference(BinaryTokenRef),
// which takes precedence when both are given.
func WithBinarySecurityToken() Option { return func(o *signOptions) { o.binaryToken = true } }

// WithKeyReference chooses how KeyInfo names the certificate (default KeyIdentifierRef).
func WithKeyReference(r KeyReference) Option { return func(o *signOptions) { o.keyRef = r } }

// WithSHA1 signs with RSA-SHA1 and SHA-1 digests, as widely copied sample code still does. The
// gateway accepts it with a remark (RemarkSHA1). RSA keys only.
func WithSHA1() Option { return func(o *signOptions) { o.sha1 = true } }

// WithPlainID marks the Body with a plain Id attribute instead of wsu:Id, as older .NET code does.
// The gateway accepts it with a remark (RemarkPlainID).
func WithPlainID() Option { return func(o *signOptions) { o.plainID = true } }

// WithTimestamp adds a wsu:Timestamp valid for ttl and signs it besides the Body, as the clients
// that add one do. The Rules need none: the gateway accepts it with a remark (RemarkTimestamp).
func WithTimestamp(ttl time.Duration) Option { return func(o *signOptions) { o.timestamp = ttl } }

// Sign puts the transport signature of id on a SOAP 1.1 envelope. Any earlier wsse:Security header is
// replaced: the gateway re-signs what it hands on with its own certificate (A6-S1).
func Sign(envelope []byte, id *pki.Identity, opts ...Option) ([]byte, error) {
	var o signOptions
	for _, f := range opts {
		f(&o)
	}
	if o.keyRef == "" {
		o.keyRef = KeyIdentifierRef
		if o.binaryToken {
			o.keyRef = BinaryTokenRef
		}
	}
	method, digestMethod, err := algorithmsFor(id.Key, o.sha1)
	if err != nil {
		return nil, err
	}
	hash := digestMethods[digestMethod]
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(envelope); err != nil {
		return nil, msg.Errorf("sign: not well-formed XML: %w", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || root.NamespaceURI() != SOAPNS {
		return nil, msg.Errorf("sign: the root element is not a SOAP 1.1 Envelope")
	}
	header, body := soapParts(root)
	if body == nil {
		return nil, msg.Errorf("sign: the envelope has no Body")
	}
	bodyID, plain := idOf(body)
	switch {
	case bodyID == "":
		bodyID = "id-" + uuid.NewString()
		if o.plainID {
			body.CreateAttr("Id", bodyID)
		} else {
			body.CreateAttr("xmlns:wsu", WSUNS)
			body.CreateAttr("wsu:Id", bodyID)
		}
	case o.plainID && !plain:
		for _, a := range body.Attr {
			if a.Key == "Id" && a.Space != "" && a.NamespaceURI() == WSUNS {
				body.RemoveAttr(a.FullKey())
				break
			}
		}
		body.CreateAttr("Id", bodyID)
	}
	if header == nil {
		header = etree.NewElement(root.Space + ":Header")
		root.InsertChildAt(0, header)
	}
	for _, s := range header.ChildElements() {
		if s.Tag == "Security" && s.NamespaceURI() == WSSENS {
			header.RemoveChild(s)
		}
	}

	sec := header.CreateElement("wsse:Security")
	sec.CreateAttr("xmlns:wsse", WSSENS)
	sec.CreateAttr(root.Space+":mustUnderstand", "1")
	signed := []*etree.Element{body}
	if o.timestamp > 0 {
		// WS-Security writes the times of a Timestamp in UTC. R-55: none is needed; it is signed
		// when present, as the clients that add one do.
		now := time.Now().UTC()
		ts := sec.CreateElement("wsu:Timestamp")
		ts.CreateAttr("xmlns:wsu", WSUNS)
		ts.CreateAttr("wsu:Id", "TS-"+uuid.NewString())
		ts.CreateElement("wsu:Created").SetText(now.Format("2006-01-02T15:04:05.000Z"))
		ts.CreateElement("wsu:Expires").SetText(now.Add(o.timestamp).Format("2006-01-02T15:04:05.000Z"))
		signed = append(signed, ts)
	}
	certB64 := base64.StdEncoding.EncodeToString(id.Certificate.Raw)
	tokenID := "X509-" + uuid.NewString()
	if o.keyRef == BinaryTokenRef {
		bst := sec.CreateElement("wsse:BinarySecurityToken")
		bst.CreateAttr("xmlns:wsu", WSUNS)
		bst.CreateAttr("EncodingType", Base64Binary)
		bst.CreateAttr("ValueType", X509v3)
		bst.CreateAttr("wsu:Id", tokenID)
		bst.SetText(certB64)
	}

	sig := sec.CreateElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", DSNS)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", ExcC14N)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", method)
	for _, el := range signed {
		digest, err := digestOf(el, "", hash)
		if err != nil {
			return nil, err
		}
		elID, _ := idOf(el)
		ref := si.CreateElement("ds:Reference")
		ref.CreateAttr("URI", "#"+elID)
		ref.CreateElement("ds:Transforms").CreateElement("ds:Transform").CreateAttr("Algorithm", ExcC14N)
		ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", digestMethod)
		ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(digest))
	}

	canonical, err := canonicalSignedInfo(si)
	if err != nil {
		return nil, err
	}
	value, err := signatureValue(id.Key, canonical, hash)
	if err != nil {
		return nil, err
	}
	sig.CreateElement("ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	ki := sig.CreateElement("ds:KeyInfo")
	switch o.keyRef {
	case KeyIdentifierRef:
		k := ki.CreateElement("wsse:SecurityTokenReference").CreateElement("wsse:KeyIdentifier")
		k.CreateAttr("EncodingType", Base64Binary)
		k.CreateAttr("ValueType", X509v3)
		k.SetText(certB64)
	case BinaryTokenRef:
		r := ki.CreateElement("wsse:SecurityTokenReference").CreateElement("wsse:Reference")
		r.CreateAttr("URI", "#"+tokenID)
		r.CreateAttr("ValueType", X509v3)
	case X509DataRef:
		// Plain XML Signature, as xmlsec1 and most non-WS-Security signers write it.
		ki.CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(certB64)
	case IssuerSerialRef:
		// In a SecurityTokenReference, as WSS4J (Apache CXF) writes it by default.
		is := ki.CreateElement("wsse:SecurityTokenReference").CreateElement("ds:X509Data").CreateElement("ds:X509IssuerSerial")
		is.CreateElement("ds:X509IssuerName").SetText(IssuerName(id.Certificate))
		is.CreateElement("ds:X509SerialNumber").SetText(id.Certificate.SerialNumber.String())
	default:
		return nil, msg.Errorf("sign: unknown key reference %q (KeyIdentifier, BinarySecurityToken, X509Data, IssuerSerial)", o.keyRef)
	}
	// Written straight into one buffer sized for the envelope: Document.WriteTo would put a 4 KB
	// bufio.Writer in between on every call.
	var out bytes.Buffer
	out.Grow(len(envelope) + 4096)
	for _, t := range doc.Child {
		t.WriteTo(&out, &doc.WriteSettings)
	}
	return out.Bytes(), nil
}

// algorithmsFor are the SignatureMethod and DigestMethod URIs of a signature by k: GOST
// 34.310-2004 over GOST 34.311-95 digests for a GOST key (the real gateway's pair), RSA-SHA256 or
// ECDSA-SHA256 over SHA-256, and RSA-SHA1 over SHA-1 when sha1 is asked for.
func algorithmsFor(k crypto.Signer, sha1 bool) (method, digestMethod string, err error) {
	switch k.(type) {
	case *rsa.PrivateKey:
		if sha1 {
			return RSASHA1, SHA1, nil
		}
		return RSASHA256, SHA256, nil
	case *ecdsa.PrivateKey:
		if !sha1 {
			return ECDSASHA256, SHA256, nil
		}
	case *gost.PrivateKey:
		if !sha1 {
			return GOST3410GOST34, GOST34311, nil
		}
	default:
		return "", "", msg.Errorf("sign: unsupported key type %T (GOST 34.310-2004, RSA and ECDSA are)", k)
	}
	return "", "", msg.Errorf("sign: SHA-1 is offered for RSA keys only (RSA-SHA1), not for %T", k)
}

// SignatureValue is the ds:SignatureValue of data (a canonical SignedInfo) under k: k's signature
// of hash(data), an ECDSA value written as r||s, as XML Signature requires. A GOST 34.310-2004 key
// signs a GOST 34.311-95 digest whatever hash says: the standard pairs them.
func SignatureValue(k crypto.Signer, data []byte, hash crypto.Hash) ([]byte, error) {
	return signatureValue(k, data, digest{hash})
}

func signatureValue(k crypto.Signer, data []byte, hash digest) ([]byte, error) {
	if _, ok := k.(*gost.PrivateKey); ok {
		hash = gost34311
	}
	h := hash.new()
	h.Write(data)
	sig, err := k.Sign(rand.Reader, h.Sum(nil), hash.std)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return sig, nil // PKCS#1 v1.5, and GOST's 64 bytes as XML Signature writes them
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		return nil, err
	}
	size := (ec.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

// canonicalSignedInfo is the exclusive C14N of the ds:SignedInfo that Sign builds, written
// directly rather than by the general canonicaliser, which copies the element and its namespace
// context first and cost a tenth of a signature. What Sign builds is simple: ds-prefixed elements
// whose only namespace is ds (declared on ds:Signature, so rendered on SignedInfo, the apex), unprefixed
// attributes, text without markup. Its canonical form is then the element with xmlns:ds on it,
// attributes in name order, empty elements as start and end tags, and C14N's escapes. Anything
// else goes to the canonicaliser. TestCanonicalSignedInfo compares the two byte for byte.
func canonicalSignedInfo(si *etree.Element) ([]byte, error) {
	var b bytes.Buffer
	var write func(e *etree.Element, apex bool) bool
	write = func(e *etree.Element, apex bool) bool {
		if e.Space != "ds" {
			return false
		}
		b.WriteString("<ds:" + e.Tag)
		if apex {
			b.WriteString(` xmlns:ds="` + DSNS + `"`)
		}
		attrs := slices.Clone(e.Attr)
		slices.SortFunc(attrs, func(x, y etree.Attr) int { return strings.Compare(x.Key, y.Key) })
		for _, a := range attrs {
			if a.Space != "" {
				return false
			}
			b.WriteString(" " + a.Key + `="` + c14nAttr.Replace(a.Value) + `"`)
		}
		b.WriteByte('>')
		for _, t := range e.Child {
			switch c := t.(type) {
			case *etree.Element:
				if !write(c, false) {
					return false
				}
			case *etree.CharData:
				b.WriteString(c14nText.Replace(c.Data))
			default:
				return false
			}
		}
		b.WriteString("</ds:" + e.Tag + ">")
		return true
	}
	if !write(si, true) {
		return canonicalize(si, "")
	}
	return b.Bytes(), nil
}

// C14N 1.0 section 2.3: the escapes of text and of attribute values.
var (
	c14nText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")
	c14nAttr = strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;", "\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;")
)

// Canonical is the exclusive C14N of el as Sign digests it: taken out of its document with the
// namespaces it uses from its ancestors.
func Canonical(el *etree.Element) ([]byte, error) { return canonicalize(el, "") }

// canonicalize is the exclusive C14N of el taken out of its document with the namespaces it uses
// from its ancestors.
func canonicalize(el *etree.Element, prefixList string) ([]byte, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, err
	}
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixList).Canonicalize(detached)
}

func digestOf(el *etree.Element, prefixList string, hash digest) ([]byte, error) {
	c, err := canonicalize(el, prefixList)
	if err != nil {
		return nil, err
	}
	h := hash.new()
	h.Write(c)
	return h.Sum(nil), nil
}

// soapParts finds the Header and Body among the Envelope's children.
func soapParts(root *etree.Element) (header, body *etree.Element) {
	for _, c := range root.ChildElements() {
		if c.NamespaceURI() != SOAPNS {
			continue
		}
		switch c.Tag {
		case "Header":
			header = c
		case "Body":
			body = c
		}
	}
	return header, body
}

// idOf is the Id by which a Reference finds an element: its wsu:Id, else a plain Id or id (written
// by older .NET code and some signers; plain reports that). See countID for the wrapping check.
func idOf(e *etree.Element) (id string, plain bool) {
	for _, a := range e.Attr {
		if a.Key == "Id" && a.Space != "" && a.NamespaceURI() == WSUNS {
			return a.Value, false
		}
	}
	for _, name := range []string{"Id", "id"} {
		for _, a := range e.Attr {
			if a.Key == name && a.Space == "" {
				return a.Value, true
			}
		}
	}
	return "", false
}
