package xsig

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/beevik/etree"
	"github.com/go-ldap/ldap/v3"

	"github.com/shepconf/shepconf/internal/msg"
)

// acceptedKeyInfo is the list of ways to name the certificate, for refusals.
var acceptedKeyInfo = msg.F("wsse:SecurityTokenReference with wsse:KeyIdentifier (X509v3) or wsse:Reference to a wsse:BinarySecurityToken; ds:X509Data with ds:X509Certificate; or ds:X509IssuerSerial of a certificate registered for the system")

// signerCertificate finds the signer's certificate by the way ds:KeyInfo names it. known are the
// certificates registered for the sending system: the only ones an X509IssuerSerial may name.
func signerCertificate(sig, sec *etree.Element, known []*x509.Certificate) (*x509.Certificate, KeyReference, error) {
	ki := child(sig, DSNS, "KeyInfo")
	if ki == nil {
		return nil, "", fail(Malformed, "A6-S2", msg.F("ds:Signature has no ds:KeyInfo; name the signer's certificate with %s", acceptedKeyInfo))
	}
	if str := child(ki, WSSENS, "SecurityTokenReference"); str != nil {
		if k := child(str, WSSENS, "KeyIdentifier"); k != nil {
			if vt := k.SelectAttrValue("ValueType", ""); vt != X509v3 {
				return nil, "", fail(Unsupported, "A6-S2", msg.F("KeyIdentifier of type %s is not supported (X509v3, the whole certificate, is)", vt))
			}
			return certificateIn(k.Text(), KeyIdentifierRef)
		}
		if r := child(str, WSSENS, "Reference"); r != nil {
			// The ValueType of the Reference is optional (WSS X.509 token profile): the token says what it is.
			uri := r.SelectAttrValue("URI", "")
			bst := elementByID(sec, strings.TrimPrefix(uri, "#"))
			if bst == nil || bst.Tag != "BinarySecurityToken" || bst.NamespaceURI() != WSSENS {
				return nil, "", fail(Malformed, "A6-S2", msg.F("the SecurityTokenReference points at %q, which is no BinarySecurityToken of this header", uri))
			}
			if vt := bst.SelectAttrValue("ValueType", X509v3); vt != X509v3 {
				return nil, "", fail(Unsupported, "A6-S2", msg.F("BinarySecurityToken of type %s is not supported (X509v3 is)", vt))
			}
			return certificateIn(bst.Text(), BinaryTokenRef)
		}
		if xd := child(str, DSNS, "X509Data"); xd != nil {
			return fromX509Data(xd, known)
		}
		return nil, "", fail(Malformed, "A6-S2", msg.F("the SecurityTokenReference names no certificate; accepted: %s", acceptedKeyInfo))
	}
	if xd := child(ki, DSNS, "X509Data"); xd != nil {
		return fromX509Data(xd, known)
	}
	return nil, "", fail(Malformed, "A6-S2", msg.F("ds:KeyInfo names the signer's certificate in none of the accepted ways: %s", acceptedKeyInfo))
}

func certificateIn(b64 string, how KeyReference) (*x509.Certificate, KeyReference, error) {
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil {
		return nil, "", fail(Malformed, "A6-S2", msg.F("the certificate in %s is not base64", how))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", fail(Malformed, "A6-S2", msg.F("the certificate in %s cannot be read: %v", how, msg.Of(err)))
	}
	return cert, how, nil
}

// fromX509Data takes the certificate carried in ds:X509Data or, when it carries only an
// X509IssuerSerial, the registered certificate it names.
func fromX509Data(xd *etree.Element, known []*x509.Certificate) (*x509.Certificate, KeyReference, error) {
	// An incomplete X509IssuerSerial is only refused when no certificate comes with it: zeep's
	// WS-Security signer writes an empty one beside the inline certificate.
	is := child(xd, DSNS, "X509IssuerSerial")
	issuer, serial := textOf(child(is, DSNS, "X509IssuerName")), textOf(child(is, DSNS, "X509SerialNumber"))
	if issuer == "" || serial == "" {
		issuer, serial = "", ""
	}
	var inline []*x509.Certificate
	for _, e := range children(xd, DSNS, "X509Certificate") {
		c, _, err := certificateIn(e.Text(), X509DataRef)
		if err != nil {
			return nil, "", err
		}
		inline = append(inline, c)
	}
	if len(inline) > 0 {
		// The key that verifies the signature is the certificate's: an X509IssuerSerial beside it
		// is only a hint, used to tell the signer among several certificates (a chain); without
		// it, the signer is the one that is no CA.
		if len(inline) == 1 {
			return inline[0], X509DataRef, nil
		}
		if c := only(inline, func(c *x509.Certificate) bool { ok, _ := issuedAs(c, issuer, serial); return issuer != "" && ok }); c != nil {
			return c, X509DataRef, nil
		}
		if c := only(inline, func(c *x509.Certificate) bool { return !c.IsCA }); c != nil {
			return c, X509DataRef, nil
		}
		return nil, "", fail(Malformed, "A6-S2", msg.F("ds:X509Data carries %d certificates and which one signed cannot be told; send the signer's alone", len(inline)))
	}
	if is != nil && issuer == "" {
		return nil, "", fail(Malformed, "A6-S2", msg.F("ds:X509IssuerSerial lacks X509IssuerName or X509SerialNumber, and no X509Certificate comes with it"))
	}
	if issuer == "" {
		return nil, "", fail(Malformed, "A6-S2", msg.F("ds:X509Data holds neither X509Certificate nor X509IssuerSerial; accepted: %s", acceptedKeyInfo))
	}
	for _, c := range known {
		if c == nil {
			continue
		}
		ok, err := issuedAs(c, issuer, serial)
		if err != nil {
			return nil, "", err
		}
		if ok {
			return c, IssuerSerialRef, nil
		}
	}
	registered := msg.F("no certificate is registered for the sending system")
	if n := countKnown(known); n > 0 {
		registered = msg.F("it is not one of the certificates registered for the sending system (%d registered)", n)
	}
	return nil, "", fail(Unregistered, "A6-S2", msg.F("ds:X509IssuerSerial names the certificate of issuer %q, serial %s, but %s: register the certificate for the system, or send it inline (wsse:KeyIdentifier X509v3, wsse:BinarySecurityToken or ds:X509Data/ds:X509Certificate)", issuer, serial, registered))
}

