package xsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/shepconf/shepconf/simulators/nca"
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
	// IssuerSerialRef: only the certificate's issuer and serial number (ds:X509IssuerSerial); the
	// verifier must already hold the certificate, registered for the sending system.
	IssuerSerialRef KeyReference = "IssuerSerial"
)

// WithBinarySecurityToken carries the certificate in a wsse:BinarySecurityToken that KeyInfo
// references, instead of the KeyIdentifier the real gateway uses. Verify accepts both.
func WithBinarySecurityToken() Option { return func(o *signOptions) { o.binaryToken = true } }

// WithKeyReference chooses how KeyInfo names the certificate (default KeyIdentifierRef).
func WithKeyReference(r KeyReference) Option { return func(o *signOptions) { o.keyRef = r } }

// WithSHA1 signs with RSA-SHA1 and SHA-1 digests, as widely copied sample code still does. The
// gateway accepts it with a remark (RemarkSHA1). RSA keys only.
func WithSHA1() Option { return func(o *signOptions) { o.sha1 = true } }

// WithPlainID marks the Body with a plain Id attribute instead of wsu:Id, as older .NET code does.
// The gateway accepts it with a remark (RemarkPlainID).
func WithPlainID() Option { return func(o *signOptions) { o.plainID = true } }

// WithTimestamp adds a wsu:Timestamp valid for ttl. The Rules need none; some clients add one.
func WithTimestamp(ttl time.Duration) Option { return func(o *signOptions) { o.timestamp = ttl } }

// Sign puts the transport signature of id on a SOAP 1.1 envelope. Any earlier wsse:Security header is
// replaced: the gateway re-signs what it hands on with its own certificate (A6-S1).
func Sign(envelope []byte, id *nca.Identity, opts ...Option) ([]byte, error) {
	var o signOptions
	for _, f := range opts {
		f(&o)
	}
	method, err := signatureMethod(id.Key)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(envelope); err != nil {
		return nil, fmt.Errorf("sign: not well-formed XML: %w", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || root.NamespaceURI() != SOAPNS {
		return nil, fmt.Errorf("sign: the root element is not a SOAP 1.1 Envelope")
	}
	header, body := soapParts(root)
	if body == nil {
		return nil, fmt.Errorf("sign: the envelope has no Body")
	}
	bodyID := idOf(body)
	if bodyID == "" {
		bodyID = "id-" + uuid.NewString()
		body.CreateAttr("xmlns:wsu", WSUNS)
		body.CreateAttr("wsu:Id", bodyID)
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

	digest, err := digestOf(body, "")
	if err != nil {
		return nil, err
	}
	sec := header.CreateElement("wsse:Security")
	sec.CreateAttr("xmlns:wsse", WSSENS)
	sec.CreateAttr(root.Space+":mustUnderstand", "1")
	if o.timestamp > 0 {
		now := time.Now().UTC()
		ts := sec.CreateElement("wsu:Timestamp")
		ts.CreateAttr("xmlns:wsu", WSUNS)
		ts.CreateAttr("wsu:Id", "TS-"+uuid.NewString())
		ts.CreateElement("wsu:Created").SetText(now.Format("2006-01-02T15:04:05.000Z"))
		ts.CreateElement("wsu:Expires").SetText(now.Add(o.timestamp).Format("2006-01-02T15:04:05.000Z"))
	}
	certB64 := base64.StdEncoding.EncodeToString(id.Certificate.Raw)
	tokenID := "X509-" + uuid.NewString()
	if o.binaryToken {
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
	ref := si.CreateElement("ds:Reference")
	ref.CreateAttr("URI", "#"+bodyID)
	ref.CreateElement("ds:Transforms").CreateElement("ds:Transform").CreateAttr("Algorithm", ExcC14N)
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", SHA256)
	ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(digest))

	canonical, err := canonicalize(si, "")
	if err != nil {
		return nil, err
	}
	value, err := signBytes(id.Key, canonical)
	if err != nil {
		return nil, err
	}
	sig.CreateElement("ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	str := sig.CreateElement("ds:KeyInfo").CreateElement("wsse:SecurityTokenReference")
	if o.binaryToken {
		r := str.CreateElement("wsse:Reference")
		r.CreateAttr("URI", "#"+tokenID)
		r.CreateAttr("ValueType", X509v3)
	} else {
		ki := str.CreateElement("wsse:KeyIdentifier")
		ki.CreateAttr("EncodingType", Base64Binary)
		ki.CreateAttr("ValueType", X509v3)
		ki.SetText(certB64)
	}
	return doc.WriteToBytes()
}

func signatureMethod(k crypto.Signer) (string, error) {
	switch k.(type) {
	case *rsa.PrivateKey:
		return RSASHA256, nil
	case *ecdsa.PrivateKey:
		return ECDSASHA256, nil
	}
	return "", fmt.Errorf("sign: unsupported key type %T (RSA and ECDSA are)", k)
}

// signBytes signs SHA-256(data). ECDSA values are written as r||s, as XML Signature requires.
func signBytes(k crypto.Signer, data []byte) ([]byte, error) {
	h := sha256.Sum256(data)
	der, err := k.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return der, nil
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		return nil, err
	}
	size := (ec.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

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

func digestOf(el *etree.Element, prefixList string) ([]byte, error) {
	c, err := canonicalize(el, prefixList)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(c)
	return h[:], nil
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

// idOf is an element's wsu:Id (or a bare Id, which some stacks write).
func idOf(e *etree.Element) string {
	for _, a := range e.Attr {
		if a.Key == "Id" && (a.Space == "" || a.NamespaceURI() == WSUNS) {
			return a.Value
		}
	}
	return ""
}