func textOf(e *etree.Element) string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(e.Text())
}

// only is the one certificate of certs that fits, or nil.
func only(certs []*x509.Certificate, fits func(*x509.Certificate) bool) *x509.Certificate {
	var found *x509.Certificate
	for _, c := range certs {
		if fits(c) {
			if found != nil {
				return nil
			}
			found = c
		}
	}
	return found
}

func countKnown(known []*x509.Certificate) int {
	n := 0
	for _, c := range known {
		if c != nil {
			n++
		}
	}
	return n
}

// issuedAs reports whether cert has the issuer DN (RFC 4514 / RFC 2253) and decimal serial number
// of an X509IssuerSerial. Names are compared RDN by RDN, not as strings, so that spacing, case,
// attribute names or OIDs, escapes and hex-encoded values do not matter. The order of the RDNs does
// not matter either: stacks disagree on it (RFC 4514 writes the most specific first, OpenSSL's
// oneline form the other way, Go's pkix its own), and with the serial number the name only picks
// among the few certificates registered for the sender.
func issuedAs(cert *x509.Certificate, issuer, serial string) (bool, error) {
	n, ok := new(big.Int).SetString(serial, 10)
	if !ok {
		return false, fail(Malformed, "A6-S2", msg.F("X509SerialNumber %q is not a decimal integer", serial))
	}
	want, err := parseDN(issuer)
	if err != nil {
		return false, fail(Malformed, "A6-S2", msg.F("X509IssuerName %q is not a distinguished name (RFC 4514): %v", issuer, msg.Of(err)))
	}
	if cert.SerialNumber == nil || cert.SerialNumber.Cmp(n) != 0 {
		return false, nil
	}
	have, err := certIssuer(cert)
	if err != nil {
		return false, nil
	}
	slices.Sort(have)
	slices.Sort(want)
	return slices.Equal(have, want), nil
}

// IssuerName is cert's issuer as an RFC 4514 string, the form X509IssuerName carries.
func IssuerName(cert *x509.Certificate) string {
	var seq rawRDNSequence
	if _, err := asn1.Unmarshal(cert.RawIssuer, &seq); err != nil {
		return cert.Issuer.String()
	}
	rdns := make([]string, len(seq))
	for i, rdn := range seq {
		parts := make([]string, len(rdn))
		for j, atv := range rdn {
			name, named := attrName(atv.Type)
			parts[j] = name + "=" + escapeValue(named, atv.Value)
		}
		rdns[len(seq)-1-i] = strings.Join(parts, "+")
	}
	return strings.Join(rdns, ",")
}

// rawRDNSequence is a Name with each value kept as it is encoded (the SET suffix tells encoding/asn1
// that an RDN is a SET).
type (
	rawRDNSequence []rawRDNSET
	rawRDNSET      []rawATV
	rawATV         struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}
)

// An rdn is one relative distinguished name, its attributes normalised and sorted as "oid=value".
type rdn string

func certIssuer(cert *x509.Certificate) ([]rdn, error) {
	var seq rawRDNSequence
	if _, err := asn1.Unmarshal(cert.RawIssuer, &seq); err != nil {
		return nil, err
	}
	out := make([]rdn, len(seq))
	for i, set := range seq {
		atvs := make([]string, len(set))
		for j, a := range set {
			atvs[j] = a.Type.String() + "=" + normalise(valueOf(a.Value))
		}
		out[i] = makeRDN(atvs)
	}
	return out, nil
}

func makeRDN(atvs []string) rdn {
	slices.Sort(atvs)
	return rdn(strings.Join(atvs, "+"))
}

// valueOf is the value compared: the text of a string type, otherwise its content octets (what
// ldap.ParseDN makes of a #hex value).
func valueOf(v asn1.RawValue) string {
	if s, ok := asn1Text(v); ok {
		return s
	}
	return string(v.Bytes)
}

// normalise folds a value's case and collapses its runs of spaces, as LDAP's caseIgnoreMatch.
func normalise(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

func asn1Text(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, asn1.TagT61String, asn1.TagNumericString, 26 /* VisibleString */ :
		return string(v.Bytes), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	}
	return "", false
}

// Attribute names of RFC 4514 and those other stacks write (RFC 1779, X.520, Microsoft, Java).
var attrOIDs = map[string]string{
	"CN": "2.5.4.3", "SN": "2.5.4.4", "SURNAME": "2.5.4.4", "SERIALNUMBER": "2.5.4.5", "C": "2.5.4.6",
	"L": "2.5.4.7", "ST": "2.5.4.8", "S": "2.5.4.8", "STREET": "2.5.4.9", "O": "2.5.4.10", "OU": "2.5.4.11",
	"T": "2.5.4.12", "TITLE": "2.5.4.12", "POSTALCODE": "2.5.4.17", "G": "2.5.4.42", "GN": "2.5.4.42",
	"GIVENNAME": "2.5.4.42", "DC": "0.9.2342.19200300.100.1.25", "UID": "0.9.2342.19200300.100.1.1",
	"DESCRIPTION": "2.5.4.13", "BUSINESSCATEGORY": "2.5.4.15", "NAME": "2.5.4.41", "INITIALS": "2.5.4.43",
	"GENERATIONQUALIFIER": "2.5.4.44", "DNQUALIFIER": "2.5.4.46", "PSEUDONYM": "2.5.4.65", "ORGANIZATIONIDENTIFIER": "2.5.4.97",
	"E": "1.2.840.113549.1.9.1", "EMAIL": "1.2.840.113549.1.9.1", "EMAILADDRESS": "1.2.840.113549.1.9.1",
}

// attrName is the RFC 4514 name of a type (named true), or its OID.
func attrName(oid asn1.ObjectIdentifier) (string, bool) {
	s := oid.String()
	for _, name := range []string{"CN", "SERIALNUMBER", "C", "L", "ST", "STREET", "O", "OU", "DC", "UID"} {
		if attrOIDs[name] == s {
			return name, true
		}
	}
	return s, false
}

// escapeValue writes a value as RFC 4514 does: a string of a named type as text with its special
// characters escaped, anything else (a type written as an OID, a value that is no string) as # and
// the hex of its encoding.
func escapeValue(named bool, v asn1.RawValue) string {
	s, ok := asn1Text(v)
	if !ok || !named {
		return "#" + hex.EncodeToString(v.FullBytes)
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(`,+"\<>;=`, r), r == '#' && i == 0, r == ' ' && (i == 0 || i == len(s)-1):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseDN reads a distinguished name string with ldap.ParseDN (RFC 4514: escapes, #hex values, and
// ';' between RDNs as RFC 2253 allows). It adds what the library does not do: the quoted values of
// RFC 2253/1779, and attribute types compared by OID whatever name or "OID." form is written.
func parseDN(s string) ([]rdn, error) {
	s, err := unquote(s)
	if err != nil {
		return nil, err
	}
	dn, err := ldap.ParseDN(s)
	if err != nil {
		return nil, err
	}
	if len(dn.RDNs) == 0 {
		return nil, msg.Errorf("empty name")
	}
	out := make([]rdn, len(dn.RDNs))
	for i, r := range dn.RDNs {
		atvs := make([]string, len(r.Attributes))
		for j, a := range r.Attributes {
			oid, err := attrOID(a.Type)
			if err != nil {
				return nil, err
			}
			atvs[j] = oid + "=" + normalise(a.Value)
		}
		out[i] = makeRDN(atvs)
	}
	return out, nil
}

// attrOID is the OID of an attribute type written by name (any case) or as an OID, bare or "OID.".
func attrOID(typ string) (string, error) {
	upper := strings.TrimPrefix(strings.ToUpper(typ), "OID.")
	if oid, ok := attrOIDs[upper]; ok {
		return oid, nil
	}
	oid, err := x509.ParseOID(upper)
	if err != nil {
		return "", msg.Errorf("unknown attribute type %q", typ)
	}
	return oid.String(), nil
}

// unquote rewrites quoted values (O="A, B"), which RFC 4514 dropped but RFC 2253/1779 writers still
// send, as RFC 4514 escapes (O=A\, B). A '"' opens a quote only at the start of a value.
func unquote(s string) (string, error) {
	var b strings.Builder
	quoted, valueStart := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i++
		case c == '"' && (quoted || valueStart):
			quoted = !quoted
		case quoted && strings.IndexByte(",+;<>#", c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
		valueStart = !quoted && (c == '=' || valueStart && c == ' ')
	}
	if quoted {
		return "", msg.Errorf("unterminated quoted value")
	}
	return b.String(), nil
}
